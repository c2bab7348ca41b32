"""A1–A2 (issue 13, ``SCOPE=after_sales``): what a decision records on the
after-sale and the order, exactly, and the refusal of a second decision."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from orders.errors import OrderError
from orders.models import AfterSale
from orders.services import after_sale_approve, after_sale_open, after_sale_reject
from tests.factories import ProductFactory, order_placed
from tests.orders.helpers import T0, fresh

pytestmark = pytest.mark.django_db
AT = T0 + timedelta(hours=3)


def _open(shop, *, amount="0.00", kind=AfterSale.Type.EXCHANGE):
    order = order_placed(shop=shop, product=ProductFactory(shop=shop, price=Decimal("50.00")), now=T0)
    return after_sale_open(order=order, type=kind, reason=AfterSale.Reason.NO_REASON_7D, amount=Decimal(amount), now=T0)


def test_a2_approval_records_who_when_and_the_trimmed_note(merchant, shop_a):
    after_sale = _open(shop_a)
    assert fresh(after_sale.order).in_after_sale is True
    after_sale_approve(after_sale=after_sale, note="  换新  ", by=merchant, now=AT)
    row = AfterSale.objects.get(pk=after_sale.pk)
    assert (row.status, row.decided_by_id, row.decided_at, row.decision_note) == ("approved", merchant.pk, AT, "换新")
    assert fresh(after_sale.order).in_after_sale is False


def test_a2_rejection_records_who_when_and_the_reason(merchant, shop_a):
    after_sale = _open(shop_a)
    after_sale_reject(after_sale=after_sale, reason="  已使用  ", by=merchant, now=AT)
    row = AfterSale.objects.get(pk=after_sale.pk)
    assert (row.status, row.decided_by_id, row.decided_at, row.decision_note) == ("rejected", merchant.pk, AT, "已使用")
    assert fresh(after_sale.order).in_after_sale is False


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_a2_a_decided_after_sale_refuses_a_second_decision_in_words(merchant, shop_a, second):
    after_sale = _open(shop_a)
    after_sale_approve(after_sale=after_sale, by=merchant, now=AT)
    with translation.override("en"), pytest.raises(OrderError) as info:
        if second == "approve":
            after_sale_approve(after_sale=after_sale, by=merchant, now=AT)
        else:
            after_sale_reject(after_sale=after_sale, reason="x", by=merchant, now=AT)
    err = info.value
    assert (err.code, err.status, err.detail) == (
        "after_sale_not_pending",
        409,
        "This after-sale was already decided (Approved).",
    )
    row = AfterSale.objects.get(pk=after_sale.pk)
    assert (row.status, row.decision_note) == ("approved", "")  # unchanged


def test_a2_another_orders_open_after_sale_does_not_keep_this_order_flagged(merchant, shop_a):
    decided, other = _open(shop_a), _open(shop_a)
    after_sale_reject(after_sale=decided, reason="不符合", by=merchant, now=AT)
    assert fresh(decided.order).in_after_sale is False
    assert fresh(other.order).in_after_sale is True
