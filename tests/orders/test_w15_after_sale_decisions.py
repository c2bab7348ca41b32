"""Issue 15 point 4 for after-sales: a reviewer decides in the merchant's
stead (A2, platform intervention) on the request's page, with the context
(order, amount, route, the buyer's reason, its age); the buttons lead to the
confirmation page and call the same services as the merchant's API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.utils import timezone

from orders.models import AfterSale, Refund
from orders.services import after_sale_open
from tests.factories import order_placed

pytestmark = pytest.mark.django_db
URL = "/admin/orders/aftersale/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def refund_request(shop_a):
    order = order_placed(shop=shop_a)
    return after_sale_open(
        order=order,
        type=AfterSale.Type.REFUND_ONLY,
        reason=AfterSale.Reason.QUALITY_ISSUE,
        amount=Decimal("12.30"),
        description="屏幕有划痕",
        now=timezone.now(),
    )


def test_a2_after_sale_page_shows_context_and_buttons_to_a_reviewer(reviewer, support, refund_request):
    change = f"{URL}{refund_request.pk}/change/"
    html = client_for(reviewer).get(change, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert refund_request.order.order_no in html and "¥12.30" in html and "屏幕有划痕" in html
    assert "原路退回" in html  # the route the refund would take
    assert f"{URL}{refund_request.pk}/approve-after-sale/" in html
    assert f"{URL}{refund_request.pk}/reject-after-sale/" in html
    as_support = client_for(support).get(change).content.decode()
    assert "approve-after-sale/" not in as_support


def test_a2_approve_button_refunds_once(reviewer, refund_request):
    client = client_for(reviewer)
    button = f"{URL}{refund_request.pk}/approve-after-sale/"
    page = client.get(button, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "¥12.30" in page and refund_request.shop.name in page
    assert not Refund.objects.filter(order=refund_request.order).exists()
    client.post(button, {"confirm": "yes", "reason": "平台介入：质量问题属实"})
    client.post(button, {"confirm": "yes", "reason": "again"})
    refund_request.refresh_from_db()
    assert refund_request.status == AfterSale.Status.APPROVED and refund_request.decided_by == reviewer
    assert Refund.objects.filter(order=refund_request.order).count() == 1
    assert "approve-after-sale/" not in client.get(f"{URL}{refund_request.pk}/change/").content.decode()


def test_a2_reject_from_the_list_needs_a_reason(reviewer, refund_request):
    client = client_for(reviewer)
    post = {"action": "reject_after_sale", ACTION_CHECKBOX_NAME: [refund_request.pk]}
    assert 'name="reason"' in client.post(URL, post).content.decode()
    client.post(URL, {**post, "confirm": "yes", "reason": ""})
    assert AfterSale.objects.get(pk=refund_request.pk).status == AfterSale.Status.PENDING
    client.post(URL, {**post, "confirm": "yes", "reason": "已超过七天"})
    row = AfterSale.objects.get(pk=refund_request.pk)
    assert row.status == AfterSale.Status.REJECTED and row.decision_note == "已超过七天"
    assert not Refund.objects.filter(order=refund_request.order).exists()
