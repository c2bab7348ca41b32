"""P7 wiring: the penalties beat task runs the orders app's set-based auto-close."""

from datetime import timedelta

import pytest

from orders.models import Order, Refund
from penalties import tasks
from penalties.models import JobRun
from tests.factories import order_placed

from .conftest import at, sh, ship

pytestmark = pytest.mark.django_db

T = sh(2026, 1, 1, 10, 0)


def test_p7_auto_close_after_150_days_refunds_in_full_once(shop_a):
    """An order placed 150 days ago, never shipped, is closed and fully
    refunded by the daily task; a shipped one and a younger one are not; the
    second run of the same business day is a no-op."""
    old = order_placed(shop=shop_a, now=T, paid_at=T)
    shipped = order_placed(shop=shop_a, now=T, paid_at=T)
    ship(shipped, T + timedelta(hours=3))
    young = order_placed(shop=shop_a, now=T + timedelta(days=2), paid_at=T + timedelta(days=2))

    with at(T + timedelta(days=149, hours=12)):  # the business day before
        assert tasks.auto_close_orders.delay().get()["closed"] == 0
    with at(T + timedelta(days=150, hours=1)):
        counts = tasks.auto_close_orders.delay().get()
        again = tasks.auto_close_orders.delay().get()
    assert counts["closed"] == 1 and "skipped" in again
    old.refresh_from_db()
    assert old.status == Order.Status.CLOSED and old.refunded_amount == old.total_amount
    assert Refund.objects.get(order=old).amount == old.total_amount
    assert Order.objects.get(pk=shipped.pk).status == Order.Status.SHIPPED
    assert Order.objects.get(pk=young.pk).status == Order.Status.AWAITING_SHIPMENT
    assert JobRun.objects.filter(job="auto_close_orders").count() == 2
