"""The order timeline: every state change writes one ``OrderEvent``."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.utils import timezone

from ..models import Actor, Order, OrderEvent
from ..serializers import OrderListSerializer
from ..webhooks.outbox import webhook_event_emit
from ..webhooks.outbox_sql import listening_endpoints, outbox_emit_rows

# W1: the pushed event types an order timeline entry stands for.
PUSHED = {
    "paid": ("order.paid",),
    "shipped": ("order.shipped",),
    "cancelled": ("order.cancelled", "cancellation.decided"),
    "cancel_rejected": ("cancellation.decided",),
    "completed": ("order.completed",),
    "refund_succeeded": ("refund.succeeded",),
    "refund_failed": ("refund.alternative",),
    "after_sale_opened": ("after_sale.opened",),
    "after_sale_approved": ("after_sale.decided",),
    "after_sale_rejected": ("after_sale.decided",),
    "appeal_approved": ("appeal.decided",),
    "appeal_rejected": ("appeal.decided",),
    # Written by the set-based jobs (``order_events_push_bulk``).
    "closed_unpaid": ("order.closed",),
    "auto_closed": ("order.closed",),
    "cancellation_closed": ("cancellation.decided",),
    "after_sale_closed": ("after_sale.decided",),
}


def order_push_data(order: Order, event: OrderEvent) -> dict:
    """W1: the order as the merchant API lists it (phone masked), and the event."""
    fresh = Order.objects.select_related("shop").prefetch_related("items").get(pk=order.pk)
    data = dict(OrderListSerializer(fresh, context={"now": event.created_at}).data)
    data["event"] = {"kind": event.kind, "note": event.note, "data": event.data}
    return data


def order_events_push_bulk(*, rows: list[tuple[int, str, int, str, dict]], now: datetime) -> int:
    """W1 for the set-based order jobs (O6 completion and unpaid close, P7
    auto-close and what it resolves): ``rows`` are the timeline entries they
    bulk-wrote, ``(order_id, kind, source_id, note, data)`` with
    ``source_id`` the row the event is about (the order, the cancellation,
    the after-sale). In the job's transaction; payloads as ``order_push_data``
    builds them, with two queries per chunk, and only for shops that listen."""
    wanted: dict[str, list[tuple[int, str, int, str, dict]]] = defaultdict(list)
    for row in rows:
        for event_type in PUSHED.get(row[1], ()):
            wanted[event_type].append(row)
    listening = {t: eps for t in wanted if (eps := listening_endpoints(type=t))}
    if not listening:
        return 0
    shops = {shop for eps in listening.values() for shop in eps}
    order_ids = {row[0] for t in listening for row in wanted[t]}
    orders = {
        o.pk: o
        for o in Order.objects.filter(pk__in=order_ids, shop_id__in=shops)
        .select_related("shop")
        .prefetch_related("items")
    }
    listed: dict[int, dict] = {}
    written = 0
    for event_type, endpoints in listening.items():
        out = []
        for order_id, kind, source_id, note, data in wanted[event_type]:
            order = orders.get(order_id)
            if order is None or order.shop_id not in endpoints:
                continue
            if order_id not in listed:
                listed[order_id] = dict(OrderListSerializer(order, context={"now": now}).data)
            event = {"kind": kind, "note": note, "data": data}
            out.append((order.shop_id, source_id, {**listed[order_id], "event": event}))
        written += outbox_emit_rows(type=event_type, rows=out, now=now, endpoints=endpoints)
    return written


def actor_role_of(user) -> str:
    """The role a user acts in, for the timeline."""
    from ..roles import INTAKE, REVIEWER, SUPPORT

    if user is None or not getattr(user, "is_authenticated", False):
        return Actor.SYSTEM
    names = getattr(user, "_group_names", None)  # cached as config.api.in_group does
    if names is None:
        names = user._group_names = set(user.groups.values_list("name", flat=True))
    if REVIEWER in names or user.is_superuser:
        return Actor.REVIEWER
    if SUPPORT in names:
        return Actor.SUPPORT
    if INTAKE in names:
        return Actor.INTAKE
    return Actor.MERCHANT


def order_event_record(
    *,
    order: Order,
    kind: str,
    by=None,
    now: datetime,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    data: dict | None = None,
    actor_role: str | None = None,
) -> OrderEvent:
    # W2: a new event is a change of the order as the API shows it (timeline,
    # refunds, cancellation): it moves the order's change time.
    order.updated_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(updated_at=order.updated_at)
    event = OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=by if getattr(by, "is_authenticated", False) else None,
        actor_role=actor_role or actor_role_of(by),
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
        created_at=now,
    )
    types = list(PUSHED.get(kind, ()))
    if kind == "refund_issued" and to_status == Order.Status.CLOSED:
        types.append("order.closed")
    for event_type in types:
        webhook_event_emit(shop_id=order.shop_id, type=event_type, data=lambda: order_push_data(order, event), now=now)
    return event
