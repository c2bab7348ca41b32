"""T5 and the reminder: notices on new ticket, status change, rejection, and
one reminder when a pending ticket has 2 h left."""

from datetime import timedelta

import pytest
import time_machine

from orders.models import Notification
from tickets import tasks
from tickets.models import Ticket

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_t5_reminder_sent_once_when_two_hours_left(api, support, merchant, order_a, shop_a, open_ticket):
    """Given a pending ticket, the reminder job does nothing while more than
    2 h are left, notifies the shop once inside the last 2 h however often it
    runs, and notifies again for the fresh deadline after a rejection."""
    with time_machine.travel(T0, tick=False):
        no = open_ticket(order_a)["ticket_no"]
    reminders = Notification.objects.filter(shop=shop_a, kind="ticket_reminder")
    with time_machine.travel(T0 + timedelta(hours=21, minutes=59), tick=False):
        tasks.remind_tickets()
    assert not reminders.exists()
    with time_machine.travel(T0 + timedelta(hours=22, minutes=1), tick=False):
        tasks.remind_tickets()
        tasks.remind_tickets.delay()
    with time_machine.travel(T0 + timedelta(hours=23), tick=False):
        tasks.remind_tickets()
    assert reminders.count() == 1
    assert reminders.get().data["ticket_no"] == no
    assert Ticket.objects.get(ticket_no=no).reminded_at == T0 + timedelta(hours=22, minutes=1)

    # handled, rejected: the fresh deadline gets its own reminder
    with time_machine.travel(T0 + timedelta(hours=23, minutes=10), tick=False):
        api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "处理"}, format="json")
        api(support).post(f"/api/v1/tickets/{no}/reject/", {"reason": "不够"}, format="json")
    with time_machine.travel(T0 + timedelta(hours=23 + 22, minutes=30), tick=False):
        tasks.remind_tickets()
        tasks.remind_tickets()
    assert reminders.count() == 2


def test_t5_notices_are_written_in_the_same_transaction(api, support, order_a, shop_a):
    """A refused open (unknown type) writes neither a ticket nor a notice."""
    r = api(support).post(
        "/api/v1/tickets/", {"order_no": order_a.order_no, "service_type": "nope", "description": "x"}, format="json"
    )
    assert r.status_code == 400
    assert not Ticket.objects.exists() and not Notification.objects.filter(shop=shop_a).exists()
