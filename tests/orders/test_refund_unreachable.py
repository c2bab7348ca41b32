"""F1 (clarified): a gateway that cannot be reached is retried with backoff,
the attempt and the next attempt's time are kept, after 24 h without an
answer the refund moves to the alternative route, one refund without an
answer never holds up the others, and no row lock is held across the call."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction

from orders.models import Notification, Order, OrderEvent, Refund
from orders.services import refund_issue
from orders.tasks import process_refund, process_refunds
from tests.factories import order_placed
from tests.orders.helpers import T0

GATEWAY = "tests.orders.test_refund_unreachable.ScriptedGateway"


class ScriptedGateway:
    """A provider whose answer per refund cause is scripted: ``"timeout"``,
    ``"connection_error"``, ``"refuse"`` or (default) pay. Records every call,
    whether a transaction was open on the caller's connection during it, and
    (with ``probe``) whether another connection could lock the refund and its
    order row meanwhile."""

    script: dict[str, str] = {}
    calls: list[str] = []
    in_atomic: list[bool] = []
    probe = False
    probes: list[str] = []

    def refund(self, *, idempotency_key, order_no, amount):
        from orders.gateways import GatewayError

        self.calls.append(idempotency_key)
        self.in_atomic.append(connection.in_atomic_block)
        if self.probe:
            self.probes.append(_lock_from_another_connection(idempotency_key, order_no))
        answer = self.script.get(idempotency_key, "pay")
        if answer == "timeout":
            raise TimeoutError("read timed out")
        if answer == "connection_error":
            raise ConnectionError("connection refused")
        if answer == "refuse":
            raise GatewayError("card closed")
        return "REF-" + idempotency_key


def _lock_from_another_connection(cause: str, order_no: str) -> str:
    outcome = []

    def probe():
        try:
            with transaction.atomic():
                Refund.objects.select_for_update(nowait=True).get(cause=cause)
                Order.objects.select_for_update(nowait=True).get(order_no=order_no)
            outcome.append("free")
        except Exception as exc:  # noqa: BLE001  (reported by the test)
            outcome.append(repr(exc))
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.fixture
def gateway(settings):
    ScriptedGateway.script, ScriptedGateway.calls, ScriptedGateway.in_atomic = {}, [], []
    ScriptedGateway.probe, ScriptedGateway.probes = False, []
    settings.REFUND_GATEWAY = GATEWAY
    return ScriptedGateway


def _refund(shop, cause: str, *, at=T0) -> Refund:
    order = order_placed(shop=shop, now=at - timedelta(hours=1))
    return refund_issue(order=order, cause=cause, amount=Decimal("5.00"), now=at)


def _sweep(at, **kwargs) -> dict:
    with time_machine.travel(at, tick=False):
        return process_refunds.apply(kwargs=kwargs).get()


@pytest.mark.parametrize("answer", ["timeout", "connection_error"])
@pytest.mark.django_db
def test_f1_unanswered_call_keeps_the_attempt_and_schedules_the_next(shop_a, gateway, answer):
    """The gateway times out (or refuses the connection): the task ends
    normally, the refund stays pending on the original route with one attempt
    counted and the next attempt 60 s later (kept: nothing rolled back), the
    error recorded; nobody is told yet."""
    gateway.script = {"f1:a": answer}
    refund = _refund(shop_a, "f1:a")
    with time_machine.travel(T0, tick=False):
        process_refund.apply(args=[refund.pk], throw=True)
    refund.refresh_from_db()
    assert (refund.status, refund.route, refund.attempts) == ("pending", "original", 1)
    assert refund.first_attempt_at == T0 and refund.next_attempt_at == T0 + timedelta(seconds=60)
    assert ("TimeoutError" if answer == "timeout" else "ConnectionError") in refund.last_error
    assert not Notification.objects.filter(kind="refund_alternative_route").exists()


@pytest.mark.django_db
def test_f1_sandbox_gateway_can_time_out_or_refuse_connections(shop_a, settings):
    """The local sandbox plays an unreachable provider (REFUND_SANDBOX_MODE,
    or the cache flag for every process): the attempt is kept with backoff."""
    from orders.gateways import sandbox_mode

    settings.REFUND_SANDBOX_MODE = "timeout"
    refund = _refund(shop_a, "f1:sandbox")
    _sweep(T0)
    refund.refresh_from_db()
    assert refund.attempts == 1 and "TimeoutError" in refund.last_error
    settings.REFUND_SANDBOX_MODE = ""
    sandbox_mode("connection_error")
    try:
        _sweep(refund.next_attempt_at)
    finally:
        sandbox_mode("")
    refund.refresh_from_db()
    assert refund.attempts == 2 and "ConnectionError" in refund.last_error
    _sweep(refund.next_attempt_at)
    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.attempts == 3


@pytest.mark.django_db
def test_f1_backoff_doubles_and_is_due_at_the_exact_instant(shop_a, gateway):
    """Each unanswered call doubles the wait (60 s, 120 s, 240 s …, at most
    one hour). One second before the next attempt the sweeper leaves the
    refund alone; at the exact instant it calls again."""
    gateway.script = {"f1:b": "timeout"}
    refund = _refund(shop_a, "f1:b")
    _sweep(T0)
    waits = [int((Refund.objects.get(pk=refund.pk).next_attempt_at - T0).total_seconds())]
    for _ in range(8):
        due = Refund.objects.get(pk=refund.pk).next_attempt_at
        calls = len(gateway.calls)
        _sweep(due - timedelta(seconds=1))
        assert len(gateway.calls) == calls
        previous = due
        _sweep(due)
        assert len(gateway.calls) == calls + 1
        waits.append(int((Refund.objects.get(pk=refund.pk).next_attempt_at - previous).total_seconds()))
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert Refund.objects.get(pk=refund.pk).attempts == 9


@pytest.mark.django_db
def test_f1_unreachable_for_24_hours_moves_to_the_alternative_route(shop_a, gateway):
    """Without an answer for 24 h after the first call: the last retry is
    scheduled at the 24 h mark exactly (not later); one second before, the
    refund is still waiting on the original route; at the mark the call fails
    again and the refund joins the reviewers' queue, the merchant is told
    once, and the gateway is never called for it again."""
    gateway.script = {"f1:c": "connection_error"}
    refund = _refund(shop_a, "f1:c")
    mark = T0 + timedelta(hours=24)
    _sweep(T0)
    while (due := Refund.objects.get(pk=refund.pk).next_attempt_at) < mark:
        _sweep(due)
    assert due == mark
    _sweep(mark - timedelta(seconds=1))
    assert Refund.objects.get(pk=refund.pk).route == "original"
    calls = len(gateway.calls)
    _sweep(mark)
    refund.refresh_from_db()
    assert (refund.route, refund.status, len(gateway.calls)) == ("alternative", "pending", calls + 1)
    assert Notification.objects.filter(shop=shop_a, kind="refund_alternative_route").count() == 1
    event = OrderEvent.objects.get(order=refund.order, kind="refund_failed")
    assert event.data["unreachable"] is True
    _sweep(mark + timedelta(days=1))
    assert len(gateway.calls) == calls + 1


@pytest.mark.django_db
def test_f1_answer_after_unanswered_calls_pays_once(shop_a, gateway):
    """Two timeouts, then the provider answers: the refund is paid once, with
    one success event, and three attempts on record."""
    gateway.script = {"f1:d": "timeout"}
    refund = _refund(shop_a, "f1:d")
    _sweep(T0)
    _sweep(Refund.objects.get(pk=refund.pk).next_attempt_at)
    gateway.script = {}
    _sweep(Refund.objects.get(pk=refund.pk).next_attempt_at)
    _sweep(T0 + timedelta(days=2))
    refund.refresh_from_db()
    assert (refund.status, refund.attempts, refund.gateway_ref) == ("succeeded", 3, "REF-f1:d")
    assert OrderEvent.objects.filter(order=refund.order, kind="refund_succeeded").count() == 1


@pytest.mark.django_db
def test_f1_one_unanswered_refund_never_holds_up_the_others(shop_a, gateway):
    """The oldest refund's gateway never answers. A sweeper taking one refund
    per run tries it once, then pays the next ones, and does not come back to
    it before its backoff: it never retries the oldest forever."""
    gateway.script = {"f1:old": "timeout"}
    old = _refund(shop_a, "f1:old", at=T0 - timedelta(minutes=3))
    b = _refund(shop_a, "f1:b2", at=T0 - timedelta(minutes=2))
    c = _refund(shop_a, "f1:c2", at=T0 - timedelta(minutes=1))
    runs = [_sweep(T0 + timedelta(seconds=i), limit=1) for i in range(4)]
    assert gateway.calls == ["f1:old", "f1:b2", "f1:c2"]
    assert [r["processed"] for r in runs] == [1, 1, 1, 0]
    assert {r.cause: r.status for r in Refund.objects.filter(pk__in=[old.pk, b.pk, c.pk])} == {
        "f1:old": "pending",
        "f1:b2": "succeeded",
        "f1:c2": "succeeded",
    }


@pytest.mark.django_db
def test_f1_a_call_in_flight_is_not_called_twice_and_a_lost_call_is_retried(shop_a, gateway, monkeypatch):
    """A claimed call is leased for 5 minutes: a sweeper meanwhile leaves it
    alone; when the worker died before recording an answer, the refund is
    called again after the lease with the same idempotency key, and the
    success is recorded once."""
    from orders.services import refunds

    refund = _refund(shop_a, "f1:lost")

    def dies(**kwargs):
        raise RuntimeError("worker killed while waiting for the gateway")

    monkeypatch.setattr(refunds, "_succeeded", dies)
    with pytest.raises(RuntimeError):
        _sweep(T0)
    monkeypatch.undo()
    refund.refresh_from_db()
    assert (refund.status, refund.attempts, refund.next_attempt_at) == ("pending", 1, T0 + timedelta(minutes=5))
    _sweep(T0 + timedelta(minutes=5) - timedelta(seconds=1))
    assert gateway.calls == ["f1:lost"]
    _sweep(T0 + timedelta(minutes=5))
    refund.refresh_from_db()
    assert gateway.calls == ["f1:lost", "f1:lost"] and (refund.status, refund.attempts) == ("succeeded", 2)
    assert OrderEvent.objects.filter(order=refund.order, kind="refund_succeeded").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("answer", ["pay", "timeout", "refuse"])
def test_f1_no_row_lock_is_held_across_the_gateway_call(shop_a, gateway, answer):
    """On PostgreSQL, while the gateway is being waited on (whatever it
    answers), no transaction is open on the worker's connection and another
    connection can lock the refund and its order at once (NOWAIT). The call
    is the one the refund's issue queues after commit (the production path)."""
    gateway.probe = True
    gateway.script = {"f1:lock": answer}
    with time_machine.travel(T0, tick=False):
        refund = _refund(shop_a, "f1:lock")
    assert gateway.calls == ["f1:lock"] and gateway.in_atomic == [False]
    assert gateway.probes == ["free"]
    refund.refresh_from_db()
    assert refund.attempts == 1
