"""P7: the daily auto-close job, delegated to the orders app's set-based
``orders_auto_close`` (it closes orders placed 150 days ago or more, not
shipped and not refunded, and refunds them in full through the refund
service, F1)."""

from __future__ import annotations

from datetime import datetime


def orders_auto_close_run(*, now: datetime) -> dict:
    """Rule P7."""
    from orders.services import orders_auto_close

    return orders_auto_close(now=now)
