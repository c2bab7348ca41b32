"""Issue 15 point 7 in a real browser: the reviewer's and support's pages at
desktop (1440 px) and phone (390 px) width. Each page fits its width (no
sideways scroll of the page itself), shows no raw code, and is saved as a
screenshot under var/screenshots/; the reviewer's top-up stops at a
confirmation page that shows the balance before → after."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from penalties.models import DepositEntry
from penalties.services import deposit_top_up
from tests.factories import order_placed
from tests.workbench.helpers import pending_cancellation
from tickets import services
from tickets.models import ServiceType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": 1440, "phone": 390}
RAW = ["pending_payment", "awaiting_shipment", "overdue_judged", "top_up", "in_review", '{"']


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _visible_text(page) -> str:
    return page.locator("body").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_w15_reviewer_pages_and_top_up_confirmation(
    browser, live_server, reviewer, merchant, shop_a, width, screenshot
):
    pending_cancellation(shop=shop_a, by=merchant, at=timezone.now() - timedelta(hours=3))
    deposit_top_up(shop=shop_a, amount=Decimal("1940.00"), by=reviewer, reason="开店保证金", now=timezone.now())
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    try:
        from tests.factories import PASSWORD

        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", reviewer.username)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        for name, path in [
            ("workbench", "/admin/"),
            ("orders", "/admin/orders/order/"),
            ("cancellations", "/admin/orders/cancellationrequest/"),
        ]:
            page.goto(f"{live_server.url}{path}")
            text = _visible_text(page)
            assert not [raw for raw in RAW if raw in text], name
            assert _fits(page), f"{name} scrolls sideways at {WIDTHS[width]} px"
            if name == "orders" and width == "desktop":  # every column in view, the ship-by deadline included
                for column in ("ship_by", "ship_time_left", "logistics_abnormal"):
                    box = page.locator(f"#result_list thead th.column-{column}").bounding_box()
                    assert box and box["x"] + box["width"] <= WIDTHS[width], f"{column} is off-screen"
            if name == "orders" and width == "phone":  # each order a card: its deadline labelled, in view
                cell = page.locator("#result_list tbody td.field-ship_by").first
                assert cell.get_attribute("data-label") == "最晚发货时间"
                box = cell.bounding_box()
                assert box and box["x"] + box["width"] <= WIDTHS[width]
            screenshot(page, f"{width}-{name}")

        page.goto(f"{live_server.url}/admin/penalties/depositentry/top-up/")
        page.select_option("select[name=shop]", str(shop_a.pk))
        page.fill("input[name=amount]", "500")
        page.fill("textarea[name=reason]", "年度保证金")
        with page.expect_navigation():
            page.click("input.default[type=submit]")
        facts = page.locator(".money-facts").inner_text()
        assert "¥500.00" in facts and "¥1,940.00 → ¥2,440.00" in facts and shop_a.name in facts
        assert DepositEntry.objects.filter(kind="top_up").count() == 1  # not yet
        screenshot(page, f"{width}-top-up-confirm")
        with page.expect_navigation():
            page.click("#money-confirm-form button[name=confirm]")
        assert DepositEntry.objects.filter(kind="top_up").count() == 2
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_w15_support_queue_at_both_widths(browser, live_server, support, shop_a, width, screenshot):
    kind, _ = ServiceType.objects.get_or_create(code="logistics_query", defaults={"name": "物流查询", "sla_hours": 24})
    now = timezone.now()
    for hours in (1, 23):
        order = order_placed(shop=shop_a, now=now - timedelta(hours=hours + 1))
        services.ticket_open(
            order=order, service_type=kind, description="买家询问物流", by=support, now=now - timedelta(hours=hours)
        )
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    try:
        from tests.factories import PASSWORD

        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", support.username)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        assert _fits(page)
        screenshot(page, f"{width}-workbench")
        with page.expect_navigation():
            page.locator('[data-panel="tickets-time-left"] a').nth(1).click()  # due within 2 h
        urgent = page.locator("#result_list tbody tr")
        assert urgent.count() == 1
        assert urgent.locator("[data-urgency=soon]").count() == 1
        screenshot(page, f"{width}-due-soon")
    finally:
        context.close()
