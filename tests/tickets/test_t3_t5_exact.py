"""T2/T3/T5 exactly (issue 13, mutation testing of ``tickets/services.py``):
the refusals of a reply at the service (the API's serializer refuses the same
input first, the service is the rule for every other caller), the late
reply's message, the minute job's batches, events and notices to the letter,
and the reminder job's selection, texts and counts."""

from datetime import timedelta

import pytest
import time_machine

from orders.models import Notification
from tickets import tasks
from tickets.errors import TicketError
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_reply

from .conftest import T0, png_upload

pytestmark = pytest.mark.django_db

LATE = "The handling deadline has passed; the ticket was closed as timed out."


def _batch(settings, size: int) -> None:
    settings.PLATFORM = {**settings.PLATFORM, "TICKET_TIMEOUT_BATCH": size}


def _open_at(open_ticket, order, at, **kwargs) -> str:
    with time_machine.travel(at, tick=False):
        return open_ticket(order, **kwargs)["ticket_no"]


def test_t2_service_refuses_a_blank_reply_and_too_many_images_with_400(merchant, order_a, open_ticket):
    """The reply service itself refuses a blank message (400
    ``message_required``) and a fifth image (400 ``too_many_images``); four
    images are accepted; the reply's event keeps its message as the note."""
    no = _open_at(open_ticket, order_a, T0)
    ticket = Ticket.objects.get(ticket_no=no)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        for message in ["", "   ", None]:
            with pytest.raises(TicketError) as refused:
                ticket_reply(ticket=ticket, message=message, by=merchant, now=T0 + timedelta(hours=1))
            assert (refused.value.code, refused.value.status, refused.value.detail) == (
                "message_required",
                400,
                "A message is required.",
            )
        with pytest.raises(TicketError) as refused:
            ticket_reply(
                ticket=ticket,
                message="五张图",
                images=[png_upload(f"{i}.png") for i in range(5)],
                by=merchant,
                now=T0 + timedelta(hours=1),
            )
        assert (refused.value.code, refused.value.status, refused.value.detail) == (
            "too_many_images",
            400,
            "At most 4 images per reply.",
        )
        assert not ticket.replies.exists()
        reply = ticket_reply(
            ticket=ticket,
            message="  四张图  ",
            images=[png_upload(f"{i}.png") for i in range(4)],
            by=merchant,
            now=T0 + timedelta(hours=1),
        )
    assert (reply.message, reply.images.count()) == ("四张图", 4)
    event = TicketEvent.objects.get(ticket=ticket, kind="replied")
    assert (event.note, event.from_status, event.to_status) == ("四张图", "pending", "in_review")


def test_t3_late_reply_is_refused_with_the_deadline_message(api, merchant, order_a, open_ticket):
    """A reply at the deadline is refused with 409 ``ticket_timed_out`` and
    the message saying why, at the API and at the service."""
    no = _open_at(open_ticket, order_a, T0)
    with time_machine.travel(T0 + timedelta(hours=24), tick=False):
        r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "晚了"}, format="json")
    assert r.status_code == 409
    assert (r.json()["code"], r.json()["detail"]) == ("ticket_timed_out", LATE)
    no = _open_at(open_ticket, order_a, T0)
    with pytest.raises(TicketError) as refused:
        ticket_reply(ticket=Ticket.objects.get(ticket_no=no), message="晚了", by=merchant, now=T0 + timedelta(hours=25))
    assert (refused.value.code, refused.value.status, refused.value.detail, refused.value.keeps_effect) == (
        "ticket_timed_out",
        409,
        LATE,
        True,
    )


def test_t3_job_closes_every_due_ticket_in_batches_with_exact_events_and_notices(
    api, merchant, merchant2, order_a, order_c, shop_a, shop_c, open_ticket, settings
):
    """Three due tickets in two shops, batches of 2: the job closes all three
    (two statements), counts 3 closed and 3 notices, and leaves alone a
    pending ticket not yet due and a ticket in review past its deadline.
    Each closed ticket carries the run's time as its close and change time,
    a system event with the rule's note, and one notice with the exact text
    and data."""
    _batch(settings, 2)
    due = [
        _open_at(open_ticket, order_a, T0),
        _open_at(open_ticket, order_c, T0 + timedelta(minutes=1)),
        _open_at(open_ticket, order_a, T0 + timedelta(minutes=2)),
    ]
    later = _open_at(open_ticket, order_a, T0 + timedelta(hours=2))
    in_review = _open_at(open_ticket, order_c, T0)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert (
            api(merchant2).post(f"/api/v1/tickets/{in_review}/reply/", {"message": "已处理"}, format="json").status_code
            == 200
        )
    run = T0 + timedelta(hours=24, minutes=30)
    with time_machine.travel(run, tick=False):
        assert tasks.time_out_tickets() == {"timed_out": 3, "notified": 3}
        assert tasks.time_out_tickets() == {"timed_out": 0, "notified": 0}
    for no in due:
        ticket = Ticket.objects.get(ticket_no=no)
        assert (ticket.status, ticket.outcome, ticket.closed_at, ticket.updated_at) == ("closed", "timed_out", run, run)
        event = ticket.events.get(kind="timed_out")
        assert (event.actor_id, event.actor_role, event.note, event.created_at) == (
            None,
            "system",
            "Not handled by the deadline; closed by platform rule.",
            run,
        )
        notice = Notification.objects.get(kind="ticket_timed_out", data__ticket_no=no)
        assert notice.title == f"Ticket {no} timed out and was closed by platform rule"
        assert notice.body == "It was not handled by its deadline; this counts in the shop rating."
        assert notice.data == {"ticket_no": no, "status": "closed", "outcome": "timed_out"}
    assert Notification.objects.filter(kind="ticket_timed_out", shop=shop_a).count() == 2
    assert Notification.objects.filter(kind="ticket_timed_out", shop=shop_c).count() == 1
    assert Ticket.objects.get(ticket_no=later).status == "pending"
    assert Ticket.objects.get(ticket_no=in_review).status == "in_review"


def test_t5_reminder_job_exact_selection_texts_and_counts(
    api, merchant, order_a, order_c, shop_a, shop_c, open_ticket, settings
):
    """Batches of 1: the reminder job reminds each pending ticket with at
    most 2 h left, once (count 2), and not a ticket past its deadline, one
    with more time, one in review or one already reminded. The notice names
    the deadline in Asia/Shanghai time; the event is a system ``reminded``
    event at the run's time; a run with nothing to do answers 0."""
    _batch(settings, 1)
    run = T0 + timedelta(hours=23, minutes=30)  # the horizon is the second ticket's deadline
    with time_machine.travel(run, tick=False):
        assert tasks.remind_tickets() == {"reminded": 0}
    first = _open_at(open_ticket, order_a, T0 + timedelta(hours=1))  # deadline 2026-03-03 11:00 +08
    second = _open_at(open_ticket, order_c, T0 + timedelta(hours=1, minutes=30))
    past = _open_at(open_ticket, order_a, T0 - timedelta(hours=2))  # deadline passed, not yet timed out
    far = _open_at(open_ticket, order_a, T0 + timedelta(hours=5))
    in_review = _open_at(open_ticket, order_a, T0 + timedelta(hours=1))
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert (
            api(merchant).post(f"/api/v1/tickets/{in_review}/reply/", {"message": "已处理"}, format="json").status_code
            == 200
        )
    with time_machine.travel(run, tick=False):
        assert tasks.remind_tickets() == {"reminded": 2}
        assert tasks.remind_tickets() == {"reminded": 0}
    reminded = dict(Ticket.objects.values_list("ticket_no", "reminded_at"))
    assert reminded == {first: run, second: run, past: None, far: None, in_review: None}
    notices = Notification.objects.filter(kind="ticket_reminder")
    assert notices.count() == 2
    notice = notices.get(data__ticket_no=first)
    assert notice.shop_id == shop_a.pk
    assert notice.title == f"Ticket {first} must be handled by 2026-03-03 11:00"
    assert notice.body == "Handle it before the deadline, or it is closed as timed out."
    assert notice.data == {"ticket_no": first, "handle_deadline": "2026-03-03T03:00:00+00:00"}
    assert notices.get(data__ticket_no=second).shop_id == shop_c.pk
    events = TicketEvent.objects.filter(kind="reminded")
    assert sorted(events.values_list("ticket__ticket_no", flat=True)) == sorted([first, second])
    assert set(events.values_list("actor_role", "created_at")) == {("system", run)}


def test_t1_t2_ticket_number_events_and_notices_exact(support, order_a, monkeypatch):
    """T1: the number is ``T`` + the Asia/Shanghai date + 8 random digits
    (07:00 in Shanghai is the previous day in UTC); T2/W2: each change's
    event keeps its note and the act's time, an anonymous actor is recorded
    as none, and the ticket's change time moves; T5: the opening notice is
    deduplicated per ticket, the approval notice has no body."""
    from django.contrib.auth.models import AnonymousUser

    from tickets.models import ServiceType
    from tickets.services import ticket_approve, ticket_open

    monkeypatch.setattr("tickets.services.secrets.randbelow", lambda n: n - 1)
    opened_at = T0.replace(hour=7)
    stype = ServiceType.objects.get(code="logistics_query")
    with time_machine.travel(opened_at, tick=False):
        ticket = ticket_open(order=order_a, service_type=stype, description=" 物流 ", by=support, now=opened_at)
    assert ticket.ticket_no == "T2026030299999999"
    opened = ticket.events.get(kind="opened")
    assert (opened.note, opened.created_at, opened.actor) == ("物流", opened_at, support)
    notice = Notification.objects.get(kind="ticket_opened")
    assert notice.dedupe_key == f"ticket:{ticket.ticket_no}:opened"
    Ticket.objects.filter(pk=ticket.pk).update(status="in_review")
    approved_at = T0 + timedelta(hours=5)
    with time_machine.travel(approved_at, tick=False):
        ticket_approve(ticket=ticket, by=AnonymousUser(), now=approved_at, note="  好  ")
    event = ticket.events.get(kind="approved")
    assert (event.note, event.created_at, event.actor) == ("好", approved_at, None)
    notice = Notification.objects.get(kind="ticket_status")
    assert (notice.body, notice.data["outcome"]) == ("", "approved")
    ticket.refresh_from_db()
    assert ticket.updated_at == approved_at


def test_t5_reply_notices_exact_and_a_partial_reminder_batch_answers_its_count(
    api, merchant, order_a, open_ticket, settings
):
    """T5: the merchant's handling is announced with its title, the reply as
    body and the ticket's status and outcome; a reminder run whose last batch
    is not full answers its count."""
    no = _open_at(open_ticket, order_a, T0)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert (
            api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "已联系"}, format="json").status_code == 200
        )
    notice = Notification.objects.get(kind="ticket_status")
    assert (notice.title, notice.body, notice.data) == (
        f"Ticket {no} handled; waiting for support's review",
        "已联系",
        {"ticket_no": no, "status": "in_review", "outcome": None},
    )
    _batch(settings, 2)
    _open_at(open_ticket, order_a, T0)
    with time_machine.travel(T0 + timedelta(hours=23), tick=False):
        assert tasks.remind_tickets() == {"reminded": 1}
