"""T3: the countdown, and the beat job closing pending tickets past their deadline."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from orders.models import Notification
from tickets import tasks
from tickets.models import Ticket, TicketEvent
from tickets.selectors import ticket_timeout_counts
from tickets.services import ticket_approve, ticket_open, ticket_reply, tickets_time_out

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_t3_remaining_seconds_counts_down_then_zero_then_null(api, merchant, order_a, open_ticket):
    """The detail shows the seconds left while pending, 0 once past the
    deadline (before the job ran), and null once the ticket is closed: a
    reply after the deadline is refused and times the ticket out then and
    there (T3: the deadline holds at the moment of the act)."""
    with time_machine.travel(T0, tick=False):
        no = open_ticket(order_a)["ticket_no"]
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        body = api(merchant).get(f"/api/v1/tickets/{no}/").json()
    assert body["remaining_seconds"] == 4 * 3600
    assert body["handle_deadline"] == "2026-03-03T10:00:00+08:00"
    with time_machine.travel(T0 + timedelta(hours=25), tick=False):
        assert api(merchant).get(f"/api/v1/tickets/{no}/").json()["remaining_seconds"] == 0
        late = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "晚了但还是处理了"}, format="json")
        assert late.status_code == 409 and late.json()["code"] == "ticket_timed_out"
        body = api(merchant).get(f"/api/v1/tickets/{no}/").json()
    assert (body["status"], body["outcome"], body["remaining_seconds"]) == ("closed", "timed_out", None)


def test_t3_pending_ticket_past_deadline_is_timed_out_by_the_beat_task(api, merchant, order_a, shop_a, open_ticket):
    """Given a ticket left pending, when the beat task runs after its
    deadline, the ticket is closed as ``timed_out`` with a system event and
    one notice to the shop; a second run changes nothing; the merchant can no
    longer reply (409 ``ticket_timed_out``)."""
    with time_machine.travel(T0, tick=False):
        no = open_ticket(order_a)["ticket_no"]
    with time_machine.travel(T0 + timedelta(hours=23, minutes=59), tick=False):
        assert tasks.time_out_tickets() == {"timed_out": 0, "notified": 0}
    due = T0 + timedelta(hours=24, minutes=1)
    with time_machine.travel(due, tick=False):
        summary = tasks.time_out_tickets.delay().get()
        assert summary["timed_out"] == 1
        assert tasks.time_out_tickets()["timed_out"] == 0
        r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "迟到的回复"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "ticket_timed_out"
    ticket = Ticket.objects.get(ticket_no=no)
    assert (ticket.status, ticket.outcome, ticket.closed_at) == ("closed", "timed_out", due)
    event = ticket.events.get(kind="timed_out")
    assert (event.actor, event.actor_role, event.from_status, event.to_status) == (None, "system", "pending", "closed")
    assert Notification.objects.filter(shop=shop_a, kind="ticket_timed_out").count() == 1
    assert not ticket.replies.exists()


def test_t3_only_pending_tickets_past_deadline_are_touched(support, merchant, order_a):
    """In-review, closed and not-yet-due tickets are left alone by the job."""
    from tickets.models import ServiceType

    stype = ServiceType.objects.get(code="logistics_query")
    in_review = ticket_open(order=order_a, service_type=stype, description="a", by=support, now=T0)
    ticket_reply(ticket=in_review, message="done", by=merchant, now=T0 + timedelta(hours=1))
    closed = ticket_open(order=order_a, service_type=stype, description="b", by=support, now=T0)
    ticket_reply(ticket=closed, message="done", by=merchant, now=T0 + timedelta(hours=1))
    ticket_approve(ticket=closed, by=support, now=T0 + timedelta(hours=2))
    not_due = ticket_open(order=order_a, service_type=stype, description="c", by=support, now=T0 + timedelta(hours=10))
    due = ticket_open(order=order_a, service_type=stype, description="d", by=support, now=T0)

    assert tickets_time_out(now=T0 + timedelta(hours=30))["timed_out"] == 1
    status = dict(Ticket.objects.values_list("pk", "status"))
    assert status == {in_review.pk: "in_review", closed.pk: "closed", not_due.pk: "pending", due.pk: "closed"}
    assert Ticket.objects.get(pk=due.pk).outcome == "timed_out"
    assert Ticket.objects.get(pk=closed.pk).outcome == "approved"


def test_t3_timeouts_are_counted_per_shop_for_the_rating(
    support, merchant, merchant2, order_a, order_c, shop_a, shop_c
):
    """R1 input: ``ticket_timeout_counts`` gives per shop (timed out, closed
    total) for tickets created in [since, until)."""
    from tickets.models import ServiceType

    stype = ServiceType.objects.get(code="logistics_query")
    for _ in range(2):
        ticket_open(order=order_a, service_type=stype, description="x", by=support, now=T0)
    handled = ticket_open(order=order_a, service_type=stype, description="y", by=support, now=T0)
    ticket_reply(ticket=handled, message="ok", by=merchant, now=T0 + timedelta(hours=1))
    ticket_approve(ticket=handled, by=support, now=T0 + timedelta(hours=2))
    ticket_open(order=order_c, service_type=stype, description="z", by=support, now=T0)
    old = ticket_open(order=order_c, service_type=stype, description="old", by=support, now=T0 - timedelta(days=40))
    tickets_time_out(now=T0 + timedelta(days=2))

    counts = ticket_timeout_counts(since=T0 - timedelta(days=30), until=T0 + timedelta(days=1))
    assert counts == {shop_a.pk: (2, 3), shop_c.pk: (1, 1)}
    assert Ticket.objects.get(pk=old.pk).outcome == "timed_out"  # closed, but outside the window


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_t3_concurrent_timeout_runs_close_each_ticket_once(order_a, shop_a):
    """Two workers running the job at the same moment time each ticket out
    once: one ``timed_out`` event and one notification per ticket."""
    from tests.factories import UserFactory
    from tickets.models import ServiceType

    # An earlier transactional test may have flushed the migration-seeded rows.
    stype, _ = ServiceType.objects.get_or_create(code="logistics_query", defaults={"name": "物流查询"})
    support = UserFactory(username="support-agent", is_staff=True)
    tickets = [
        ticket_open(order=order_a, service_type=stype, description=f"t{i}", by=support, now=T0) for i in range(60)
    ]
    now = T0 + timedelta(hours=25)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(tickets_time_out(now=now))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors, errors
    assert len(results) == 2
    assert sum(r["timed_out"] for r in results) == len(tickets)
    assert Ticket.objects.filter(status="closed", outcome="timed_out").count() == len(tickets)
    assert TicketEvent.objects.filter(kind="timed_out").count() == len(tickets)
    assert Notification.objects.filter(shop=shop_a, kind="ticket_timed_out").count() == len(tickets)
