"""The order timeline: every state change writes one ``OrderEvent``."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..models import Actor, Order, OrderEvent


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
    return OrderEvent.objects.create(
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
