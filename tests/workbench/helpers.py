"""Rows the workbench panels count. The orders helper's cancellation and
refund services are not on main yet, so these write the rows directly."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from orders.models import CancellationRequest, Refund
from tests.factories import order_placed


def pending_cancellation(*, shop, by, at: datetime) -> CancellationRequest:
    order = order_placed(shop=shop, now=at)
    return CancellationRequest.objects.create(
        order=order, shop=shop, reason=CancellationRequest.Reason.OUT_OF_STOCK, requested_by=by, requested_at=at
    )


def refund_on_alternative_route(*, shop, at: datetime) -> Refund:
    order = order_placed(shop=shop, now=at)
    return Refund.objects.create(
        order=order,
        shop=shop,
        cause=f"test:{order.order_no}",
        amount=Decimal("10.00"),
        route=Refund.Route.ALTERNATIVE,
        created_at=at,
    )
