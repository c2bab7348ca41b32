"""F1, F2, P7 (issue 13, ``SCOPE=refunds``): exact amounts, statuses, times,
events, notification texts and summaries of ``orders.services.refunds``,
through the services and the Celery tasks."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from orders.errors import OrderError
from orders.models import CancellationRequest, Notification, OrderEvent, Refund
from orders.services import (
    after_sale_open,
    cancellation_request,
    orders_auto_close,
    refund_issue,
    refund_process,
    refund_settle_alternative,
    refunds_process_pending,
)
from orders.webhooks.models import WebhookEvent
from tests.factories import ProductFactory, order_placed
from tests.orders.helpers import T0, fresh

pytestmark = pytest.mark.django_db
GATEWAY = "tests.orders.test_refunds_exact.RecordingGateway"


class RecordingGateway:
    """Answers per cause (``"refuse"``, ``"timeout"``, a long reference, or
    pays); records every call with its arguments."""

    script: dict[str, str] = {}
    calls: list[tuple[str, str, Decimal]] = []

    def refund(self, *, idempotency_key, order_no, amount):
        from orders.gateways import GatewayError

        self.calls.append((idempotency_key, order_no, amount))
        answer = self.script.get(idempotency_key, "pay")
        if answer == "refuse":
            raise GatewayError("card closed " + "x" * 1500)
        if answer == "refuse_short":
            raise GatewayError("card closed")
        if answer == "timeout":
            raise TimeoutError("read timed out " + "y" * 1500)
        if answer == "long_ref":
            return "R" * 100
        return "REF-" + idempotency_key


@pytest.fixture
def gateway(settings):
    RecordingGateway.script, RecordingGateway.calls = {}, []
    settings.REFUND_GATEWAY = GATEWAY
    return RecordingGateway


def _order(shop, price="100.00", **kwargs):
    return order_placed(shop=shop, product=ProductFactory(shop=shop, price=Decimal(price)), now=T0, **kwargs)


def _error(call) -> OrderError:
    with pytest.raises(OrderError) as info:
        call()
    return info.value


def test_f2_refund_issue_rounds_to_cents_and_records_everything(shop_a):
    """The amount is rounded to the cent; the refund starts pending on the
    original route, due now, no attempt; the order's refunded amount grows by
    it and a partial refund leaves the status; the event says what was issued."""
    order = _order(shop_a)
    refund = refund_issue(order=order, cause="exact:1", amount="3.456", now=T0)
    refund.refresh_from_db()
    assert (refund.amount, refund.status, refund.route, refund.attempts) == (Decimal("3.46"), "pending", "original", 0)
    assert (refund.created_at, refund.next_attempt_at, refund.first_attempt_at) == (T0, T0, None)
    assert (refund.shop_id, refund.order_id, refund.cause) == (shop_a.pk, order.pk, "exact:1")
    o = fresh(order)
    assert (o.refunded_amount, o.status, o.closed_at) == (Decimal("3.46"), "awaiting_shipment", None)
    event = OrderEvent.objects.get(order=order, kind="refund_issued")
    assert event.data == {"refund_id": refund.pk, "cause": "exact:1", "amount": "3.46"}
    assert (event.from_status, event.to_status, event.created_at, event.actor_role) == ("", "", T0, "system")
    refund_issue(order=order, cause="exact:2", amount=Decimal("0.01"), now=T0)
    assert fresh(order).refunded_amount == Decimal("3.47")


@pytest.mark.parametrize("amount", ["0", "-1.00", "0.004"])
def test_f2_refund_issue_refuses_an_amount_that_is_not_positive(shop_a, amount):
    order = _order(shop_a)
    err = _error(lambda: refund_issue(order=order, cause="bad", amount=Decimal(amount), now=T0))
    assert (err.code, err.status, err.detail) == ("invalid_amount", 400, "A refund amount must be positive.")
    assert not Refund.objects.exists() and fresh(order).refunded_amount == 0


def test_f2_refund_issue_refuses_more_than_is_left_and_closes_at_the_exact_rest(shop_a, reviewer):
    """60 of 100 refunded: 40.01 is refused (409, the rest in the message);
    exactly 40.00 is accepted and closes the order at that instant, recorded
    as a move awaiting_shipment → closed; the same cause again returns the
    same refund without a new error."""
    order = _order(shop_a)
    refund_issue(order=order, cause="part", amount=Decimal("60.00"), now=T0)
    err = _error(lambda: refund_issue(order=order, cause="rest", amount=Decimal("40.01"), now=T0))
    assert (err.code, err.status) == ("refund_exceeds_total", 409)
    assert err.detail == "The refund exceeds what is left to refund (40.00)."
    later = T0 + timedelta(hours=1)
    rest = refund_issue(order=order, cause="rest", amount=Decimal("40.00"), by=reviewer, now=later)
    o = fresh(order)
    assert (o.status, o.closed_at, o.refunded_amount) == ("closed", later, Decimal("100.00"))
    event = OrderEvent.objects.get(order=order, kind="refund_issued", data__cause="rest")
    assert (event.from_status, event.to_status, event.actor_id) == ("awaiting_shipment", "closed", reviewer.pk)
    again = refund_issue(order=order, cause="rest", amount=Decimal("40.00"), now=later)
    assert again.pk == rest.pk and Refund.objects.filter(order=order).count() == 2


def test_f1_issue_queues_one_refund_and_auto_close_queues_a_batch(
    shop_a, monkeypatch, django_capture_on_commit_callbacks
):
    """After commit: one refund → ``process_refund(id)``; the auto-close's
    refunds → one ``process_refunds([ids])``."""
    from orders import tasks

    sent = []
    monkeypatch.setattr(tasks.process_refund, "delay", lambda *a: sent.append(("one", a)))
    monkeypatch.setattr(tasks.process_refunds, "delay", lambda *a: sent.append(("many", a)))
    order = _order(shop_a)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_issue(order=order, cause="q:1", amount=Decimal("1.00"), now=T0)
    assert sent == [("one", (refund.pk,))]
    sent.clear()
    old = [_order(shop_a, placed_at=T0 - timedelta(days=150)) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        orders_auto_close(now=T0)
    ids = sorted(Refund.objects.filter(cause__startswith="auto_close:").values_list("pk", flat=True))
    assert len(ids) == 2 and {r.order_id for r in Refund.objects.filter(pk__in=ids)} == {o.pk for o in old}
    assert [(kind, sorted(args[0])) for kind, args in sent] == [("many", ids)]


@pytest.mark.parametrize("error", ["broker", "os"])
def test_f1_broker_down_leaves_the_refund_pending_for_the_sweeper(
    shop_a, monkeypatch, caplog, django_capture_on_commit_callbacks, error
):
    from kombu.exceptions import OperationalError

    from orders import tasks

    def down(*args):
        raise OperationalError("no broker") if error == "broker" else OSError("no route")

    monkeypatch.setattr(tasks.process_refund, "delay", down)
    order = _order(shop_a)
    with caplog.at_level(logging.WARNING, logger="orders.services.refunds"):
        with django_capture_on_commit_callbacks(execute=True):
            refund = refund_issue(order=order, cause="q:down", amount=Decimal("1.00"), now=T0)
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("pending", 0)
    assert [r.getMessage() for r in caplog.records] == [
        f"broker unreachable: refunds [{refund.pk}] left pending for the sweeper"
    ]


def test_f1_paid_refund_records_the_reference_cut_to_64_and_the_call_arguments(shop_a, gateway):
    """The gateway gets the cause as idempotency key, the order number and
    the amount; its reference is stored cut to 64 characters; settled then."""
    gateway.script = {"pay:1": "long_ref"}
    order = _order(shop_a)
    refund = refund_issue(order=order, cause="pay:1", amount=Decimal("12.34"), now=T0)
    at = T0 + timedelta(minutes=1)
    result = refund_process(refund_id=refund.pk, now=at)
    assert gateway.calls == [("pay:1", order.order_no, Decimal("12.34"))]
    assert (result.status, result.gateway_ref, result.settled_at, result.attempts) == ("succeeded", "R" * 64, at, 1)
    assert (result.first_attempt_at, result.next_attempt_at) == (at, at + timedelta(seconds=300))
    event = OrderEvent.objects.get(order=order, kind="refund_succeeded")
    assert event.data == {"refund_id": refund.pk, "gateway_ref": "R" * 64}
    assert (event.actor_role, event.actor_id, event.created_at) == ("system", None, at)
    # paid: a second processing calls nobody and records nothing more
    refund_process(refund_id=refund.pk, now=at + timedelta(days=1))
    assert len(gateway.calls) == 1 and OrderEvent.objects.filter(kind="refund_succeeded").count() == 1


def test_f1_refund_process_uses_the_gateway_it_is_given(shop_a, settings):
    settings.REFUND_SANDBOX_FAIL = True  # the configured (sandbox) gateway would refuse

    class Pays:
        def refund(self, **kwargs):
            return "GIVEN"

    refund = refund_issue(order=_order(shop_a), cause="given", amount=Decimal("1.00"), now=T0)
    result = refund_process(refund_id=refund.pk, now=T0, gateway=Pays())
    assert (result.status, result.gateway_ref) == ("succeeded", "GIVEN")


def test_f1_refusal_moves_to_the_alternative_route_with_exact_texts(shop_a, gateway):
    """Refused: alternative route, still pending, the error cut to 1000 in the
    refund and the event, the merchant told once with the exact text."""
    gateway.script = {"ref:1": "refuse"}
    order = _order(shop_a)
    refund = refund_issue(order=order, cause="ref:1", amount=Decimal("5.00"), now=T0)
    result = refund_process(refund_id=refund.pk, now=T0)
    error = ("card closed " + "x" * 1500)[:1000]
    assert (result.route, result.status, result.last_error, result.settled_at) == (
        "alternative",
        "pending",
        error,
        None,
    )
    event = OrderEvent.objects.get(order=order, kind="refund_failed")
    assert (event.note, event.actor_role, event.actor_id, event.created_at) == (error, "system", None, T0)
    assert event.data == {"refund_id": refund.pk, "route": "alternative", "unreachable": False}
    note = Notification.objects.get(shop=shop_a, kind="refund_alternative_route")
    assert note.title == f"Refund for order {order.order_no} moved to an alternative route"
    assert note.body == "The original payment route refused the refund of 5.00; the platform will pay it another way."
    assert note.data == {"order_no": order.order_no, "refund_id": refund.pk}
    assert note.dedupe_key == f"refund_alternative:{refund.pk}"
    from orders.services import refunds

    refunds._to_alternative_route(refund=result, error="again", unreachable=True, now=T0)  # moved already: no-op
    assert OrderEvent.objects.filter(kind="refund_failed").count() == 1
    assert Refund.objects.get(pk=refund.pk).last_error == error


def test_f1_unanswered_keeps_the_error_cut_to_1000_and_logs_the_attempt(shop_a, gateway, caplog):
    gateway.script = {"to:1": "timeout"}
    refund = refund_issue(order=_order(shop_a), cause="to:1", amount=Decimal("5.00"), now=T0)
    with caplog.at_level(logging.WARNING, logger="orders.services.refunds"):
        result = refund_process(refund_id=refund.pk, now=T0)
    assert result.last_error == ("TimeoutError: read timed out " + "y" * 1500)[:1000]
    assert (result.next_attempt_at, result.route) == (T0 + timedelta(seconds=60), "original")
    assert caplog.records[0].getMessage().startswith(f"refund {refund.pk}: gateway unreachable (attempt 1): TimeoutErr")


def test_f1_unreachable_24_hours_notifies_with_the_hours_and_the_amount(shop_a, gateway):
    """Given the first call 24 h ago, an unanswered call at the mark moves the
    refund with the "could not be reached for 24 hours" text."""
    gateway.script = {"to:2": "timeout"}
    order = _order(shop_a)
    refund = refund_issue(order=order, cause="to:2", amount=Decimal("7.50"), now=T0)
    refund_process(refund_id=refund.pk, now=T0)
    mark = T0 + timedelta(hours=24)
    Refund.objects.filter(pk=refund.pk).update(next_attempt_at=mark)
    result = refund_process(refund_id=refund.pk, now=mark)
    assert (result.route, result.attempts, result.first_attempt_at) == ("alternative", 2, T0)
    note = Notification.objects.get(kind="refund_alternative_route")
    assert note.body == (
        "The original payment route could not be reached for 24 hours; the platform will pay the refund of 7.50"
        " another way."
    )
    event = OrderEvent.objects.get(order=order, kind="refund_failed")
    assert event.data["unreachable"] is True and event.note.startswith("TimeoutError: read timed out")


def test_f1_settle_alternative_records_who_when_and_the_note(shop_a, gateway, reviewer):
    gateway.script = {"alt:1": "refuse_short", "alt:2": "refuse_short"}
    order = _order(shop_a)
    original = refund_issue(order=order, cause="orig", amount=Decimal("1.00"), now=T0)
    err = _error(lambda: refund_settle_alternative(refund=original, by=reviewer, now=T0))
    assert (err.code, err.status) == ("refund_not_in_alternative_queue", 409)
    assert err.detail == "This refund is not waiting for an alternative route."
    alt = refund_issue(order=order, cause="alt:1", amount=Decimal("2.00"), now=T0)
    refund_process(refund_id=alt.pk, now=T0)
    later = T0 + timedelta(hours=3)
    settled = refund_settle_alternative(refund=alt, by=reviewer, note="银行转账", now=later)
    settled.refresh_from_db()
    assert (settled.status, settled.settled_at, settled.settled_by_id) == ("succeeded", later, reviewer.pk)
    assert (settled.settlement_note, settled.route) == ("银行转账", "alternative")
    event = OrderEvent.objects.get(order=order, kind="refund_settled")
    assert (event.note, event.actor_id, event.actor_role, event.created_at) == (
        "银行转账",
        reviewer.pk,
        "reviewer",
        later,
    )
    assert event.data == {"refund_id": alt.pk, "route": "alternative"}
    err = _error(lambda: refund_settle_alternative(refund=alt, by=reviewer, now=later))  # paid already
    assert err.code == "refund_not_in_alternative_queue"
    other = refund_issue(order=order, cause="alt:2", amount=Decimal("3.00"), now=T0)
    refund_process(refund_id=other.pk, now=T0)
    assert refund_settle_alternative(refund=other, by=reviewer, note=None, now=later).settlement_note == ""
    assert Refund.objects.get(pk=other.pk).settlement_note == ""


def test_f1_sweeper_summary_counts_each_outcome_most_overdue_first(shop_a, gateway):
    """Three refunds due: paid, refused, unanswered → one of each in the
    summary; oldest first; ``limit`` and ``refund_ids`` narrow the run."""
    gateway.script = {"s:2": "refuse_short", "s:3": "timeout"}
    order = _order(shop_a, price="300.00")
    refunds = [
        refund_issue(order=order, cause=f"s:{i}", amount=Decimal("1.00"), now=T0 - timedelta(minutes=10 - i))
        for i in (1, 2, 3, 4)
    ]
    summary = refunds_process_pending(now=T0, refund_ids=[r.pk for r in refunds[:3]])
    assert summary == {"processed": 3, "succeeded": 1, "alternative": 1, "retry_later": 1}
    assert [c[0] for c in gateway.calls] == ["s:1", "s:2", "s:3"]
    assert refunds_process_pending(now=T0, limit=1) == {
        "processed": 1,
        "succeeded": 1,
        "alternative": 0,
        "retry_later": 0,
    }
    assert gateway.calls[-1][0] == "s:4"
    nothing = refunds_process_pending(now=T0)
    assert nothing == {"processed": 0, "succeeded": 0, "alternative": 0, "retry_later": 0}


def test_f1_sweeper_task_takes_equal_due_times_in_id_order(shop_a, gateway):
    from orders.tasks import process_refunds

    order = _order(shop_a)
    ids = [refund_issue(order=order, cause=f"eq:{i}", amount=Decimal("1.00"), now=T0).pk for i in range(3)]
    with time_machine.travel(T0, tick=False):
        process_refunds.apply(kwargs={"refund_ids": list(reversed(ids))}).get()
    assert [c[0] for c in gateway.calls] == ["eq:0", "eq:1", "eq:2"]


def test_p7_auto_close_at_the_exact_cutoff_with_exact_rows(shop_a, merchant, settings):
    """Placed exactly 150 days ago: closed; one second less: not. The refund
    row (the rest, pending, original route, due now), the ``auto_closed``
    event (system, awaiting_shipment → closed, the P7 note) and what it
    resolved (its pending cancellation and after-sale, with the P7 reason)."""
    settings.REFUND_SANDBOX_MODE = "timeout"  # keep the refunds pending
    due = _order(shop_a, placed_at=T0 - timedelta(days=150))
    young = _order(shop_a, placed_at=T0 - timedelta(days=150) + timedelta(seconds=1))
    refund_issue(order=due, cause="partial", amount=Decimal("30.00"), now=T0 - timedelta(days=149))
    cancellation_request(order=due, reason="out_of_stock", by=merchant, now=due.paid_at + timedelta(minutes=1))
    other = _order(shop_a, placed_at=T0 - timedelta(days=160))
    after_sale_open(order=other, type="refund_only", reason="wrong_item", amount=Decimal("1.00"), now=T0)
    summary = orders_auto_close(now=T0)
    assert summary == {"closed": 2, "refunds": 2, "cancellations": 1, "after_sales": 1, "tickets": 0}
    assert fresh(young).status == "awaiting_shipment"
    d = fresh(due)
    assert (d.status, d.closed_at, d.refunded_amount, d.updated_at >= T0) == ("closed", T0, Decimal("100.00"), True)
    refund = Refund.objects.get(cause=f"auto_close:{due.pk}")
    assert (refund.amount, refund.status, refund.route, refund.attempts) == (Decimal("70.00"), "pending", "original", 0)
    assert (refund.created_at, refund.next_attempt_at, refund.shop_id, refund.order_id) == (T0, T0, shop_a.pk, due.pk)
    assert (refund.gateway_ref, refund.last_error, refund.settlement_note) == ("", "", "")
    event = OrderEvent.objects.get(order=due, kind="auto_closed")
    assert (event.from_status, event.to_status, event.actor_role, event.actor_id) == (
        "awaiting_shipment",
        "closed",
        "system",
        None,
    )
    assert (event.note, event.data, event.created_at) == (
        "Not shipped within 150 days: closed and refunded (P7).",
        {},
        T0,
    )
    closed = CancellationRequest.objects.get(order=due)
    assert (closed.status, closed.decided_at) == ("closed", T0)
    assert closed.decision_reason == "The order was closed automatically, not shipped within 150 days (P7)."
    assert orders_auto_close(now=T0) == {"closed": 0, "refunds": 0, "cancellations": 0, "after_sales": 0, "tickets": 0}


def test_p7_auto_close_in_exact_chunks(shop_a):
    """Five orders, chunks of two: all five closed (the last chunk is short)."""
    orders = [_order(shop_a, placed_at=T0 - timedelta(days=151)) for _ in range(5)]
    summary = orders_auto_close(now=T0, chunk=2)
    assert (summary["closed"], summary["refunds"]) == (5, 5)
    assert {fresh(o).status for o in orders} == {"closed"}


def test_p7_auto_close_pushes_order_closed_to_a_listening_shop(api, merchant, shop_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    resp = api(merchant).post(
        "/api/v1/webhooks/",
        {"shop": shop_a.pk, "url": "http://127.0.0.1:9399/hook", "events": ["order.closed"]},
        format="json",
    )
    assert resp.status_code == 201, resp.content
    order = _order(shop_a, placed_at=T0 - timedelta(days=151))
    orders_auto_close(now=T0)
    pushed = [json.loads(e.body) for e in WebhookEvent.objects.filter(shop=shop_a, type="order.closed")]
    assert [(p["data"]["order_no"], p["data"]["event"]["kind"]) for p in pushed] == [(order.order_no, "auto_closed")]
    assert pushed[0]["data"]["event"]["note"] == "Not shipped within 150 days: closed and refunded (P7)."
