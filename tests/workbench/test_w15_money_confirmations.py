"""Issue 15 point 3: every money-moving step in the admin stops at a
confirmation page showing shop, order, amount, route and the deposit balance
before → after (and asks for a reason where the rule needs one); its button
performs the move once (a second post of the same page moves nothing); its
"back" link does nothing. Both ways in (the list action and the button on
the record's page) lead to the same page and the same service."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client, override_settings
from django.utils import timezone

from orders import services as orders_services
from orders.models import CancellationRequest, Order, Refund, Shop
from orders.policy import PLATFORM_TZ
from penalties.models import DepositEntry, ShopSanction, Violation
from penalties.services import deductions_run, deposit_top_up, violations_judge
from tests.factories import order_placed
from tests.workbench.helpers import pending_cancellation

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 2, 10, 0, tzinfo=PLATFORM_TZ)


def zh(client: Client, url: str, data=None) -> str:
    if data is None:
        return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


@pytest.fixture
def as_reviewer(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def charged(shop_a, reviewer):
    """A shop with ¥100.00 topped up and one overdue order charged ¥10.00 (P3): balance ¥90.00."""
    deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="开店保证金", now=T - timedelta(days=1))
    order = order_placed(shop=shop_a, now=T, paid_at=T)
    violations_judge(now=T + timedelta(hours=49))
    deductions_run(now=datetime(2026, 3, 5, 0, 30, tzinfo=PLATFORM_TZ))
    violation = Violation.objects.get(order=order)
    assert violation.charge_status == Violation.ChargeStatus.CHARGED
    return violation


# --- reversal of a deduction (P8) -----------------------------------------------------


def test_w15_reversal_confirmation_shows_the_figures_and_reverses_once(as_reviewer, charged, shop_a):
    url = "/admin/penalties/violation/"
    post = {"action": "reverse_deductions", ACTION_CHECKBOX_NAME: [charged.pk]}
    page = zh(as_reviewer, url, post)
    assert shop_a.name in page and charged.order.order_no in page
    assert "¥10.00" in page and "¥90.00 → ¥100.00" in page and "保证金账本" in page
    assert not DepositEntry.objects.filter(kind="reversal").exists()  # nothing moved yet
    blank = zh(as_reviewer, url, {**post, "confirm": "yes", "reason": " "})
    assert 'name="reason"' in blank and not DepositEntry.objects.filter(kind="reversal").exists()  # reason required
    as_reviewer.post(url, {**post, "confirm": "yes", "reason": "申诉成立：快递罢工"})
    as_reviewer.post(url, {**post, "confirm": "yes", "reason": "申诉成立：快递罢工"})  # the same page posted twice
    assert DepositEntry.objects.filter(kind="reversal").count() == 1
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("100.00")


def test_w15_reversal_button_on_the_violation_page(as_reviewer, reviewer, support, charged):
    change = f"/admin/penalties/violation/{charged.pk}/change/"
    button = f"/admin/penalties/violation/{charged.pk}/reverse-deductions/"
    assert button in zh(as_reviewer, change)
    page = zh(as_reviewer, button)
    assert "¥90.00 → ¥100.00" in page and f'href="{change}"' in page  # back = a link to the record
    as_reviewer.post(button, {"confirm": "yes", "reason": "申诉成立"})
    assert DepositEntry.objects.filter(kind="reversal").count() == 1
    assert button not in zh(as_reviewer, change)  # reversed: no button any more
    other = Client()
    other.force_login(support)
    assert other.post(button, {"confirm": "yes", "reason": "x"}).status_code == 403


def test_w15_reversal_from_the_ledger_counts_several_on_one_shop(as_reviewer, charged, shop_a):
    """Two deductions of one shop: each row starts from the balance the previous leaves."""
    order = order_placed(shop=shop_a, now=T, paid_at=T)
    violations_judge(now=T + timedelta(hours=49))
    deductions_run(now=datetime(2026, 3, 5, 0, 30, tzinfo=PLATFORM_TZ))
    entries = list(DepositEntry.objects.filter(kind=DepositEntry.Kind.DEDUCTION).values_list("pk", flat=True))
    assert len(entries) == 2 and Violation.objects.get(order=order).charge_status == "charged"
    page = zh(
        as_reviewer, "/admin/penalties/depositentry/", {"action": "reverse_entries", ACTION_CHECKBOX_NAME: entries}
    )
    assert "¥80.00 → ¥90.00" in page and "¥90.00 → ¥100.00" in page and "¥20.00" in page  # and the total
    as_reviewer.post(
        "/admin/penalties/depositentry/",
        {"action": "reverse_entries", ACTION_CHECKBOX_NAME: entries, "confirm": "yes", "reason": "平台原因"},
    )
    assert DepositEntry.objects.filter(kind="reversal").count() == 2


# --- alternative-route settlement, "mark paid" (F1) ------------------------------------


@pytest.fixture
def refused_refund(shop_a):
    order = order_placed(shop=shop_a, now=T)
    with override_settings(REFUND_SANDBOX_FAIL=True):
        refund = orders_services.refund_issue(order=order, cause="test:alt", amount=Decimal("38.50"), now=T)
        refund = orders_services.refund_process(refund_id=refund.pk, now=T)
    assert refund.route == Refund.Route.ALTERNATIVE and refund.status == Refund.Status.PENDING
    return refund


def test_w15_mark_paid_confirmation_and_once(as_reviewer, refused_refund, shop_a):
    url = "/admin/orders/alternativerouterefund/"
    post = {"action": "mark_settled", ACTION_CHECKBOX_NAME: [refused_refund.pk]}
    page = zh(as_reviewer, url, post)
    assert shop_a.name in page and refused_refund.order.order_no in page
    assert "¥38.50" in page and "其他途径退款" in page and "（不变）" in page  # the deposit does not move
    assert Refund.objects.get(pk=refused_refund.pk).status == Refund.Status.PENDING
    as_reviewer.post(url, {**post, "confirm": "yes", "reason": "银行转账 流水 8812"})
    again = as_reviewer.post(url, {**post, "confirm": "yes", "reason": "again"}, follow=True)
    refund = Refund.objects.get(pk=refused_refund.pk)
    assert refund.status == Refund.Status.SUCCEEDED and refund.settlement_note == "银行转账 流水 8812"
    assert refund.order.events.filter(kind="refund_settled").count() == 1
    assert again.status_code == 200


def test_w15_mark_paid_button_on_the_refund_page(as_reviewer, refused_refund):
    change = f"/admin/orders/alternativerouterefund/{refused_refund.pk}/change/"
    button = f"/admin/orders/alternativerouterefund/{refused_refund.pk}/mark-settled/"
    assert button in zh(as_reviewer, change)
    assert "¥38.50" in zh(as_reviewer, button)
    assert Refund.objects.get(pk=refused_refund.pk).status == Refund.Status.PENDING  # the page alone moves nothing
    response = as_reviewer.post(button, {"confirm": "yes", "reason": ""})  # the note is optional (F1)
    assert response.status_code == 302 and response["Location"].endswith(change)
    assert Refund.objects.get(pk=refused_refund.pk).status == Refund.Status.SUCCEEDED


# --- cancellation approval (C3) -----------------------------------------------------------


def test_w15_cancellation_approval_shows_refund_amount_and_route(as_reviewer, merchant, shop_a):
    c = pending_cancellation(shop=shop_a, by=merchant, at=timezone.now() - timedelta(minutes=10))
    order = c.order
    url = "/admin/orders/cancellationrequest/"
    page = zh(as_reviewer, url, {"action": "approve", ACTION_CHECKBOX_NAME: [c.pk]})
    total = f"¥{order.total_amount:,.2f}"
    assert order.order_no in page and shop_a.name in page and total in page and "原路退回" in page
    assert "待发货 → 已取消" in page or "备货中 → 已取消" in page
    assert CancellationRequest.objects.get(pk=c.pk).status == CancellationRequest.Status.PENDING_REVIEW
    as_reviewer.post(url, {"action": "approve", ACTION_CHECKBOX_NAME: [c.pk], "confirm": "yes"})
    as_reviewer.post(url, {"action": "approve", ACTION_CHECKBOX_NAME: [c.pk], "confirm": "yes"})
    assert Refund.objects.filter(order=order).count() == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED


def test_w15_cancellation_buttons_on_the_request_page(as_reviewer, reviewer, support, merchant, shop_a):
    c = pending_cancellation(shop=shop_a, by=merchant, at=timezone.now() - timedelta(minutes=10))
    change = f"/admin/orders/cancellationrequest/{c.pk}/change/"
    html = zh(as_reviewer, change)
    assert "/approve/" in html and "/reject/" in html
    assert c.order.order_no in html and "付款后" in html  # the context: when, within the 2 h window
    other = Client()
    other.force_login(support)
    assert f"{c.pk}/approve/" not in zh(other, change)  # support may look, not decide
    reject = f"/admin/orders/cancellationrequest/{c.pk}/reject/"
    assert 'name="reason"' in zh(as_reviewer, reject, {"confirm": "yes", "reason": ""})  # reason required
    as_reviewer.post(reject, {"confirm": "yes", "reason": "库存充足，请发货"})
    c.refresh_from_db()
    assert c.status == CancellationRequest.Status.REJECTED and c.decision_reason == "库存充足，请发货"
    assert f"{c.pk}/approve/" not in zh(as_reviewer, change)  # decided: no buttons
    # an old tab: the button's page of a decided request goes back to the record
    assert as_reviewer.get(f"/admin/orders/cancellationrequest/{c.pk}/approve/").status_code == 302


# --- shop suspension / clearing (P5) -------------------------------------------------------


def test_w15_suspension_confirmation_shows_status_and_balance_and_needs_a_reason(as_reviewer, shop_a, reviewer):
    deposit_top_up(shop=shop_a, amount=Decimal("1940.00"), by=reviewer, reason="保证金", now=T)
    button = f"/admin/orders/shop/{shop_a.pk}/suspend-shops/"
    assert button in zh(as_reviewer, f"/admin/orders/shop/{shop_a.pk}/change/")
    page = zh(as_reviewer, button)
    assert shop_a.name in page and "¥1,940.00（不变）" in page and "营业中 → 停业" in page
    assert 'name="reason"' in zh(as_reviewer, button, {"confirm": "yes", "reason": ""})
    assert Shop.objects.get(pk=shop_a.pk).status == Shop.Status.ACTIVE
    as_reviewer.post(button, {"confirm": "yes", "reason": "三单超时未发货"})
    as_reviewer.post(button, {"confirm": "yes", "reason": "三单超时未发货"})
    assert Shop.objects.get(pk=shop_a.pk).status == Shop.Status.SUSPENDED
    assert ShopSanction.objects.filter(shop=shop_a).count() == 1  # the double post did not act twice
    change = zh(as_reviewer, f"/admin/orders/shop/{shop_a.pk}/change/")
    assert button not in change and f"/admin/orders/shop/{shop_a.pk}/lift-shops/" in change


def test_w15_clearing_from_the_shop_list(as_reviewer, shop_a):
    url = "/admin/orders/shop/"
    post = {"action": "clear_shops", ACTION_CHECKBOX_NAME: [shop_a.pk]}
    page = zh(as_reviewer, url, post)
    assert shop_a.name in page and "→ 清退" in page
    as_reviewer.post(url, {**post, "confirm": "yes", "reason": "售假"})
    assert Shop.objects.get(pk=shop_a.pk).status == Shop.Status.CLEARED
