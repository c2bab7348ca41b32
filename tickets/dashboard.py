"""Workbench panels of the tickets app (discovered by ``config.workbench``).

Support staff: pending tickets by time left (T3) and tickets waiting for
their review (T2); and ticket timeouts per day. The pending counts are range
scans on the partial index ``ticket_pending_deadline`` (handle_deadline WHERE
status = 'pending'); "in review" uses ``ticket_status_created``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import admin
from django.utils.translation import gettext as _

from config.charts import daily_series
from config.workbench import SUPPORT, Chart, Panel, Queue, changelist_url, shows
from orders.policy import business_day, day_bounds, rule

from .models import Ticket

SOON_HOURS = 2


def _pending_by_deadline_url() -> str | None:
    """The pending list, soonest deadline first (the countdown column sorts by deadline)."""
    params = {"status__exact": Ticket.Status.PENDING}
    model_admin = admin.site._registry.get(Ticket)
    if model_admin is not None and "countdown" in model_admin.list_display:
        params["o"] = str(list(model_admin.list_display).index("countdown"))
    return changelist_url("tickets", "ticket", **params)


def panels(request, now: datetime) -> list[Panel]:
    if not shows(request, SUPPORT):
        return []
    pending = Ticket.objects.filter(status=Ticket.Status.PENDING)
    soon_hours = int(rule("TICKET_REMINDER_HOURS") or SOON_HOURS)
    soon = now + timedelta(hours=soon_hours)
    _start, end_of_today = day_bounds(business_day(now))
    pending_url = _pending_by_deadline_url()

    queues = Panel(
        key="tickets-time-left",
        title=_("Tickets by time left"),
        roles=(SUPPORT,),
        order=20,
        queues=[
            Queue(
                label=_("pending, past the deadline (timeout job not run yet)"),
                count=pending.filter(handle_deadline__lt=now).count(),
                url=pending_url,
                tone="danger",
            ),
            Queue(
                label=_("pending, due within %(hours)d h") % {"hours": soon_hours},
                count=pending.filter(handle_deadline__gte=now, handle_deadline__lt=soon).count(),
                url=pending_url,
                tone="danger",
            ),
            Queue(
                label=_("pending, due by the end of today"),
                count=pending.filter(handle_deadline__gte=now, handle_deadline__lt=end_of_today).count(),
                url=pending_url,
                tone="warn",
            ),
            Queue(
                label=_("replied by the merchant, waiting for your review"),
                count=Ticket.objects.filter(status=Ticket.Status.IN_REVIEW).count(),
                url=changelist_url("tickets", "ticket", status__exact=Ticket.Status.IN_REVIEW),
                tone="warn",
            ),
        ],
    )

    timed_out = Ticket.objects.filter(status=Ticket.Status.CLOSED, outcome=Ticket.Outcome.TIMED_OUT)
    label = _("Ticket timeouts per day")
    chart = Panel(
        key="tickets-timeouts-chart",
        title=label,
        roles=(SUPPORT,),
        order=60,
        chart=Chart.daily(label, daily_series(timed_out, "closed_at", now=now), tone="danger"),
    )
    return [queues, chart]
