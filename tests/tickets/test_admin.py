"""Support admin: list with filters and countdown, approve / reject actions
calling the same services, the ticket page linking to its order."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.utils import timezone

from orders.models import Notification, Order
from tickets.models import ServiceType, Ticket
from tickets.services import ticket_open, ticket_reply

pytestmark = pytest.mark.django_db
URL = "/admin/tickets/ticket/"


@pytest.fixture
def admin_client_for():
    def _client(user):
        client = Client()
        client.force_login(user)
        return client

    return _client


@pytest.fixture
def in_review(support, merchant, order_a):
    now = timezone.now()
    stype = ServiceType.objects.get(code="logistics_query")
    ticket = ticket_open(order=order_a, service_type=stype, description="物流", by=support, now=now)
    ticket_reply(ticket=ticket, message="已处理", by=merchant, now=now)
    return ticket


def test_t4_admin_list_filters_search_and_red_countdown(admin_client_for, support, order_a):
    """The list filters by status, type and created time, searches by exact
    ticket or order number, and shows the countdown red under 2 h."""
    stype = ServiceType.objects.get(code="urge_shipment")
    now = timezone.now()
    urgent = ticket_open(order=order_a, service_type=stype, description="急", by=support, now=now - timedelta(hours=23))
    relaxed = ticket_open(order=order_a, service_type=stype, description="缓", by=support, now=now)
    client = admin_client_for(support)
    with time_machine.travel(now, tick=False):
        page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert urgent.ticket_no in html and relaxed.ticket_no in html
    # red under 2 h; a day left is amber (later today) or green (after today)
    assert re.search(r'data-urgency="soon" style="color:#b91c1c[^"]*">(0h 59m|1h 00m)<', html)
    assert re.search(r'data-urgency="(today|later)" style="[^"]*">(23h 59m|24h 00m)<', html)
    for query in [
        f"?q={urgent.ticket_no}",
        "?status__exact=pending",
        f"?service_type__id__exact={stype.pk}",
        "?created_at__gte=2000-01-01+00%3A00%3A00%2B08%3A00",
        f"?q={order_a.order_no}",
    ]:
        assert client.get(URL + query).status_code == 200, query
    only = client.get(URL + f"?q={urgent.ticket_no}").content.decode()
    assert urgent.ticket_no in only and relaxed.ticket_no not in only


def test_t2_admin_approve_action(admin_client_for, support, in_review, shop_a):
    """The approve action closes a ticket in review as approved (same service as the API)."""
    client = admin_client_for(support)
    page = client.post(URL, {"action": "approve_handling", ACTION_CHECKBOX_NAME: [in_review.pk]})
    assert page.status_code == 200 and in_review.ticket_no in page.content.decode()  # issue 15: confirmed first
    assert Ticket.objects.get(pk=in_review.pk).status == "in_review"
    r = client.post(URL, {"action": "approve_handling", ACTION_CHECKBOX_NAME: [in_review.pk], "confirm": "yes"})
    assert r.status_code == 302
    in_review.refresh_from_db()
    assert (in_review.status, in_review.outcome) == ("closed", "approved")
    assert in_review.events.last().kind == "approved"


def test_t2_admin_approve_action_reports_refusals(admin_client_for, support, order_a):
    """Approving a pending ticket is refused with a message, not a 500; the
    message says why in words, without the machine code (issue 15)."""
    stype = ServiceType.objects.get(code="urge_shipment")
    ticket = ticket_open(order=order_a, service_type=stype, description="x", by=support, now=timezone.now())
    r = admin_client_for(support).post(
        URL, {"action": "approve_handling", ACTION_CHECKBOX_NAME: [ticket.pk], "confirm": "yes"}, follow=True
    )
    html = r.content.decode()
    assert r.status_code == 200 and ticket.ticket_no in html and 'class="error' in html
    assert "ticket_not_in_review" not in html
    assert Ticket.objects.get(pk=ticket.pk).status == "pending"


def test_t2_admin_reject_action_asks_for_a_reason(admin_client_for, support, in_review, shop_a):
    """Reject shows a form first; without a reason nothing happens; with one
    the ticket goes back to pending with a fresh deadline and the shop is notified."""
    client = admin_client_for(support)
    form = client.post(URL, {"action": "reject_handling", ACTION_CHECKBOX_NAME: [in_review.pk]})
    assert form.status_code == 200 and b'name="reason"' in form.content
    blank = client.post(
        URL, {"action": "reject_handling", ACTION_CHECKBOX_NAME: [in_review.pk], "confirm": "yes", "reason": ""}
    )
    assert blank.status_code == 200 and Ticket.objects.get(pk=in_review.pk).status == "in_review"
    done = client.post(
        URL, {"action": "reject_handling", ACTION_CHECKBOX_NAME: [in_review.pk], "confirm": "yes", "reason": "证据不足"}
    )
    assert done.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == "pending" and in_review.last_rejection_reason == "证据不足"
    assert Notification.objects.filter(shop=shop_a, kind="ticket_rejected").count() == 1


def test_admin_ticket_page_shows_order_replies_and_events(admin_client_for, support, in_review):
    """The ticket page names (and, when the orders admin is registered, links) its order, with replies and events."""
    page = admin_client_for(support).get(f"{URL}{in_review.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert in_review.order.order_no in html and "已处理" in html and "opened" in html
    assert f'href="/admin/orders/order/{in_review.order_id}/change/"' in html


def test_admin_reviewer_sees_tickets_but_cannot_act(admin_client_for, reviewer, in_review):
    """Reviewers have view-only access: the list opens, the actions are not offered."""
    page = admin_client_for(reviewer).get(URL)
    assert page.status_code == 200 and b"approve_handling" not in page.content
    r = admin_client_for(reviewer).post(URL, {"action": "approve_handling", ACTION_CHECKBOX_NAME: [in_review.pk]})
    assert Ticket.objects.get(pk=in_review.pk).status == "in_review"
    assert r.status_code in (200, 302)


def test_admin_service_types_are_editable_by_support(admin_client_for, support):
    stype = ServiceType.objects.get(code="other")
    client = admin_client_for(support)
    assert client.get(f"/admin/tickets/servicetype/{stype.pk}/change/").status_code == 200
    r = client.post(
        f"/admin/tickets/servicetype/{stype.pk}/change/",
        {"name": "其他", "sla_hours": 12, "allows_agreed_close": "on", "active": "on"},
    )
    assert r.status_code == 302
    assert ServiceType.objects.get(pk=stype.pk).sla_hours == 12


def test_t1_support_opens_a_ticket_in_the_admin(admin_client_for, support, order_a, shop_a):
    """The admin's add page is a small form calling the same service: a
    ticket with its deadline and a notice; an unknown order is a form error."""
    client = admin_client_for(support)
    page = client.get(f"{URL}add/?order_no={order_a.order_no}")
    assert page.status_code == 200 and order_a.order_no.encode() in page.content
    stype = ServiceType.objects.get(code="refund_query")
    bad = client.post(f"{URL}add/", {"order_no": "1" * 19, "service_type": stype.pk, "description": "退款"})
    assert bad.status_code == 200 and not Ticket.objects.exists()
    r = client.post(f"{URL}add/", {"order_no": order_a.order_no, "service_type": stype.pk, "description": "退款"})
    ticket = Ticket.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/{ticket.pk}/change/")
    assert (ticket.status, ticket.opened_by, ticket.service_type) == ("pending", support, stype)
    assert Notification.objects.filter(shop=shop_a, kind="ticket_opened").count() == 1


def test_admin_ticket_page_links_evidence_images(admin_client_for, support, merchant, order_a):
    """Evidence images of a reply are listed on the ticket page with a link to the file."""
    from .conftest import png_upload

    stype = ServiceType.objects.get(code="product_complaint")
    ticket = ticket_open(order=order_a, service_type=stype, description="投诉", by=support, now=timezone.now())
    ticket_reply(ticket=ticket, message="见图", images=[png_upload()], by=merchant, now=timezone.now())
    html = admin_client_for(support).get(f"{URL}{ticket.pk}/change/").content.decode()
    evidence = ticket.replies.get().images.get()
    assert f'href="/api/v1/tickets/{ticket.ticket_no}/evidence/{evidence.pk}/"' in html
    assert (
        admin_client_for(support).get(f"/api/v1/tickets/{ticket.ticket_no}/evidence/{evidence.pk}/").status_code == 200
    )


def test_w15_opening_a_ticket_warns_on_a_closed_order_and_on_a_duplicate(admin_client_for, support, order_a):
    """Issue 15: support is warned before a second open ticket on the same
    order (and before one on a cancelled order); the warning's button opens
    it anyway."""
    stype = ServiceType.objects.get(code="urge_shipment")
    client = admin_client_for(support)
    form = {"order_no": order_a.order_no, "service_type": stype.pk, "description": "催发货"}
    client.post(f"{URL}add/", form)
    first = Ticket.objects.get()
    warned = client.post(f"{URL}add/", form, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert Ticket.objects.count() == 1
    assert first.ticket_no in warned and "已有未关闭的服务单" in warned
    client.post(f"{URL}add/", {**form, "confirm_warnings": "on"})
    assert Ticket.objects.count() == 2

    from tickets.admin import OpenTicketForm

    check = OpenTicketForm()
    order_a.status = Order.Status.CANCELLED  # in memory only: what the warning reads
    check.order = order_a
    assert any(order_a.order_no in w and "cancelled" in w.lower() for w in check.warnings())
