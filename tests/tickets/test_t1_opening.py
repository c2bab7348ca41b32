"""T1: support opens a ticket; number, deadline from the type's SLA; T5 notice."""

from datetime import timedelta

import pytest
import time_machine

from orders.models import Notification
from tickets.models import ServiceType, Ticket, TicketEvent

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_t1_support_opens_ticket_with_number_and_sla_deadline(api, support, order_a, shop_a):
    """Given an order of shop A, when support opens a ticket, then it is
    pending with a unique T-number, a deadline 24 h out, an ``opened`` event
    by support, and shop A is notified (T5)."""
    with time_machine.travel(T0, tick=False):
        response = api(support).post(
            "/api/v1/tickets/",
            {"order_no": order_a.order_no, "service_type": "urge_shipment", "description": "买家催发货"},
            format="json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(ticket_no=body["ticket_no"])
    assert ticket.status == "pending" and ticket.outcome is None
    assert ticket.shop_id == shop_a.pk and ticket.order_id == order_a.pk and ticket.opened_by == support
    assert ticket.handle_deadline == T0 + timedelta(hours=24)
    assert body["remaining_seconds"] == 24 * 3600 and body["order_no"] == order_a.order_no
    assert body["service_type"] == "urge_shipment" and body["status"] == "pending"
    assert ticket.ticket_no.startswith("T20260302") and len(ticket.ticket_no) == 17
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.actor, event.actor_role, event.to_status) == ("opened", support, "support", "pending")
    note = Notification.objects.get(shop=shop_a)
    assert (
        note.kind == "ticket_opened" and ticket.ticket_no in note.title and note.data["ticket_no"] == ticket.ticket_no
    )


def test_t1_deadline_follows_the_types_editable_sla(api, support, order_a):
    """Given a type whose SLA was edited to 4 h, a new ticket of that type is due 4 h after opening."""
    ServiceType.objects.filter(code="change_address").update(sla_hours=4)
    with time_machine.travel(T0, tick=False):
        response = api(support).post(
            "/api/v1/tickets/",
            {"order_no": order_a.order_no, "service_type": "change_address", "description": "改地址"},
            format="json",
        )
    assert Ticket.objects.get(ticket_no=response.json()["ticket_no"]).handle_deadline == T0 + timedelta(hours=4)


def test_t1_ticket_numbers_are_unique(open_ticket, order_a):
    """Two tickets on one order get two different numbers."""
    first, second = open_ticket(order_a), open_ticket(order_a)
    assert first["ticket_no"] != second["ticket_no"]
    assert Ticket.objects.filter(order=order_a).count() == 2


def test_t1_service_types_are_seeded():
    """The data migration seeds the six types with the 24 h default."""
    codes = set(ServiceType.objects.values_list("code", flat=True))
    assert {"urge_shipment", "change_address", "logistics_query", "refund_query", "product_complaint", "other"} <= codes
    assert set(ServiceType.objects.values_list("sla_hours", flat=True)) == {24}
