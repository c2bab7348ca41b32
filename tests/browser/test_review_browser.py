"""Issue 9 in a real browser: a reviewer finds an order by the buyer's phone,
approves its pending cancellation through the confirmation page (C3) and sees
the order cancelled."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import CancellationRequest, Order
from tests.workbench.helpers import pending_cancellation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900001111"


def test_c3_reviewer_finds_order_by_phone_and_approves_its_cancellation(
    page, live_server, admin_login, reviewer, merchant, shop_a, screenshot
):
    """Given a pending cancellation on the order of buyer 139 0000 1111, the
    reviewer searches that phone in the order list, opens the cancellation
    queue from the workbench, approves on the confirmation page, and the order
    list then shows the order cancelled."""
    request = pending_cancellation(shop=shop_a, by=merchant, at=timezone.now() - timedelta(minutes=10), phone=PHONE)
    order_no = request.order.order_no
    admin_login(page, reviewer)

    # Find the order by the buyer's phone.
    page.goto(f"{live_server.url}/admin/orders/order/")
    page.fill("#searchbar", PHONE)
    with page.expect_navigation():
        page.press("#searchbar", "Enter")
    row = page.locator("#result_list tbody tr")
    assert row.count() == 1
    assert order_no in row.inner_text() and "备货中" in row.inner_text()

    # From the workbench to the queue, then the confirmation page.
    page.goto(f"{live_server.url}/admin/")
    with page.expect_navigation():
        page.locator('[data-panel="orders-review-queues"]').get_by_role("link", name="待审核的取消申请").click()
    page.locator("#result_list tbody tr").filter(has_text=order_no).locator("input.action-select").check()
    page.select_option("select[name=action]", "approve")
    with page.expect_navigation():
        page.click("button[name=index]")
    confirm = page.locator(".confirm-step")  # issue 15: the order, the refund and its route
    assert order_no in confirm.inner_text() and "原路退回" in confirm.inner_text()
    screenshot(page, "confirm")
    with page.expect_navigation():
        confirm.locator("input[type=submit]").click()

    # The order is cancelled, in the database and in the list.
    assert page.locator("ul.messagelist .success").count() == 1
    page.goto(f"{live_server.url}/admin/orders/order/?q={PHONE}")
    assert "已取消" in page.locator("#result_list tbody tr").inner_text()
    screenshot(page, "cancelled")
    request.refresh_from_db()
    assert request.status == CancellationRequest.Status.APPROVED
    assert Order.objects.get(order_no=order_no).status == Order.Status.CANCELLED
