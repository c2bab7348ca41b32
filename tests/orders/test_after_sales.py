"""A1–A2: after-sales opened through intake, decided by the merchant."""

from decimal import Decimal

import pytest

from orders.models import AfterSale, Refund
from tests.factories import order_placed
from tests.orders.helpers import fresh

pytestmark = pytest.mark.django_db


def _open(api, storefront, order, **kw):
    body = {"order_no": order.order_no, "type": "refund_only", "reason": "quality_issue", "amount": "99.00", **kw}
    return api(storefront).post("/api/v1/intake/after-sales/", body, format="json")


def test_a1_types_and_reasons_flag_in_after_sale(api, storefront, merchant, shop_a):
    """Known types and reasons open a request and flag the order in_after_sale
    without changing its status; unknown ones are 400."""
    order = order_placed(shop=shop_a)
    assert _open(api, storefront, order, type="swap").status_code == 400
    assert _open(api, storefront, order, reason="meh").status_code == 400
    created = _open(api, storefront, order, type="exchange", reason="wrong_item", amount="0")
    assert created.status_code == 201, created.json()
    order = fresh(order)
    assert order.in_after_sale and order.status == "awaiting_shipment"
    listed = api(merchant).get(f"/api/v1/after-sales/?order_no={order.order_no}&type=exchange").json()["results"]
    assert [r["id"] for r in listed] == [created.json()["id"]]
    assert api(merchant).get("/api/v1/orders/?in_after_sale=true").json()["results"][0]["order_no"] == order.order_no


def test_a2_approval_of_refund_type_issues_refund_and_closes_when_full(api, storefront, merchant, shop_a):
    """Approving a refund_only request for the whole amount refunds once and
    closes the order; in_after_sale is cleared; the reason stays the buyer's."""
    order = order_placed(shop=shop_a)
    asid = _open(api, storefront, order).json()["id"]
    response = api(merchant).post(f"/api/v1/after-sales/{asid}/approve/", {"note": "同意", "reason": "other"})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    order = fresh(order)
    assert order.status == "closed" and not order.in_after_sale
    refund = Refund.objects.get(order=order)
    assert refund.cause == f"after_sale:{asid}" and refund.amount == Decimal("99.00")
    assert AfterSale.objects.get(pk=asid).reason == "quality_issue"
    again = api(merchant).post(f"/api/v1/after-sales/{asid}/approve/")
    assert again.status_code == 409 and Refund.objects.count() == 1


def test_a2_partial_refund_keeps_status_and_reject_needs_reason(api, storefront, merchant, shop_a):
    order = order_placed(shop=shop_a)
    asid = _open(api, storefront, order, amount="30.00", type="return_refund").json()["id"]
    assert api(merchant).post(f"/api/v1/after-sales/{asid}/approve/").status_code == 200
    assert fresh(order).status == "awaiting_shipment" and fresh(order).refunded_amount == Decimal("30.00")
    second = _open(api, storefront, order, amount="10.00", reason="no_reason_7d").json()["id"]
    assert api(merchant).post(f"/api/v1/after-sales/{second}/reject/", {"reason": ""}).status_code == 400
    rejected = api(merchant).post(f"/api/v1/after-sales/{second}/reject/", {"reason": "已过7天"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert not fresh(order).in_after_sale and Refund.objects.count() == 1
