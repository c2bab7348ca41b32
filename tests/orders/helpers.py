"""Small helpers shared by the orders tests."""

from __future__ import annotations

from datetime import UTC, datetime

from orders.models import Order

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Asia/Shanghai


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def events(order: Order) -> list[str]:
    return list(order.events.order_by("created_at", "id").values_list("kind", flat=True))
