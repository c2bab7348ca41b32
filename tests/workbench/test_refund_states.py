"""Issue 15: the order page shows a failed or pending refund as such (「退款失败」
/ 「退款处理中」 with amount, attempts, next retry and the alternative route's
state), and 「已退款金额」 counts only refunds that reached the buyer."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from orders import services
from orders.models import Refund
from tests.factories import ProductFactory, order_placed

pytestmark = pytest.mark.django_db
T = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}


def _order(shop):
    return order_placed(shop=shop, product=ProductFactory(shop=shop, price=Decimal("238.00")), now=T)


def _page(client, order) -> tuple[dict, str]:
    """The order page in zh-hans: its read-only fields by label, and its HTML."""
    response = client.get(f"/admin/orders/order/{order.pk}/change/", **ZH)
    assert response.status_code == 200
    fields = {}
    for fieldset in response.context["adminform"]:
        for line in fieldset:
            for field in line:
                fields[str(field.field["label"])] = str(field.contents())
    return fields, response.content.decode()


def _refund(order, amount, cause, *, fail=False, process=True):
    refund = services.refund_issue(order=order, cause=cause, amount=Decimal(amount), now=T)
    if process:
        with override_settings(REFUND_SANDBOX_FAIL=fail):
            refund = services.refund_process(refund_id=refund.pk, now=T)
    return refund


def test_w15_failed_refund_shown_as_failed_never_counted_as_refunded(client, reviewer, shop_a):
    order = _order(shop_a)
    refund = _refund(order, "238.00", "test:failed", fail=True)
    assert (refund.route, refund.status) == (Refund.Route.ALTERNATIVE, Refund.Status.PENDING)
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("238.00")  # issued: nothing left to refund
    client.force_login(reviewer)
    fields, html = _page(client, order)
    assert fields["已退款金额"] == "¥0.00"
    assert "退款失败" in fields["未到账的退款"] and "¥238.00" in fields["未到账的退款"]
    assert "已尝试 1 次" in fields["未到账的退款"] and "等待通过其他途径退款" in fields["未到账的退款"]
    assert f"/admin/orders/alternativerouterefund/{refund.pk}/change/" in fields["未到账的退款"]
    assert "退款失败（等待其他途径退款）" in html  # the refunds table

    # settled on the alternative route: now it reached the buyer
    services.refund_settle_alternative(refund=refund, by=reviewer, note="银行转账", now=T + timedelta(hours=1))
    fields, html = _page(client, order)
    assert fields["已退款金额"] == "¥238.00" and fields["未到账的退款"] == "—"
    assert "已通过其他途径退款" in html


def test_w15_pending_refund_shown_in_progress_with_next_retry(client, reviewer, shop_a):
    order = _order(shop_a)
    paid = _refund(order, "38.00", "test:paid")
    assert paid.status == Refund.Status.SUCCEEDED
    with override_settings(REFUND_SANDBOX_MODE="timeout"):
        pending = _refund(order, "100.00", "test:pending")
    assert (pending.route, pending.status, pending.attempts) == (Refund.Route.ORIGINAL, Refund.Status.PENDING, 1)
    client.force_login(reviewer)
    fields, html = _page(client, order)
    assert fields["已退款金额"] == "¥38.00"
    text = fields["未到账的退款"]
    assert "退款处理中" in text and "¥100.00" in text and "已尝试 1 次" in text
    next_retry = pending.next_attempt_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert f"下次重试 {next_retry}" in text and pending.next_attempt_at > T
    assert "退款失败" not in text and "退款成功" in html


def test_w15_support_sees_the_failure_without_a_link_it_cannot_open(client, support, shop_a):
    order = _order(shop_a)
    _refund(order, "238.00", "test:failed", fail=True)
    client.force_login(support)
    fields, _html = _page(client, order)
    assert "退款失败" in fields["未到账的退款"]
    assert "alternativerouterefund" not in fields["未到账的退款"]


@pytest.mark.parametrize(
    "mode, reason",
    [
        ("timeout", "支付渠道未在时限内应答"),
        ("connection_error", "无法连接支付渠道"),
        ("refuse", "原路退款被拒：沙箱：原支付渠道不可用"),
    ],
)
def test_w15_refund_list_says_why_the_original_route_failed(client, reviewer, shop_a, mode, reason):
    """F1 with issue 15: the refund list reads the gateway's answer for a
    person (no ``TimeoutError:`` record, no English), in the column
    「原路退款失败原因」; the raw record stays in ``last_error`` for operators."""
    order = _order(shop_a)
    refund = services.refund_issue(order=order, cause="test:why", amount=Decimal("238.00"), now=T)
    with override_settings(REFUND_SANDBOX_MODE=mode):
        refund = services.refund_process(refund_id=refund.pk, now=T)
    assert refund.last_error  # kept as recorded
    client.force_login(reviewer)
    html = client.get("/admin/orders/refund/", **ZH).content.decode()
    assert "原路退款失败原因" in html and reason in html
    assert "TimeoutError" not in html and "ConnectionError" not in html and "sandbox" not in html


def test_w15_refund_paid_at_once_has_no_failure_reason(client, reviewer, shop_a):
    order = _order(shop_a)
    _refund(order, "238.00", "test:paid")
    client.force_login(reviewer)
    html = client.get("/admin/orders/refund/", **ZH).content.decode()
    assert "原路退款被拒" not in html and "支付渠道" not in html
