"""T3 (issue 13): the handling deadline holds at the moment of the reply, not
when the minute job next runs. A reply at or after the deadline is refused
(409 ``ticket_timed_out``) and the ticket is timed out then and there, exactly
as the job would have done it; the job finds nothing left to do."""

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection

from orders.models import Notification
from orders.policy import PLATFORM_TZ
from penalties.services import ratings_compute
from tickets import tasks
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_approve, ticket_reply, tickets_time_out

from .conftest import T0

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


def reply(api, merchant, no, when, **headers):
    with time_machine.travel(when, tick=False):
        return api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "已联系买家"}, format="json", **headers)


def opened(open_ticket, order, when):
    with time_machine.travel(when, tick=False):
        return open_ticket(order)["ticket_no"]


def test_t3_reply_one_second_before_the_deadline_is_accepted(api, merchant, order_a, open_ticket):
    no = opened(open_ticket, order_a, T0)
    r = reply(api, merchant, no, T0 + timedelta(hours=24) - SECOND)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "in_review"
    with time_machine.travel(T0 + timedelta(hours=25), tick=False):
        assert tasks.time_out_tickets() == {"timed_out": 0, "notified": 0}
    assert Ticket.objects.get(ticket_no=no).status == "in_review"


@pytest.mark.parametrize("late", [timedelta(0), SECOND], ids=["at_the_deadline", "one_second_after"])
def test_t3_reply_at_or_after_the_deadline_is_refused_and_times_the_ticket_out(
    api, merchant, order_a, shop_a, open_ticket, late
):
    """No job has run: the reply itself finds the deadline passed, refuses
    with ``ticket_timed_out`` and closes the ticket as the job would (system
    event, one notification, ``closed_at`` the moment of the reply); the job
    that runs afterwards has nothing left, and a second reply is refused the
    same way."""
    no = opened(open_ticket, order_a, T0)
    deadline = T0 + timedelta(hours=24)
    r = reply(api, merchant, no, deadline + late)
    assert r.status_code == 409 and r.json()["code"] == "ticket_timed_out", r.content
    ticket = Ticket.objects.get(ticket_no=no)
    assert (ticket.status, ticket.outcome, ticket.closed_at) == ("closed", "timed_out", deadline + late)
    assert not ticket.replies.exists() and ticket.first_reply_at is None
    event = ticket.events.get(kind="timed_out")
    assert (event.actor, event.actor_role, event.from_status, event.to_status) == (None, "system", "pending", "closed")
    assert Notification.objects.filter(shop=shop_a, kind="ticket_timed_out").count() == 1

    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        assert tasks.time_out_tickets.delay().get() == {"timed_out": 0, "notified": 0}
    again = reply(api, merchant, no, deadline + timedelta(minutes=2))
    assert again.status_code == 409 and again.json()["code"] == "ticket_timed_out"
    assert TicketEvent.objects.filter(ticket=ticket, kind="timed_out").count() == 1
    assert Notification.objects.filter(shop=shop_a, kind="ticket_timed_out").count() == 1


def test_t3_late_reply_with_an_idempotency_key_still_times_the_ticket_out(api, merchant, order_a, open_ticket):
    """The Idempotency-Key wrapper runs the reply inside its own transaction:
    the refusal is not stored (a retry acts again and is refused again), but
    the timeout it made commits."""
    no = opened(open_ticket, order_a, T0)
    late = T0 + timedelta(hours=24, seconds=1)
    first = reply(api, merchant, no, late, HTTP_IDEMPOTENCY_KEY="late-reply-1")
    assert first.status_code == 409 and first.json()["code"] == "ticket_timed_out"
    assert "Idempotent-Replayed" not in first
    assert Ticket.objects.get(ticket_no=no).outcome == "timed_out"
    retry = reply(api, merchant, no, late + SECOND, HTTP_IDEMPOTENCY_KEY="late-reply-1")
    assert retry.status_code == 409 and retry.json()["code"] == "ticket_timed_out"
    assert "Idempotent-Replayed" not in retry
    from orders.models import IdempotencyKey

    assert not IdempotencyKey.objects.filter(key="late-reply-1").exists()


def test_t3_rejected_ticket_gets_a_fresh_deadline_that_holds_at_the_act_too(
    api, merchant, support, order_a, open_ticket
):
    """After support rejects, the fresh deadline (rejection + SLA) is the one
    that holds: a reply one second before it is accepted; after another
    rejection, a reply at the fresh deadline is refused."""

    def reject(when):
        with time_machine.travel(when, tick=False):
            r = api(support).post(f"/api/v1/tickets/{no}/reject/", {"reason": "请补充物流截图"}, format="json")
        assert r.status_code == 200, r.content

    no = opened(open_ticket, order_a, T0)
    assert reply(api, merchant, no, T0 + timedelta(hours=1)).status_code == 200
    first_rejection = T0 + timedelta(hours=30)  # past the first deadline: irrelevant now
    reject(first_rejection)
    fresh = first_rejection + timedelta(hours=24)
    assert reply(api, merchant, no, fresh - SECOND).status_code == 200
    second_rejection = fresh + timedelta(hours=1)
    reject(second_rejection)
    refused = reply(api, merchant, no, second_rejection + timedelta(hours=24))
    assert refused.status_code == 409 and refused.json()["code"] == "ticket_timed_out"


def test_t3_deadline_at_shanghai_midnight_and_the_timeout_counts_in_r1_of_its_day(
    api, merchant, support, order_a, shop_a, open_ticket
):
    """A ticket opened at 00:00 Asia/Shanghai (16:00 UTC the day before) is due
    at the next 00:00: a reply at 23:59:59 local is accepted on one ticket, a
    reply at 00:00:00 times the other out. R1 counts both tickets on the
    Shanghai day they were opened (not the UTC day), one of them timed out."""
    opened_at = datetime(2026, 3, 5, 0, 0, tzinfo=PLATFORM_TZ)
    in_time = opened(open_ticket, order_a, opened_at)
    too_late = opened(open_ticket, order_a, opened_at)
    deadline = datetime(2026, 3, 6, 0, 0, tzinfo=PLATFORM_TZ)
    assert Ticket.objects.get(ticket_no=in_time).handle_deadline == deadline
    assert reply(api, merchant, in_time, deadline - SECOND).status_code == 200
    refused = reply(api, merchant, too_late, deadline)
    assert refused.status_code == 409 and refused.json()["code"] == "ticket_timed_out"
    ticket_approve(ticket=Ticket.objects.get(ticket_no=in_time), by=support, now=deadline + timedelta(hours=1))

    # The rating of 4 March (Shanghai) ends at 5 March 00:00 local: neither
    # ticket is in it, although both were opened on 4 March in UTC.
    ratings_compute(day=datetime(2026, 3, 4).date(), now=deadline + timedelta(hours=2))
    ratings_compute(day=datetime(2026, 3, 5).date(), now=deadline + timedelta(hours=2))
    from penalties.models import ShopRating

    by_day = {
        r.day.isoformat(): r.components["ticket_timeout"]
        for r in ShopRating.objects.filter(shop=shop_a).order_by("day")
    }
    assert (by_day["2026-03-04"]["numerator"], by_day["2026-03-04"]["denominator"]) == (0, 0)
    assert (by_day["2026-03-05"]["numerator"], by_day["2026-03-05"]["denominator"]) == (1, 2)


def _race(ticket, merchant, now) -> tuple[dict, list]:
    """The minute job and a late reply released at the same instant."""
    from tickets.errors import TicketError

    barrier = threading.Barrier(2)
    outcome, errors = {}, []

    def job():
        try:
            barrier.wait()
            outcome["job"] = tickets_time_out(now=now)
        except Exception as exc:  # surfaced by the caller
            errors.append(exc)
        finally:
            connection.close()

    def late_reply():
        try:
            barrier.wait()
            ticket_reply(ticket=ticket, message="迟到", by=merchant, now=now)
            outcome["reply"] = "accepted"
        except TicketError as exc:
            outcome["reply"] = exc.code
        except Exception as exc:  # surfaced by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=job), threading.Thread(target=late_reply)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_t3_late_reply_racing_the_minute_job_times_out_once(order_a, shop_a, merchant):
    """PostgreSQL, the real paths: the minute job (SKIP LOCKED batch) and a
    late reply (row lock) at the same instant. Whichever locks first closes
    the ticket; the other finds it closed. One ``timed_out`` event, one
    notification, no reply stored, the reply refused with ``ticket_timed_out``."""
    from tests.factories import UserFactory
    from tickets.models import ServiceType
    from tickets.services import ticket_open

    stype, _ = ServiceType.objects.get_or_create(code="logistics_query", defaults={"name": "物流查询"})
    support = UserFactory(username="support-race", is_staff=True)
    for attempt in range(6):
        ticket = ticket_open(order=order_a, service_type=stype, description=f"race {attempt}", by=support, now=T0)
        outcome, errors = _race(ticket, merchant, ticket.handle_deadline + SECOND)
        assert not errors, errors
        assert outcome["reply"] == "ticket_timed_out"
        assert outcome["job"]["timed_out"] in (0, 1)
        ticket.refresh_from_db()
        assert (ticket.status, ticket.outcome) == ("closed", "timed_out")
        assert TicketEvent.objects.filter(ticket=ticket, kind="timed_out").count() == 1
        assert not ticket.replies.exists()
    assert Notification.objects.filter(shop=shop_a, kind="ticket_timed_out").count() == 6


def test_t3_w1_a_ticket_timed_out_by_a_late_reply_or_by_the_job_is_pushed_once(
    api, merchant, order_a, shop_a, open_ticket, settings
):
    """W1: the timeout is a ``ticket.closed`` event of the shop whichever path
    made it (the late reply or the minute job), one per ticket, in the same
    transaction as the change."""
    import json

    from orders.webhooks.models import WebhookEvent

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    registered = api(merchant).post(
        "/api/v1/webhooks/",
        {"shop": shop_a.pk, "url": "http://127.0.0.1:9101/hook", "events": ["ticket.closed"]},
        format="json",
    )
    assert registered.status_code == 201, registered.content
    by_reply, by_job = opened(open_ticket, order_a, T0), opened(open_ticket, order_a, T0)
    assert reply(api, merchant, by_reply, T0 + timedelta(hours=24)).status_code == 409
    with time_machine.travel(T0 + timedelta(hours=24, minutes=1), tick=False):
        assert tasks.time_out_tickets()["timed_out"] == 1
    bodies = [json.loads(e.body) for e in WebhookEvent.objects.filter(type="ticket.closed").order_by("sequence")]
    assert [(b["data"]["ticket_no"], b["data"]["outcome"]) for b in bodies] == [
        (by_reply, "timed_out"),
        (by_job, "timed_out"),
    ]
