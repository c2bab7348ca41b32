"""Order status moves (O1) in ONE declared table, and the only code that
writes ``Order.status``.

- ``order_move(order, to)``: an instance move, checked against ``ALLOWED``
  (a refused move is the 409 ``invalid_transition``); the caller saves.
- ``orders_move(queryset, from_status, to, **fields)``: the set-based twin
  (a conditional ``UPDATE … WHERE status = from_status``) for the beat jobs.

``Order.save`` and ``Order.objects.update`` refuse any other status write
(``StatusWriteOutsideTable``), and ``tests/orders/test_transitions.py``
walks every edge through the public surface and scans the code for raw SQL
that would write the column behind this table's back."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .errors import OrderError
from .models import ORDER_STATUS_MOVE, Order, OrderQuerySet

S = Order.Status

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.AWAITING_SHIPMENT, S.CLOSED}),  # paid · unpaid for 30 min (O6)
    S.AWAITING_SHIPMENT: frozenset({S.SHIPPED, S.CANCELLED, S.CLOSED}),  # O3 · C · P7 or fully refunded
    S.SHIPPED: frozenset({S.COMPLETED, S.CLOSED}),  # delivered + confirmation window (O6) · fully refunded
    S.COMPLETED: frozenset({S.CLOSED}),  # fully refunded after an after-sale
    S.CANCELLED: frozenset(),
    S.CLOSED: frozenset(),
}
EDGES: frozenset[tuple[str, str]] = frozenset((a, b) for a, tos in ALLOWED.items() for b in tos)

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
    return to_status in ALLOWED.get(from_status, frozenset())


def order_move(order: Order, to_status: str) -> str:
    """Move ``order`` to ``to_status`` if the table allows it; returns the
    status it left. The caller saves (with ``status`` in its fields)."""
    from_status = order.status
    if not can_move(from_status, to_status):
        raise OrderError(
            "invalid_transition",
            _("An order cannot go from %(from)s to %(to)s.") % {"from": from_status, "to": to_status},
        )
    order.status = to_status
    order._status_move = (from_status, to_status)
    return from_status


def orders_move(queryset: OrderQuerySet, from_status: str, to_status: str, **fields) -> int:
    """Set-based move of the orders of ``queryset`` still in ``from_status``;
    returns how many moved. A move the table does not declare is a bug
    (``ValueError``), not a request to refuse."""
    if not can_move(from_status, to_status):
        raise ValueError(f"{from_status} -> {to_status} is not in orders.transitions.ALLOWED")
    token = ORDER_STATUS_MOVE.set(True)
    try:
        return queryset.filter(status=from_status).update(status=to_status, **fields)
    finally:
        ORDER_STATUS_MOVE.reset(token)
