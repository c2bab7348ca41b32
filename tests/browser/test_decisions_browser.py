"""Issue 15 points 3, 4 and 7 in a real browser, at desktop (1440 px) and
phone (390 px) width: the reviewer approves a cancellation, reverses a
deduction, grants an appeal, rejects an after-sale and suspends a shop from
the record's page, and marks a refund paid from the queue; support approves
and rejects tickets from the ticket's page. Every money move stops at its
confirmation page (figures checked there, nothing moved yet); every page
walked fails the test on a raw code, an English word or JSON in its visible
text, or on an admin link the user cannot open (the page checks of
``tests/workbench/test_readable_admin.py``). Screenshots of the record and
confirmation pages go to var/screenshots/."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from orders import services as orders_services
from orders.models import AfterSale, CancellationRequest, Order, Refund, Shop
from orders.policy import PLATFORM_TZ, business_day
from penalties.models import Appeal, DepositEntry, Violation
from penalties.services import appeal_file, deductions_run, deposit_top_up, violations_judge
from tests.factories import PASSWORD, order_placed
from tests.workbench.helpers import pending_cancellation
from tests.workbench.test_readable_admin import parse, problems, raw_codes
from tickets import services as ticket_services
from tickets.models import ServiceType, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": 1440, "phone": 390}


class Walk:
    """One signed-in browser tab at one width, checking every page it lands on."""

    def __init__(self, browser, live_server, user, width: str, screenshot):
        self.base = live_server.url
        self.width = width
        self.screenshot = screenshot
        self.context = browser.new_context(locale="zh-CN", viewport={"width": WIDTHS[width], "height": 900})
        self.page = self.context.new_page()
        self.codes = raw_codes()
        self.links: dict[str, int] = {}
        self.page.goto(f"{self.base}/admin/login/?next=/admin/")
        self.page.fill("#id_username", user.username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("#login-form [type=submit]")
        self.page.wait_for_url(f"{self.base}/admin/")

    def check(self, name: str = "") -> str:
        """The page reads as Chinese and links only to pages the user can open."""
        html = self.page.content()
        found = problems(html, self.codes)
        for link in sorted(parse(html).links):
            if not link.startswith("/admin/") or link.endswith("/logout/") or "/export/" in link:
                continue
            if link not in self.links:
                self.links[link] = self.page.request.get(f"{self.base}{link}", max_redirects=0).status
            if self.links[link] not in (200, 302):
                found.append(f"link {link} answers {self.links[link]}")
        assert not found, f"{self.page.url}: {found}"
        if name:
            self.screenshot(self.page, f"{self.width}-{name}")
        return self.page.locator("body").inner_text()

    def open(self, path: str, name: str = "") -> str:
        self.page.goto(f"{self.base}{path}")
        return self.check(name)

    def button(self, href: str) -> None:
        """A button on the record's page (behind the "more" toggle at phone width)."""
        link = self.page.locator(f'a[href="{href}"]').first
        link.wait_for(state="attached")
        more = self.page.locator("a:has(span.material-symbols-outlined:text-is('more_horiz'))").first
        if not link.is_visible() and more.is_visible():
            more.click()
        with self.page.expect_navigation():
            link.click()

    def confirm(self, reason: str | None = None) -> None:
        if reason is not None:
            self.page.fill("#confirm-step-form textarea[name=reason]", reason)
        with self.page.expect_navigation():
            self.page.click("#confirm-step-form input[type=submit]")

    def facts(self) -> str:
        return self.page.locator(".confirm-step").inner_text()

    def close(self) -> None:
        self.context.close()


def _charged_violations(shop, reviewer, n: int) -> list[Violation]:
    """``n`` overdue orders of ``shop`` judged and charged ¥10.00 each (P3), after a ¥100.00 top-up."""
    base = timezone.now() - timedelta(days=4)
    deposit_top_up(shop=shop, amount=Decimal("100.00"), by=reviewer, reason="开店保证金", now=base - timedelta(days=1))
    orders = [order_placed(shop=shop, now=base, paid_at=base) for _ in range(n)]
    judged = base + timedelta(hours=49)
    violations_judge(now=judged)
    deductions_run(now=datetime.combine(business_day(judged) + timedelta(days=1), time(0, 30), PLATFORM_TZ))
    return [Violation.objects.get(order=o) for o in orders]


@pytest.mark.parametrize("width", WIDTHS)
def test_w15_reviewer_money_moves_and_decisions_are_confirmed(
    browser, live_server, reviewer, merchant, shop_a, shop_b, width, screenshot
):
    reversed_one, appealed = _charged_violations(shop_a, reviewer, 2)  # balance ¥80.00
    appeal = appeal_file(
        violation=appealed, reason=Appeal.Reason.COURIER_DELAY, detail="快递揽收延误", by=merchant, now=timezone.now()
    )
    cancellation = pending_cancellation(shop=shop_b, by=merchant, at=timezone.now() - timedelta(minutes=20))
    refused = pending_cancellation(shop=shop_b, by=merchant, at=timezone.now() - timedelta(minutes=30))
    with override_settings(REFUND_SANDBOX_FAIL=True):
        orders_services.cancellation_approve(cancellation=refused, by=reviewer, now=timezone.now())
        refund = Refund.objects.get(order=refused.order)
        refund = orders_services.refund_process(refund_id=refund.pk, now=timezone.now())
    assert refund.route == Refund.Route.ALTERNATIVE
    after_sale = orders_services.after_sale_open(
        order=order_placed(shop=shop_b),
        type=AfterSale.Type.REFUND_ONLY,
        reason=AfterSale.Reason.NO_REASON_7D,
        amount=Decimal("9.90"),
        description="不想要了",
        now=timezone.now(),
    )
    walk = Walk(browser, live_server, reviewer, width, screenshot)
    try:
        # 1. Cancellation: approve from the request's page, refund amount and route shown first.
        change = f"/admin/orders/cancellationrequest/{cancellation.pk}/change/"
        walk.open(change, "cancellation")
        walk.button(f"/admin/orders/cancellationrequest/{cancellation.pk}/approve/")
        walk.check("cancellation-confirm")
        facts = walk.facts()
        total = f"¥{cancellation.order.total_amount:,.2f}"
        assert cancellation.order.order_no in facts and total in facts and "原路退回" in facts
        assert CancellationRequest.objects.get(pk=cancellation.pk).status == "pending_review"  # not yet
        walk.confirm()
        assert Order.objects.get(pk=cancellation.order_id).status == Order.Status.CANCELLED
        assert "/approve/" not in walk.check()  # decided: back on its page, no buttons

        # 2. Reversal of a deduction from the violation's page: balance before → after, a reason.
        walk.open(f"/admin/penalties/violation/{reversed_one.pk}/change/")
        walk.button(f"/admin/penalties/violation/{reversed_one.pk}/reverse-deductions/")
        assert "¥80.00 → ¥90.00" in walk.check("reversal-confirm")
        walk.confirm("平台核实：揽收延误")
        assert DepositEntry.objects.filter(kind="reversal").count() == 1

        # 3. Appeal granted from its page: the deduction it gives back, the review target.
        walk.open(f"/admin/penalties/appeal/{appeal.pk}/change/", "appeal")
        walk.button(f"/admin/penalties/appeal/{appeal.pk}/approve-appeal/")
        facts = walk.check("appeal-confirm")
        assert "¥90.00 → ¥100.00" in facts and "快递揽收延误" in facts
        walk.confirm("快递公司证明属实")
        assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.APPROVED
        assert Shop.objects.get(pk=shop_a.pk).deposit_balance == Decimal("100.00")

        # 4. Mark paid from the alternative-route queue (list action).
        walk.open("/admin/orders/alternativerouterefund/")
        walk.page.locator("#result_list tbody tr").filter(has_text=refund.order.order_no).locator(
            "input.action-select"
        ).check()
        walk.page.select_option("select[name=action]", "mark_settled")
        with walk.page.expect_navigation():
            walk.page.click("button[name=index]")
        facts = walk.check("mark-paid-confirm")
        assert f"¥{refund.amount:,.2f}" in facts and "其他途径" in facts
        assert "原路退款被拒：沙箱：原支付渠道不可用" in facts  # the gateway's answer, read for a person
        assert Refund.objects.get(pk=refund.pk).status == Refund.Status.PENDING
        walk.confirm("银行转账 8812")
        assert Refund.objects.get(pk=refund.pk).status == Refund.Status.SUCCEEDED

        # 5. After-sale rejected in the merchant's stead: a reason is required.
        walk.open(f"/admin/orders/aftersale/{after_sale.pk}/change/", "after-sale")
        walk.button(f"/admin/orders/aftersale/{after_sale.pk}/reject-after-sale/")
        assert "¥9.90" in walk.check()
        walk.page.click("#confirm-step-form input[type=submit]")  # empty reason: the browser refuses to post
        assert AfterSale.objects.get(pk=after_sale.pk).status == AfterSale.Status.PENDING
        walk.confirm("已使用，不符合七天无理由")
        assert AfterSale.objects.get(pk=after_sale.pk).status == AfterSale.Status.REJECTED

        # 6. Shop suspension from the shop's page: status before → after, deposit unchanged.
        walk.open(f"/admin/orders/shop/{shop_b.pk}/change/")
        walk.button(f"/admin/orders/shop/{shop_b.pk}/suspend-shops/")
        facts = walk.check("suspend-confirm")
        assert "营业中 → 停业" in facts and "（不变）" in facts
        with walk.page.expect_navigation():
            walk.page.click(".confirm-cancel")  # "back": nothing happens
        assert Shop.objects.get(pk=shop_b.pk).status == Shop.Status.ACTIVE
        walk.button(f"/admin/orders/shop/{shop_b.pk}/suspend-shops/")
        walk.confirm("多笔订单超时未发货")
        assert Shop.objects.get(pk=shop_b.pk).status == Shop.Status.SUSPENDED
    finally:
        walk.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_w15_support_decides_tickets_on_their_page(browser, live_server, support, merchant, shop_a, width, screenshot):
    kind, _ = ServiceType.objects.get_or_create(code="logistics_query", defaults={"name": "物流查询", "sla_hours": 24})
    now = timezone.now()
    tickets = []
    for reply in ("已联系快递，明天送达", "已补发"):
        ticket = ticket_services.ticket_open(
            order=order_placed(shop=shop_a), service_type=kind, description="买家询问物流", by=support, now=now
        )
        ticket_services.ticket_reply(ticket=ticket, message=reply, by=merchant, now=now)
        tickets.append(ticket)
    walk = Walk(browser, live_server, support, width, screenshot)
    try:
        approve, reject = tickets
        text = walk.open(f"/admin/tickets/ticket/{approve.pk}/change/", "ticket")
        assert "已联系快递，明天送达" in text and approve.order.order_no in text  # the merchant's reply, the order
        walk.button(f"/admin/tickets/ticket/{approve.pk}/approve-handling/")
        assert "审核中 → 已关闭" in walk.check("ticket-approve-confirm")
        walk.confirm()
        assert Ticket.objects.get(pk=approve.pk).status == Ticket.Status.CLOSED
        assert "approve-handling/" not in walk.page.content()

        walk.open(f"/admin/tickets/ticket/{reject.pk}/change/")
        walk.button(f"/admin/tickets/ticket/{reject.pk}/reject-handling/")
        assert "审核中 → 待处理" in walk.check("ticket-reject-confirm")
        walk.confirm("请上传补发的快递单号")
        reject.refresh_from_db()
        assert reject.status == Ticket.Status.PENDING and reject.last_rejection_reason == "请上传补发的快递单号"
    finally:
        walk.close()
