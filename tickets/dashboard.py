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
from django.utils.translation import pgettext

from config.charts import daily_series
from config.workbench import SUPPORT, Chart, Panel, Queue, changelist_url, shows
from orders.policy import business_day, day_bounds, rule

from .models import Ticket

SOON_HOURS = 2


def deadline_buckets(now: datetime) -> dict[str, tuple[datetime | None, datetime | None]]:
    """Issue 15: the pending tickets' deadline buckets, each ``[from, until)``
    and exclusive of the others: past the deadline, due within the reminder
    window (2 h), due later today (Asia/Shanghai), due after today. The
    workbench counts them and the ticket list filters by them (``time_left``)."""
    soon = now + timedelta(hours=int(rule("TICKET_REMINDER_HOURS") or SOON_HOURS))
    _start, end_of_today = day_bounds(business_day(now))
    today_until = max(soon, end_of_today)
    return {
        "overdue": (None, now),
        "soon": (now, soon),
        "today": (soon, today_until),
        "later": (today_until, None),
    }


def in_bucket(queryset, bounds: tuple[datetime | None, datetime | None]):
    since, until = bounds
    if since is not None:
        queryset = queryset.filter(handle_deadline__gte=since)
    if until is not None:
        queryset = queryset.filter(handle_deadline__lt=until)
    return queryset


def countdown_order(request) -> str | None:
    """The ticket list's ``o=`` value sorting by time left, soonest first:
    the column's position counting the checkbox column when there are actions
    (the admin puts it first), as the changelist numbers them."""
    model_admin = admin.site._registry.get(Ticket)
    if model_admin is None:
        return None
    list_display = list(model_admin.get_list_display(request))
    if "countdown" not in list_display:
        return None
    offset = 1 if model_admin.get_actions(request) else 0
    return str(list_display.index("countdown") + offset)


def _pending_url(request, bucket: str) -> str | None:
    params = {"status__exact": Ticket.Status.PENDING, "time_left": bucket}
    order = countdown_order(request)
    if order is not None:
        params["o"] = order
    return changelist_url("tickets", "ticket", **params)


def panels(request, now: datetime) -> list[Panel]:
    if not shows(request, SUPPORT):
        return []
    pending = Ticket.objects.filter(status=Ticket.Status.PENDING)
    soon_hours = int(rule("TICKET_REMINDER_HOURS") or SOON_HOURS)
    buckets = deadline_buckets(now)

    queues = Panel(
        key="tickets-time-left",
        title=_("Tickets by time left"),
        roles=(SUPPORT,),
        order=20,
        queues=[
            Queue(
                label=_("pending, past the deadline (timeout job not run yet)"),
                count=in_bucket(pending, buckets["overdue"]).count(),
                url=_pending_url(request, "overdue"),
                tone="danger",
            ),
            Queue(
                label=_("pending, due within %(hours)d h") % {"hours": soon_hours},
                count=in_bucket(pending, buckets["soon"]).count(),
                url=_pending_url(request, "soon"),
                tone="danger",
            ),
            Queue(
                label=_("pending, due later today"),
                count=in_bucket(pending, buckets["today"]).count(),
                url=_pending_url(request, "today"),
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
        chart=Chart.daily(
            label,
            daily_series(timed_out, "closed_at", now=now),
            unit=pgettext("chart unit", "tickets"),
            tone="danger",
        ),
    )
    return [queues, chart]
