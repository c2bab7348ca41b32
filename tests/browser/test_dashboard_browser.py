"""Issue 9 in a real browser: the reviewer's workbench renders its queues and
charts, in Chinese by default and in English for an English browser."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.workbench.helpers import pending_cancellation, refund_on_alternative_route

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued_work(reviewer, merchant, shop_a):
    now = timezone.now()
    for hours in (1, 5, 30, 200):
        pending_cancellation(shop=shop_a, by=merchant, at=now - timedelta(hours=hours))
    refund_on_alternative_route(shop=shop_a, at=now - timedelta(hours=2))


def test_reviewer_workbench_renders_queues_and_charts_in_chinese(page, admin_login, reviewer, queued_work, screenshot):
    """Given queued work, a reviewer logs in with a Chinese browser and sees
    the review queues with their counts and the 30-day SVG chart."""
    admin_login(page, reviewer)

    queues = page.locator('[data-panel="orders-review-queues"]')
    assert queues.locator("h2").inner_text() == "待审核队列"
    assert queues.locator(".wb-count").all_inner_texts() == ["4", "1"]
    chart = page.locator('[data-panel="orders-cancellations-chart"] svg.wb-chart')
    assert chart.is_visible()
    assert chart.locator("rect.wb-bar").count() == 30
    assert chart.bounding_box()["height"] > 60  # drawn, not collapsed
    assert page.locator("#site-name").inner_text() == "店铺运营后台"
    screenshot(page, "zh")


def test_reviewer_workbench_in_english_for_an_english_browser(browser, live_server, reviewer, queued_work, screenshot):
    """The same page, for a browser whose language is English, is in English."""
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        assert "Shop back office" in page.title()
        from tests.factories import PASSWORD

        page.fill("#id_username", reviewer.username)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        assert page.locator('[data-panel="orders-review-queues"] h2').inner_text() == "Review queues"
        assert page.locator("#site-name").inner_text() == "Shop back office"
        queues = page.locator('[data-panel="orders-review-queues"]')
        assert queues.get_by_role("link", name="refunds waiting for an alternative route").is_visible()
        screenshot(page, "en")
    finally:
        context.close()
