"""The order timeline: every state change writes one ``OrderEvent``."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..models import Actor, Order, OrderEvent
from ..serializers import OrderListSerializer
from ..webhooks.outbox import webhook_event_emit

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
}


def order_push_data(order: Order, event: OrderEvent) -> dict:
    """W1: the order as the merchant API lists it (phone masked), and the event."""
    fresh = Order.objects.select_related("shop").prefetch_related("items").get(pk=order.pk)
    data = dict(OrderListSerializer(fresh, context={"now": event.created_at}).data)
    data["event"] = {"kind": event.kind, "note": event.note, "data": event.data}
    return data


def actor_role_of(user) -> str:
    """The role a user acts in, for the timeline."""
    from ..roles import INTAKE, REVIEWER, SUPPORT

    if user is None or not getattr(user, "is_authenticated", False):
        return Actor.SYSTEM
    names = set(user.groups.values_list("name", flat=True))
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
