"""Issue 15: what the admin shows a person instead of a stored code.

- :func:`event_label`: an order/ticket event, notification or ledger kind
  (``overdue_judged`` → 判定发货超时); an unknown kind is humanised, never
  shown as the code.
- :func:`money`: ``Decimal("1940")`` → ``¥1,940.00``.
- :func:`local_time`: an aware datetime (or its ISO text) in Asia/Shanghai,
  to the minute.
- :func:`data_summary`: an event's data as readable "label: value" parts
  (the ids and machine keys left out), never JSON.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    # orders
    "placed": _("Order placed"),
    "paid": _("Order paid"),
    "shipped": _("Order shipped"),
    "tracking_update": _("Tracking updated"),
    "tracking_corrected": _("Tracking number corrected"),
    "cancel_requested": _("Cancellation requested"),
    "cancel_rejected": _("Cancellation rejected"),
    "cancelled": _("Order cancelled"),
    "completed": _("Order completed"),
    "refund_issued": _("Refund issued"),
    "refund_succeeded": _("Refund succeeded"),
    "refund_failed": _("Refund failed"),
    "refund_alternative_route": _("Refund moved to an alternative route"),
    "refund_settled": _("Refund settled on the alternative route"),
    "overdue_judged": _("Judged overdue for shipment"),
    "after_sale_opened": _("After-sale opened"),
    "after_sale_approved": _("After-sale approved"),
    "after_sale_rejected": _("After-sale rejected"),
    "appeal_filed": _("Appeal filed"),
    "appeal_approved": _("Appeal approved"),
    "appeal_rejected": _("Appeal rejected"),
    # notifications
    "cancellation_approved": _("Cancellation approved"),
    "cancellation_rejected": _("Cancellation rejected"),
    "deduction_reversed": _("Deduction reversed"),
    "deposit_negative": _("Deposit below zero"),
    "deposit_topped_up": _("Deposit topped up"),
    "logistics_abnormal": _("Logistics abnormal"),
    "ticket_opened": _("Service ticket opened"),
    "ticket_rejected": _("Service ticket rejected"),
    "ticket_status": _("Service ticket status changed"),
    "ticket_due": _("Service ticket due soon"),
    "ticket_reminder": _("Service ticket due soon"),
    "ticket_timed_out": _("Service ticket timed out"),
    "deposit_deducted": _("Deposit deducted"),
    "shop_suspend": _("Shop suspended"),
    "shop_clear": _("Shop cleared out"),
    "shop_lift": _("Suspension lifted"),
    # tickets
    "opened": _("Ticket opened"),
    "replied": _("Merchant replied"),
    "reminded": _("Reminder sent"),
    "rejected": _("Rejected by support"),
    "approved": _("Approved by support"),
    "agreed": _("Agreement with the buyer recorded"),
    "timed_out": _("Timed out, closed by platform rule"),
}

JOB_LABELS = {
    "auto_close_orders": _("Close unpaid orders"),
    "compute_ratings": _("Compute shop ratings"),
    "judge_overdue_shipments": _("Judge overdue shipments"),
    "run_deductions": _("Deduct deposits"),
}

# Rating components (penalties.formula) and a job run's counts.
COUNT_LABELS = {
    "overdue_shipment": _("overdue shipments"),
    "merchant_cancellation": _("cancellations by the merchant"),
    "quality_return": _("quality returns"),
    "ticket_timeout": _("ticket timeouts"),
}

# Keys of an event's data a person may read, with their labels.
DATA_LABELS = {
    "ship_by": _("ship by"),
    "reason": _("reason"),
    "amount": _("amount"),
    "carrier": _("carrier"),
    "tracking_no": _("tracking number"),
    "type": _("type"),
    "count": _("count"),
    "cause": _("cause"),
    "route": _("route"),
    "event_at": _("at"),
}


def event_label(kind: str) -> str:
    label = EVENT_LABELS.get(kind)
    if label is not None:
        return str(label)
    return kind.replace("_", " ").replace(":", " ") if kind else "—"


def cause_label(cause: str) -> str:
    """A refund's cause: ``cancellation:3`` → 取消申请, ``after_sale:2`` → 售后单."""
    kind = (cause or "").split(":", 1)[0]
    labels = {"cancellation": _("Cancellation request"), "after_sale": _("After-sale")}
    return str(labels.get(kind, kind.replace("_", " ")))


def job_label(job: str) -> str:
    return str(JOB_LABELS.get(job, job.replace("_", " ")))


def counts_summary(counts: dict | None) -> str:
    """A job run's counts as ``判定 3 · 扣款 2``, never JSON."""
    parts = []
    for key, value in (counts or {}).items():
        label = COUNT_LABELS.get(key) or DATA_LABELS.get(key) or key.replace("_", " ")
        parts.append(f"{label} {value}")
    return " · ".join(parts) or "—"


def money(amount) -> str:
    """``¥1,940.00`` (``-¥10.00`` for a negative amount); ``—`` for none."""
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def local_time(value) -> str:
    """An aware datetime (or ISO text) as Asia/Shanghai local time, to the minute."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    return formats.date_format(value, "Y-m-d")


def data_summary(data: dict | None, *, choices: dict | None = None) -> str:
    """``{"ship_by": "2026-12-05T09:32…", "reason": "out_of_stock"}`` →
    ``最晚发货时间 2026-12-05 17:32 · 原因 商品缺货``; ids and machine keys are left
    out. ``choices`` maps a key to {code: label} for coded values."""
    parts = []
    for key, value in (data or {}).items():
        label = DATA_LABELS.get(key)
        if label is None or value in (None, "", [], {}):
            continue
        if key in {"ship_by", "event_at"}:
            shown = local_time(value)
        elif key == "amount":
            shown = money(value)
        elif key == "cause":
            shown = cause_label(str(value))
        elif choices and key in choices:
            shown = str(choices[key].get(value, event_label(str(value))))
        else:
            shown = str(value)
        parts.append(f"{label} {shown}")
    return " · ".join(parts)


def yes_no(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


class TimelineInlineMixin:
    """A read-only inline of events drawn as a timeline: when (local time),
    who (role and user), what (the event in words), from → to (status
    labels), note (and the readable part of the event's data). Set
    ``status_choices`` to the model's status choices and, optionally,
    ``data_choices`` ({data key: {code: label}})."""

    fields = ["when", "who", "what", "change", "details"]
    readonly_fields = fields
    status_choices: dict = {}
    data_choices: dict = {}

    def when(self, obj) -> str:
        return local_time(obj.created_at)

    when.short_description = _("time")

    def who(self, obj) -> str:
        role = obj.get_actor_role_display() if getattr(obj, "actor_role", "") else ""
        name = str(obj.actor) if getattr(obj, "actor_id", None) else ""
        return " · ".join(part for part in (role, name) if part) or "—"

    who.short_description = _("who")

    def what(self, obj) -> str:
        return event_label(obj.kind)

    what.short_description = _("what")

    def change(self, obj) -> str:
        if not (obj.from_status or obj.to_status):
            return "—"
        labels = {key: str(value) for key, value in self.status_choices.items()}
        before = labels.get(obj.from_status, obj.from_status) or "—"
        after = labels.get(obj.to_status, obj.to_status) or "—"
        return f"{before} → {after}"

    change.short_description = _("from → to")

    def details(self, obj) -> str:
        summary = data_summary(getattr(obj, "data", None), choices=self.data_choices)
        return " · ".join(part for part in (obj.note, summary) if part) or "—"

    details.short_description = _("note")


def labelled_values_filter(label_of):
    """A list filter over a code field's stored values, shown by their labels
    (``label_of(code)``), e.g. ``("kind", labelled_values_filter(event_label))``."""
    from django.contrib.admin import AllValuesFieldListFilter

    class LabelledValuesFilter(AllValuesFieldListFilter):
        def choices(self, changelist):
            for choice in super().choices(changelist):
                value = choice.get("display")
                if choice.get("selected") is not None and value not in (None, "") and value in self.lookup_choices:
                    choice = {**choice, "display": label_of(value)}
                yield choice

    return LabelledValuesFilter


URGENCY_STYLE = {
    "overdue": "color:#b91c1c;font-weight:600",  # red: past the deadline
    "soon": "color:#b91c1c;font-weight:600",  # red: within 2 h
    "today": "color:#b45309;font-weight:600",  # amber: later today
    "later": "color:#15803d",  # green
}


def urgency(deadline: datetime, now: datetime, *, soon_hours: int = 2) -> str:
    """``overdue`` / ``soon`` (within ``soon_hours``) / ``today`` (later this
    Asia/Shanghai day) / ``later``: exclusive, as the workbench counts them."""
    from datetime import timedelta

    if deadline < now:
        return "overdue"
    if deadline < now + timedelta(hours=soon_hours):
        return "soon"
    if timezone.localdate(deadline) == timezone.localdate(now):
        return "today"
    return "later"


def time_left(deadline: datetime | None, now: datetime, *, soon_hours: int = 2) -> str:
    """``<span data-urgency=… style=…>剩 3 小时 05 分</span>`` (``已超时 20 分`` past it)."""
    from django.utils.html import format_html

    if deadline is None:
        return "—"
    bucket = urgency(deadline, now, soon_hours=soon_hours)
    seconds = int(abs((deadline - now).total_seconds()))
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    if bucket == "overdue":
        text = gettext("%(h)d h %(m)02d min overdue") % {"h": hours, "m": minutes}
    else:
        text = gettext("%(h)d h %(m)02d min left") % {"h": hours, "m": minutes}
    return format_html('<span data-urgency="{}" style="{}">{}</span>', bucket, URGENCY_STYLE[bucket], text)
