"""P7 service (the penalties app owns the beat entry): set-based auto-close."""

from datetime import timedelta
from decimal import Decimal

import pytest

from orders.models import Order, Refund
from orders.services import orders_auto_close
from tests.factories import ProductFactory, order_placed
from tests.orders.helpers import T0, events, fresh

pytestmark = pytest.mark.django_db


def test_p7_orders_auto_close_refunds_once(shop_a, settings, django_capture_on_commit_callbacks):
    """Orders awaiting shipment 150 days after placement are closed and
    refunded in full (the rest), once: a rerun does nothing. Shipped, unpaid
    and younger orders are untouched."""
    # given
    product = ProductFactory(shop=shop_a, price=Decimal("50.00"))
    old = [order_placed(shop=shop_a, product=product, placed_at=T0 - timedelta(days=151)) for _ in range(3)]
    young = order_placed(shop=shop_a, product=product, placed_at=T0 - timedelta(days=149))
    unpaid = order_placed(shop=shop_a, product=product, paid=False, placed_at=T0 - timedelta(days=200))
    from orders.services import order_ship, refund_issue

    shipped = order_placed(shop=shop_a, product=product, placed_at=T0 - timedelta(days=160))
    order_ship(order=shipped, carrier="SF", tracking_no="1", by=None, now=T0 - timedelta(days=159))
    refund_issue(order=old[0], cause="partial", amount=Decimal("20.00"), now=T0)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        summary = orders_auto_close(now=T0, chunk=2)
    again = orders_auto_close(now=T0)
    # then
    nothing_pending = {"cancellations": 0, "after_sales": 0, "tickets": 0}
    assert summary == {"closed": 3, "refunds": 3, **nothing_pending}
    assert again == {"closed": 0, "refunds": 0, **nothing_pending}
    for o in old:
        o = fresh(o)
        assert o.status == "closed" and o.refunded_amount == o.total_amount and o.closed_at == T0
        assert "auto_closed" in events(o)
    auto = Refund.objects.get(cause=f"auto_close:{old[0].pk}")
    assert auto.amount == Decimal("30.00") and auto.status == "succeeded"
    assert Refund.objects.filter(cause__startswith="auto_close:", status="succeeded").count() == 3
    assert {fresh(young).status, fresh(unpaid).status, fresh(shipped).status} == {
        "awaiting_shipment",
        "pending_payment",
        "shipped",
    }
    assert Order.objects.filter(status="closed").count() == 3
