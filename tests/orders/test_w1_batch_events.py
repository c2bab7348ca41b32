"""Rule W1 for the set-based beat jobs: the judgement (``violation.judged``),
the deduction batch (``deduction.charged``) and its reversal
(``deduction.reversed``), the O6/P7 closes (``order.closed``, and what a
close resolves), O6 completion (``order.completed``). Each job's events are
in the outbox in the job's transaction, only for shops with an endpoint, with
a per-shop ``sequence`` that has no gap and no duplicate across a batch and
the single events around it."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection

from orders import tasks as order_tasks
from orders.models import CancellationRequest, Order
from orders.services import cancellation_request, order_delivered, order_ship
from orders.webhooks import dispatch
from orders.webhooks.models import WebhookDelivery, WebhookEvent
from penalties import tasks
from penalties.models import DepositEntry, Violation
from penalties.services import judgement
from tests.factories import order_placed
from tests.penalties.conftest import at, sh

T = sh(2026, 3, 2, 10, 0)  # paid at T; ship_by = T + 48 h
JUDGED = T + timedelta(hours=48, minutes=3)


@pytest.fixture
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


def register(api, user, shop, events=("*",), url="http://127.0.0.1:9399/hook"):
    resp = api(user).post("/api/v1/webhooks/", {"shop": shop.pk, "url": url, "events": list(events)}, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def events_of(shop, type=None):
    qs = WebhookEvent.objects.filter(shop=shop).order_by("sequence")
    if type:
        qs = qs.filter(type=type)
    return [json.loads(e.body) for e in qs]


def assert_sequence_gapless(shop):
    seqs = list(WebhookEvent.objects.filter(shop=shop).order_by("sequence").values_list("sequence", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def judge(moment):
    with at(moment):
        return tasks.judge_overdue_shipments.delay().get()


@pytest.mark.django_db
def test_w1_judgement_pushes_violation_judged_as_the_api_lists_it_only_for_shops_with_an_endpoint(
    api, merchant, shop_a, shop_b, private_ok
):
    """Given overdue orders in shop A (endpoint subscribed) and shop B (no
    endpoint), when the judgement job runs, every judgement of A is a
    ``violation.judged`` event whose ``data`` is the violation exactly as
    ``GET /violations/`` shows it, each with one pending delivery; B gets no
    outbox row. A rerun at the same moment writes nothing twice."""
    register(api, merchant, shop_a, events=["violation.judged"])
    a_orders = [order_placed(shop=shop_a, now=T) for _ in range(3)]
    order_placed(shop=shop_b, now=T)

    assert judge(JUDGED)["judged"] == 4

    pushed = events_of(shop_a)
    assert [e["type"] for e in pushed] == ["violation.judged"] * 3
    assert [e["sequence"] for e in pushed] == [1, 2, 3]
    assert {e["data"]["order_no"] for e in pushed} == {o.order_no for o in a_orders}
    with at(JUDGED):
        listed = api(merchant).get("/api/v1/violations/", {"shop": shop_a.pk}).json()["results"]
    by_id = {v["id"]: v for v in listed}
    for event in pushed:
        assert event["shop"] == shop_a.pk
        assert event["data"] == by_id[event["data"]["id"]]
    assert WebhookDelivery.objects.filter(event__shop=shop_a, status="pending", attempts=0).count() == 3
    assert not WebhookEvent.objects.filter(shop=shop_b).exists()

    with at(JUDGED):  # the same run again (a retried task): no judgement, no event twice
        from penalties.services import violations_judge

        assert violations_judge(now=JUDGED)["judged"] == 0
    assert WebhookEvent.objects.filter(shop=shop_a).count() == 3


@pytest.mark.django_db
def test_w1_judgement_and_its_events_commit_together_or_not_at_all(api, merchant, shop_a, private_ok, monkeypatch):
    """If the judgement's transaction fails after its events were written,
    neither the violations nor the events (nor the sequence) remain."""
    register(api, merchant, shop_a)
    order_placed(shop=shop_a, now=T)
    real = judgement.violations_judged_push

    def push_then_fail(*, now):
        assert real(now=now) == 1  # the event is written in the job's transaction...
        raise RuntimeError("the worker dies before the commit")

    monkeypatch.setattr(judgement, "violations_judged_push", push_then_fail)
    with pytest.raises(RuntimeError):
        judgement.violations_judge(now=JUDGED)
    assert not Violation.objects.exists()
    assert not WebhookEvent.objects.filter(type="violation.judged").exists()
    assert [e["type"] for e in events_of(shop_a)] == ["order.paid"]

    monkeypatch.setattr(judgement, "violations_judged_push", real)
    assert judgement.violations_judge(now=JUDGED)["judged"] == 1
    assert [(e["type"], e["sequence"]) for e in events_of(shop_a)] == [("order.paid", 1), ("violation.judged", 2)]


@pytest.mark.django_db
def test_w1_deduction_batch_pushes_deduction_charged_and_a_reversal_deduction_reversed(
    api, merchant, reviewer, shop_a, shop_b, private_ok
):
    """The nightly batch's ledger entries are ``deduction.charged`` events
    (the entry as ``GET /deposit/entries/`` lists it); an appeal granted after
    the charge reverses it: ``deduction.reversed`` with the reversal entry.
    Shop B (no endpoint) is charged too, without any outbox row."""
    register(api, merchant, shop_a, events=["deduction.charged", "deduction.reversed"])
    order_placed(shop=shop_a, now=T)
    order_placed(shop=shop_b, now=T)
    judge(JUDGED)
    night = sh(2026, 3, 5, 0, 30)
    with at(night):
        assert tasks.run_deductions.delay().get()["charged"] == 2

    charged = events_of(shop_a, "deduction.charged")
    assert len(charged) == 1
    with at(night):
        listed = api(merchant).get("/api/v1/deposit/entries/", {"shop": shop_a.pk, "kind": "deduction"}).json()
    assert charged[0]["data"] == listed["results"][0]
    assert charged[0]["data"]["amount"] == "-10.00"
    assert not WebhookEvent.objects.filter(shop=shop_b).exists()
    assert DepositEntry.objects.filter(shop=shop_b, kind="deduction").count() == 1

    violation = Violation.objects.get(shop=shop_a)
    with at(night + timedelta(hours=1)):
        appeal = api(merchant).post(
            f"/api/v1/violations/{violation.pk}/appeal/", {"reason": "courier_delay", "detail": "late pickup"}
        )
        assert appeal.status_code == 201, appeal.content
        resp = api(reviewer).post(f"/api/v1/appeals/{appeal.json()['id']}/approve/", {"note": "ok"})
        assert resp.status_code == 200, resp.content
        reversal = api(merchant).get("/api/v1/deposit/entries/", {"shop": shop_a.pk, "kind": "reversal"}).json()
    reversed_ = events_of(shop_a, "deduction.reversed")
    assert len(reversed_) == 1 and reversed_[0]["data"] == reversal["results"][0]
    assert reversed_[0]["data"]["amount"] == "10.00"
    assert_sequence_gapless(shop_a)


@pytest.mark.django_db
def test_w1_unpaid_and_auto_close_push_order_closed_and_what_the_close_resolved(
    api, merchant, shop_a, shop_b, private_ok
):
    """O6 unpaid close and P7 auto-close (set-based jobs) push
    ``order.closed`` with the order as the API lists it; the cancellation
    request the auto-close resolved is a ``cancellation.decided`` event; shop B
    (no endpoint) gets nothing."""
    register(api, merchant, shop_a, events=["order.closed", "cancellation.decided"])
    unpaid = order_placed(shop=shop_a, now=T, paid=False)
    order_placed(shop=shop_b, now=T, paid=False)
    with at(T + timedelta(hours=2)):
        assert order_tasks.close_unpaid.delay().get()["closed"] == 2
    closed = events_of(shop_a, "order.closed")
    assert len(closed) == 1
    assert closed[0]["data"]["order_no"] == unpaid.order_no and closed[0]["data"]["status"] == "closed"
    assert closed[0]["data"]["buyer_phone"] != "13812345678"  # masked like the API
    assert closed[0]["data"]["event"]["kind"] == "closed_unpaid"

    old = order_placed(shop=shop_a, now=T)
    cancellation_request(order=old, reason="out_of_stock", detail="", by=merchant, now=T + timedelta(hours=1))
    with at(T + timedelta(days=151)):
        assert order_tasks.auto_close.delay().get()["closed"] >= 1
    auto = [e for e in events_of(shop_a, "order.closed") if e["data"]["order_no"] == old.order_no]
    assert len(auto) == 1 and auto[0]["data"]["event"]["kind"] == "auto_closed"
    assert auto[0]["data"]["refunded_amount"] == auto[0]["data"]["total_amount"]
    decided = events_of(shop_a, "cancellation.decided")
    assert [e["data"]["event"]["kind"] for e in decided] == ["cancellation_closed"]
    assert CancellationRequest.objects.get(order=old).status == "closed"
    assert not WebhookEvent.objects.filter(shop=shop_b).exists()
    assert_sequence_gapless(shop_a)


@pytest.mark.django_db
def test_w1_completion_job_pushes_order_completed(api, merchant, shop_a, private_ok):
    """O6: the completion job's orders are ``order.completed`` events, after
    the ``order.shipped`` of the same order (sequence order)."""
    register(api, merchant, shop_a, events=["order.shipped", "order.completed"])
    order = order_placed(shop=shop_a, now=T)
    order_ship(order=order, carrier="SF", tracking_no="SF1234567890", by=None, now=T + timedelta(hours=1))
    order_delivered(order=Order.objects.get(pk=order.pk), delivered_at=T + timedelta(days=1), now=T + timedelta(days=1))
    with at(T + timedelta(days=30)):
        assert order_tasks.complete_delivered.delay().get()["completed"] == 1
    pushed = events_of(shop_a)
    assert [(e["type"], e["sequence"]) for e in pushed] == [("order.shipped", 1), ("order.completed", 2)]
    assert pushed[1]["data"]["status"] == "completed"


@pytest.mark.django_db
def test_w1_sequence_has_no_gap_across_a_batch_and_single_events_around_it(api, merchant, shop_a, private_ok):
    """A single event, a batch of judgements, another single event: the
    shop's sequence runs 1..n without a gap or a duplicate."""
    register(api, merchant, shop_a, events=["order.shipped", "violation.judged"])
    orders = [order_placed(shop=shop_a, now=T) for _ in range(5)]
    order_ship(order=orders[0], carrier="SF", tracking_no="SF0000000001", by=None, now=T + timedelta(hours=1))
    judge(JUDGED)
    order_ship(order=orders[1], carrier="SF", tracking_no="SF0000000002", by=None, now=JUDGED + timedelta(minutes=1))
    types = [e["type"] for e in events_of(shop_a)]
    assert types[0] == "order.shipped" and types[-1] == "order.shipped"
    assert types.count("violation.judged") == 4
    assert_sequence_gapless(shop_a)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_w1_batch_and_concurrent_single_events_share_the_sequence_without_gaps(
    api, merchant, shop_a, private_ok, monkeypatch
):
    """PostgreSQL, two connections at once: the judgement of 40 orders and 10
    shipments of the same shop committed concurrently; every event of the
    shop has its own sequence number and together they run 1..n."""
    # Deliveries stay in the outbox (eager Celery would attempt them at commit).
    monkeypatch.setattr(dispatch, "deliver_after_commit", lambda ids, manual=False: None)
    register(api, merchant, shop_a)
    overdue = [order_placed(shop=shop_a, now=T) for _ in range(40)]
    fresh = [order_placed(shop=shop_a, now=JUDGED) for _ in range(10)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(work):
        try:
            start.wait()
            work()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    def shipments():
        for i, order in enumerate(fresh):
            order_ship(order=order, carrier="SF", tracking_no=f"SF{i:010d}", by=None, now=JUDGED)

    threads = [
        threading.Thread(target=run, args=(lambda: judgement.violations_judge(now=JUDGED),)),
        threading.Thread(target=run, args=(shipments,)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert Violation.objects.filter(shop=shop_a).count() == len(overdue)
    assert WebhookEvent.objects.filter(shop=shop_a, type="violation.judged").count() == len(overdue)
    assert WebhookEvent.objects.filter(shop=shop_a, type="order.shipped").count() == len(fresh)
    assert_sequence_gapless(shop_a)


@pytest.mark.django_db
def test_w1_a_batch_is_delivered_once_each_signed_and_a_dead_endpoint_fails_fast(api, merchant, shop_a, shop_b):
    """A delivery task's batch: every delivery of the live endpoint is POSTed
    once (its own ``webhook-id``, a valid signature); the endpoint that does
    not answer costs one connection attempt for the whole batch, its
    deliveries all recorded ``failed`` for a retry after backoff."""
    from standardwebhooks import Webhook

    from orders.webhooks import services as wh
    from orders.webhooks.outbox_sql import outbox_emit_rows

    from .receiver import Receiver, free_port

    live = Receiver(free_port()).start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            from django.conf import settings

            mp.setattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", True)
            mp.setattr(settings, "WEBHOOK_DELIVERY_THREADS", 1)  # in order: the count of attempts is exact
            secret = register(api, merchant, shop_a, events=["order.shipped"], url=live.url)["secret"]
            register(api, merchant, shop_b, events=["order.shipped"], url=f"http://127.0.0.1:{free_port()}/down")
            rows = [(shop, None, {"k": k}) for shop in (shop_a.pk, shop_b.pk) for k in range(12)]
            assert outbox_emit_rows(type="order.shipped", rows=rows, now=T) == 24
            ids = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))
            calls = []
            real_post = wh.transport.post
            mp.setattr(wh.transport, "post", lambda *a, **kw: calls.append(1) or real_post(*a, **kw))
            out = wh.webhook_deliveries_attempt(delivery_ids=ids, now=T, due_only=False)
    finally:
        live.stop()
    assert sorted(out.values()) == ["failed"] * 12 + ["succeeded"] * 12
    assert len(live.requests) == 12 and len(calls) == 13  # 12 to the live one, 1 to the dead one
    assert len({h["webhook-id"] for h, _b in live.requests}) == 12
    with at(T):  # the signature's timestamp is the attempt's ``now``
        for headers, body in live.requests:
            Webhook(secret).verify(body, headers)
    failed = WebhookDelivery.objects.filter(endpoint__shop=shop_b)
    assert {(d.status, d.attempts) for d in failed} == {("failed", 1)}
    assert all(d.next_attempt_at > T for d in failed)
    assert wh.webhook_deliveries_attempt(delivery_ids=ids, now=T) == {}  # nothing due: backoff, and done


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_w1_two_workers_claiming_the_same_batch_send_each_delivery_once(api, merchant, shop_a, private_ok, monkeypatch):
    """PostgreSQL: two workers given the same 40 delivery ids at once (a
    retried message, the sweeper): SKIP LOCKED and the lease split them, so
    the receiver gets each event exactly once."""
    from orders.webhooks import services as wh
    from orders.webhooks.outbox_sql import outbox_emit_rows

    from .receiver import Receiver, free_port

    monkeypatch.setattr(dispatch, "deliver_after_commit", lambda ids, manual=False: None)
    live = Receiver(free_port()).start()
    try:
        register(api, merchant, shop_a, events=["order.shipped"], url=live.url)
        outbox_emit_rows(type="order.shipped", rows=[(shop_a.pk, None, {"k": k}) for k in range(40)], now=JUDGED)
        ids = list(WebhookDelivery.objects.values_list("pk", flat=True))
        start = threading.Barrier(2)
        results: list[dict] = []

        def work():
            try:
                start.wait()
                results.append(wh.webhook_deliveries_attempt(delivery_ids=ids, now=JUDGED))
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        live.stop()
    assert sum(len(r) for r in results) == 40
    not_sent = list(WebhookDelivery.objects.exclude(status="succeeded").values_list("status", "attempts", "last_error"))
    assert not_sent == []  # names the network's error if the machine drops one
    assert sorted(h["webhook-id"] for h, _b in live.requests) == sorted(
        WebhookEvent.objects.values_list("msg_id", flat=True)
    )
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("succeeded", 1)}
