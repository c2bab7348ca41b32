"""Rows the workbench panels count, made through the real orders services."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.test import override_settings

from orders import services
from orders.models import CancellationRequest, Refund
from tests.factories import order_placed


def pending_cancellation(*, shop, by, at: datetime, phone: str = "13812345678") -> CancellationRequest:
    """A cancellation request made at ``at``, 5 minutes after payment (C1)."""
    paid = at - timedelta(minutes=5)
    order = order_placed(shop=shop, now=paid, placed_at=paid, paid_at=paid, phone=phone)
    return services.cancellation_request(
        order=order, reason=CancellationRequest.Reason.OUT_OF_STOCK, detail="", by=by, now=at
    )


def refund_on_alternative_route(*, shop, at: datetime) -> Refund:
    """A refund the original route refused (F1): it waits in the reviewers' queue."""
    order = order_placed(shop=shop, now=at)
    with override_settings(REFUND_SANDBOX_FAIL=True):
        refund = services.refund_issue(order=order, cause=f"test:{order.order_no}", amount=Decimal("10.00"), now=at)
        refund = services.refund_process(refund_id=refund.pk, now=at)
    assert refund.route == Refund.Route.ALTERNATIVE
    return refund
