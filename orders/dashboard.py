"""Workbench panels of the orders app (discovered by ``config.workbench``).

Reviewers: the cancellation queue (C3), refunds waiting for an alternative
route (F1), and cancellation requests per day. Every count is served by an
index: ``cancellation_status`` (status, -requested_at) and the partial
``refund_alternative_queue``; nothing counts the orders table.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.charts import daily_series
from config.workbench import REVIEWER, Chart, Panel, Progress, Queue, changelist_url, shows

from .models import CancellationRequest, Export, Refund


def _waiting_hint(oldest: datetime | None, now: datetime) -> str:
    if oldest is None:
        return ""
    minutes = max(int((now - oldest).total_seconds() // 60), 0)
    if minutes < 60:
        return _("oldest waiting %(minutes)d min") % {"minutes": minutes}
    if minutes < 48 * 60:
        return _("oldest waiting %(hours)d h") % {"hours": minutes // 60}
    return _("oldest waiting %(days)d days") % {"days": minutes // (24 * 60)}


def _my_exports(request, now: datetime) -> list[Panel]:
    """X3: the user's exports still being written, with rows written of total."""
    running = list(
        Export.objects.filter(created_by=request.user, status__in=[Export.Status.QUEUED, Export.Status.RUNNING])
        .order_by("-created_at")
        .only("pk", "kind", "format", "status", "row_count", "rows_written")[:5]
    )
    if not running:
        return []
    url = changelist_url("orders", "export")
    return [
        Panel(
            key="orders-my-exports",
            title=_("My exports in progress"),
            order=5,
            progress=[
                Progress(
                    label=f"#{e.pk} {e.kind}.{e.format}",
                    done=e.rows_written,
                    total=e.row_count,
                    url=url,
                    status=e.get_status_display(),
                )
                for e in running
            ],
        )
    ]


def panels(request, now: datetime) -> list[Panel]:
    exports = _my_exports(request, now)
    if not shows(request, REVIEWER):
        return exports
    pending = CancellationRequest.objects.filter(status=CancellationRequest.Status.PENDING_REVIEW)
    oldest_pending = pending.order_by("requested_at").values_list("requested_at", flat=True).first()
    alternative = Refund.objects.filter(route=Refund.Route.ALTERNATIVE, status=Refund.Status.PENDING)
    oldest_refund = alternative.order_by("created_at").values_list("created_at", flat=True).first()

    queues = Panel(
        key="orders-review-queues",
        title=_("Review queues"),
        roles=(REVIEWER,),
        order=10,
        queues=[
            Queue(
                label=_("cancellation requests to review"),
                count=pending.count(),
                url=changelist_url("orders", "cancellationrequest", status__exact="pending_review"),
                tone="warn",
                hint=_waiting_hint(oldest_pending, now),
            ),
            Queue(
                label=_("refunds waiting for an alternative route"),
                count=alternative.count(),
                url=changelist_url("orders", "alternativerouterefund"),
                tone="danger",
                hint=_waiting_hint(oldest_refund, now),
            ),
        ],
    )

    # Every status listed so the (status, -requested_at) index serves the range.
    requests = CancellationRequest.objects.filter(status__in=CancellationRequest.Status.values)
    label = _("Cancellation requests per day")
    chart = Panel(
        key="orders-cancellations-chart",
        title=label,
        roles=(REVIEWER,),
        order=50,
        chart=Chart.daily(
            label,
            daily_series(requests, "requested_at", now=now),
            unit=pgettext("chart unit", "requests"),
        ),
    )
    return [*exports, queues, chart]
