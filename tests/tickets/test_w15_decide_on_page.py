"""Issue 15 point 4 for tickets (T2): support approves or rejects on the
ticket's page, with the context a decision needs; the buttons lead to the
same confirmation page as the list actions and call the same services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tickets.models import ServiceType, Ticket
from tickets.services import ticket_approve, ticket_open, ticket_reply

pytestmark = pytest.mark.django_db
URL = "/admin/tickets/ticket/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def in_review(support, merchant, order_a):
    now = timezone.now()
    stype = ServiceType.objects.get(code="logistics_query")
    ticket = ticket_open(order=order_a, service_type=stype, description="买家问物流", by=support, now=now)
    ticket_reply(ticket=ticket, message="已联系快递，明天送达", by=merchant, now=now)
    return ticket


def test_t2_ticket_page_shows_the_decision_context_and_the_buttons_to_support(support, in_review):
    page = client_for(support).get(f"{URL}{in_review.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert in_review.order.order_no in page and "已联系快递，明天送达" in page  # the merchant's reply
    assert 'data-urgency="' in page  # time left to the handling deadline
    assert f"{URL}{in_review.pk}/approve-handling/" in page and f"{URL}{in_review.pk}/reject-handling/" in page


def test_t2_no_buttons_for_a_reviewer_nor_on_a_closed_ticket(reviewer, support, in_review):
    as_reviewer = client_for(reviewer).get(f"{URL}{in_review.pk}/change/").content.decode()
    assert "approve-handling/" not in as_reviewer
    assert client_for(reviewer).get(f"{URL}{in_review.pk}/approve-handling/").status_code == 403
    ticket_approve(ticket=in_review, by=support, now=timezone.now())
    as_support = client_for(support).get(f"{URL}{in_review.pk}/change/").content.decode()
    assert "approve-handling/" not in as_support and "reject-handling/" not in as_support


def test_t2_approve_button_confirms_then_closes_once(support, in_review):
    client = client_for(support)
    confirm = client.get(f"{URL}{in_review.pk}/approve-handling/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = confirm.content.decode()
    assert confirm.status_code == 200 and in_review.ticket_no in html and "审核中 → 已关闭" in html
    assert Ticket.objects.get(pk=in_review.pk).status == Ticket.Status.IN_REVIEW  # nothing moved yet
    done = client.post(f"{URL}{in_review.pk}/approve-handling/", {"confirm": "yes"})
    assert done.status_code == 302 and done["Location"].endswith(f"{URL}{in_review.pk}/change/")
    again = client.post(f"{URL}{in_review.pk}/approve-handling/", {"confirm": "yes"}, follow=True)
    assert again.status_code == 200
    assert in_review.events.filter(kind="approved").count() == 1  # the double post did not act twice


def test_t2_reject_button_needs_a_reason(support, in_review):
    client = client_for(support)
    blank = client.post(f"{URL}{in_review.pk}/reject-handling/", {"confirm": "yes", "reason": " "})
    assert blank.status_code == 200 and Ticket.objects.get(pk=in_review.pk).status == Ticket.Status.IN_REVIEW
    client.post(f"{URL}{in_review.pk}/reject-handling/", {"confirm": "yes", "reason": "证据不足"})
    in_review.refresh_from_db()
    assert in_review.status == Ticket.Status.PENDING and in_review.last_rejection_reason == "证据不足"


def test_t2_cancel_on_the_confirmation_page_is_a_link_back(support, in_review):
    html = client_for(support).get(f"{URL}{in_review.pk}/reject-handling/").content.decode()
    assert f'href="{URL}{in_review.pk}/change/"' in html and "confirm-cancel" in html
    assert Ticket.objects.get(pk=in_review.pk).status == Ticket.Status.IN_REVIEW
