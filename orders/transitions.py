"""Allowed order status moves (O1) in one table, and the error a refused
move answers with."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .errors import OrderError
from .models import Order

S = Order.Status

ALLOWED: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.AWAITING_SHIPMENT, S.CLOSED},
    S.AWAITING_SHIPMENT: {S.SHIPPED, S.CANCELLED, S.CLOSED},
    S.SHIPPED: {S.COMPLETED, S.CLOSED},
    S.COMPLETED: {S.CLOSED},
    S.CANCELLED: set(),
    S.CLOSED: set(),
}

# Why an order in a given status refuses a fulfilment move.
_REFUSAL = {
    S.PENDING_PAYMENT: ("not_paid", _("The order is not paid yet.")),
    S.SHIPPED: ("already_shipped", _("The order is already shipped.")),
    S.COMPLETED: ("already_shipped", _("The order is already shipped and completed.")),
    S.CANCELLED: ("order_cancelled", _("The order is cancelled.")),
    S.CLOSED: ("order_closed", _("The order is closed.")),
}


def require_status(order: Order, *allowed: str) -> None:
    """Raise the stable error for ``order.status`` unless it is in ``allowed``."""
    if order.status in allowed:
        return
    code, detail = _REFUSAL.get(order.status, ("invalid_status", _("The order is not in a state that allows this.")))
    raise OrderError(code, detail)


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, set())
