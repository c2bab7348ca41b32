"""R1 exactly (issue 13, mutation testing): only an approved cancellation
counts against the shop; a shop with nothing in the window has every
component at 0 of 0; the rating row records when it was computed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orders.services import cancellation_approve, cancellation_reject, cancellation_request
from penalties.models import ShopRating
from penalties.services import ratings_compute
from tests.factories import order_placed

from .conftest import sh

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)
DAY = sh(2026, 3, 10, 0, 0).date()
NOW = sh(2026, 3, 11, 1, 30)


def test_r1_only_an_approved_cancellation_counts(shop_a, merchant, reviewer):
    approved, rejected, pending = (order_placed(shop=shop_a, now=T, paid_at=T) for _ in range(3))
    for order in (approved, rejected, pending):
        request = cancellation_request(order=order, reason="out_of_stock", by=merchant, now=T + timedelta(minutes=5))
        if order is approved:
            cancellation_approve(cancellation=request, by=reviewer, now=T + timedelta(hours=1))
        elif order is rejected:
            cancellation_reject(cancellation=request, by=reviewer, reason="买家已付款", now=T + timedelta(hours=1))
    ratings_compute(day=DAY, now=NOW)
    comps = ShopRating.objects.get(shop=shop_a, day=DAY).components
    assert (comps["merchant_cancellation"]["numerator"], comps["merchant_cancellation"]["denominator"]) == (1, 3)


def test_r1_a_shop_with_nothing_in_the_window_is_0_of_0_everywhere(shop_a, shop_b):
    order_placed(shop=shop_a, now=T, paid_at=T)
    ratings_compute(day=DAY, now=NOW)
    rating = ShopRating.objects.get(shop=shop_b, day=DAY)
    assert rating.computed_at == NOW
    for name in ("overdue_shipment", "merchant_cancellation", "quality_return", "ticket_timeout"):
        assert (rating.components[name]["numerator"], rating.components[name]["denominator"]) == (0, 0), name
    assert ShopRating.objects.get(shop=shop_a, day=DAY).components["overdue_shipment"]["denominator"] == 1
