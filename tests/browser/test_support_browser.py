"""Issue 9 in a real browser: a support agent rejects the merchant's handling
of a ticket with a reason (T2) and sees its countdown restart (T3)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import order_placed
from tickets import services
from tickets.models import ServiceType, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_t2_support_rejects_with_a_reason_and_the_countdown_restarts(
    page, live_server, admin_login, support, merchant, shop_a, screenshot
):
    """Given a ticket opened 20 h ago (24 h to handle) that the merchant
    answered, support opens the review queue from the workbench, rejects with
    a reason, and the ticket is pending again with a fresh 24 h countdown."""
    now = timezone.now()
    kind, _ = ServiceType.objects.get_or_create(code="logistics_query", defaults={"name": "物流查询", "sla_hours": 24})
    order = order_placed(shop=shop_a, now=now - timedelta(hours=21))
    ticket = services.ticket_open(
        order=order, service_type=kind, description="买家询问物流", by=support, now=now - timedelta(hours=20)
    )
    services.ticket_reply(ticket=ticket, message="已催促快递", by=merchant, now=now - timedelta(hours=1))
    admin_login(page, support)

    with page.expect_navigation():
        page.locator('[data-panel="tickets-time-left"] a[href*="status__exact=in_review"]').click()
    row = page.locator("#result_list tbody tr").filter(has_text=ticket.ticket_no)
    assert row.locator("td.field-countdown").inner_text().strip() == "—"  # in review: no clock running
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "reject_handling")
    with page.expect_navigation():
        page.click("button[name=index]")
    page.fill("textarea[name=reason]", "未提供物流单号截图，请补充后再提交")
    screenshot(page, "reject")
    with page.expect_navigation():
        page.locator(".confirm-step input[type=submit]").click()

    assert page.locator("ul.messagelist li").count() == 1 and page.locator("ul.messagelist .error").count() == 0
    with page.expect_navigation():
        page.goto(f"{live_server.url}/admin/tickets/ticket/?status__exact=pending")
    countdown = page.locator("#result_list tbody tr").filter(has_text=ticket.ticket_no).locator("td.field-countdown")
    assert re.fullmatch(r"2[34]h \d\dm", countdown.inner_text().strip())
    screenshot(page, "restarted")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING and ticket.last_rejection_reason.startswith("未提供")
    assert ticket.handle_deadline > timezone.now() + timedelta(hours=23)
