"""Task safety (issue 8 point 3): every project task is declared safe to
redeliver (``acks_late``, requeued when a worker dies), the task that talks
to the refund gateway retries with backoff, and the jobs end as if they ran
once when a message is delivered twice or a run dies halfway.

Concurrency on PostgreSQL already proven elsewhere (not repeated here):
judgement + deduction jobs (tests/penalties/test_concurrency.py), ticket
timeouts (tests/tickets/test_t3_countdown_timeout.py), two approvals of one
cancellation (tests/orders/test_refunds.py). Added here: the refund sweeper.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum

from config import celery_app
from orders.models import Notification, Order, OrderEvent, Refund, Shop
from orders.policy import PLATFORM_TZ
from orders.services import refund_issue
from tests.factories import order_placed

PROJECT_PREFIXES = ("orders.", "tickets.", "penalties.", "exports.")


def _project_tasks() -> dict:
    celery_app.loader.import_default_modules()
    return {name: task for name, task in celery_app.tasks.items() if name.startswith(PROJECT_PREFIXES)}


def test_every_project_task_is_declared_redeliverable():
    """Given every registered project task, then each acknowledges late and is
    requeued when its worker dies (so it must be, and is, idempotent), and
    ignores its result (no result backend)."""
    tasks = _project_tasks()
    assert {"orders.process_refund", "penalties.judge_overdue_shipments", "tickets.time_out_tickets"} <= set(tasks)
    wrong = [name for name, task in tasks.items() if not (task.acks_late and task.reject_on_worker_lost)]
    assert wrong == []


def test_refund_gateway_task_leaves_unanswered_calls_to_the_persisted_backoff():
    """F1: the task that calls the refund gateway does not retry an unanswered
    call itself (the service records the attempt and the next attempt's time,
    and the sweeper calls again when due: tests/orders/test_refund_unreachable.py);
    it retries only a database hiccup, with backoff, a bounded number of times."""
    from django.db import OperationalError

    task = _project_tasks()["orders.process_refund"]
    assert task.autoretry_for == (OperationalError,)
    assert task.retry_backoff and task.retry_jitter and 0 < task.max_retries <= 10


# --- delivered twice / failing halfway ------------------------------------------------


class Boom(RuntimeError):
    pass


def _explode(*args, **kwargs):
    raise Boom("failed halfway")


def _overdue_order(shop, *, hours_overdue: int = 1):
    """Paid 48 h + ``hours_overdue`` ago and not shipped: past ``ship_by``."""
    from django.utils import timezone

    return order_placed(shop=shop, now=timezone.now() - timedelta(hours=48 + hours_overdue))


def _violation_state():
    from penalties.models import DepositEntry, Violation

    return (
        sorted(Violation.objects.values_list("order_id", "judgement_no", "charge_status")),
        DepositEntry.objects.count(),
        sorted(Shop.objects.values_list("pk", "deposit_balance")),
        Notification.objects.count(),
    )


@pytest.mark.django_db
def test_judgement_job_delivered_twice_judges_once(shop_a):
    """P1: the judgement task delivered twice leaves one violation per order."""
    from penalties.tasks import judge_overdue_shipments

    _overdue_order(shop_a)
    judge_overdue_shipments.apply()
    once = _violation_state()
    judge_overdue_shipments.apply()
    assert _violation_state() == once and len(once[0]) == 1


@pytest.mark.django_db
def test_judgement_job_failing_halfway_rolls_back_then_rerun_judges_once(shop_a, monkeypatch):
    """P1: a run that raises after inserting the violations (while notifying)
    leaves nothing behind; the retried run judges each order once. (A worker
    killed for real: tests/reliability/test_worker_killed.py.)"""
    from penalties.services import judgement
    from penalties.tasks import judge_overdue_shipments

    _overdue_order(shop_a)
    monkeypatch.setattr(judgement, "_notify", _explode)
    with pytest.raises(Boom):
        judge_overdue_shipments.apply(throw=True)
    assert _violation_state()[0] == []
    monkeypatch.undo()
    judge_overdue_shipments.apply()
    judge_overdue_shipments.apply()
    assert len(_violation_state()[0]) == 1


def _judged_yesterday(shop):
    """An overdue order judged yesterday (Asia/Shanghai), so today's
    deduction batch charges it."""
    from django.utils import timezone

    from penalties.tasks import judge_overdue_shipments

    _overdue_order(shop, hours_overdue=48)
    yesterday = timezone.now() - timedelta(days=1)
    with time_machine.travel(yesterday.astimezone(PLATFORM_TZ).replace(hour=12), tick=False):
        judge_overdue_shipments.apply()


@pytest.mark.django_db
def test_deduction_job_delivered_twice_charges_once(shop_a):
    """P3/P8: the deduction task delivered twice charges each judgement once."""
    from penalties.tasks import run_deductions

    _judged_yesterday(shop_a)
    run_deductions.apply()
    once = _violation_state()
    assert once[1] == 1 and once[0][0][2] == "charged"
    run_deductions.apply()
    assert _violation_state() == once


@pytest.mark.django_db
def test_deduction_job_failing_halfway_rolls_back_then_rerun_charges_once(shop_a, monkeypatch):
    """P3/P8: a batch that raises after writing the ledger (while notifying)
    rolls back and records the error; the retried batch the same day charges
    once. (A worker SIGKILLed mid-batch: tests/reliability/test_worker_killed.py.)"""
    from penalties.models import DepositEntry
    from penalties.services import deductions
    from penalties.tasks import run_deductions

    _judged_yesterday(shop_a)
    monkeypatch.setattr(deductions, "_notify", _explode)
    with pytest.raises(Boom):
        run_deductions.apply(throw=True)
    assert DepositEntry.objects.count() == 0
    monkeypatch.undo()
    run_deductions.apply()
    run_deductions.apply()
    state = _violation_state()
    assert state[1] == 1 and [row[2] for row in state[0]] == ["charged"]
    assert Shop.objects.get(pk=shop_a.pk).deposit_balance == DepositEntry.objects.aggregate(s=Sum("amount"))["s"]


def _due_ticket(order, support):
    from django.utils import timezone

    from tickets.models import ServiceType, Ticket
    from tickets.services import ticket_open

    stype = ServiceType.objects.filter(active=True).first()
    ticket = ticket_open(order=order, service_type=stype, description="x", by=support, now=timezone.now())
    Ticket.objects.filter(pk=ticket.pk).update(handle_deadline=timezone.now() - timedelta(minutes=1))
    return ticket


def _ticket_state():
    from tickets.models import Ticket, TicketEvent

    return (
        sorted(Ticket.objects.values_list("pk", "status", "outcome")),
        TicketEvent.objects.filter(kind="timed_out").count(),
        Notification.objects.filter(kind="ticket_timed_out").count(),
    )


@pytest.mark.django_db
def test_ticket_timeout_delivered_twice_times_out_once(shop_a, support):
    """T3: the timeout task delivered twice closes the ticket once, with one
    event and one notification."""
    from tickets.tasks import time_out_tickets

    _due_ticket(order_placed(shop=shop_a), support)
    time_out_tickets.apply()
    once = _ticket_state()
    time_out_tickets.apply()
    assert _ticket_state() == once and once[1:] == (1, 1)


@pytest.mark.django_db
def test_ticket_timeout_failing_halfway_rolls_back_then_rerun_times_out_once(shop_a, support, monkeypatch):
    """T3: a run that raises after closing the tickets (while notifying) rolls
    back; the rerun closes each ticket once."""
    from tickets import services as ticket_services
    from tickets.tasks import time_out_tickets

    _due_ticket(order_placed(shop=shop_a), support)
    monkeypatch.setattr(ticket_services, "notifications_bulk_create", _explode)
    with pytest.raises(Boom):
        time_out_tickets.apply(throw=True)
    assert _ticket_state()[0][0][1] == "pending"
    monkeypatch.undo()
    time_out_tickets.apply()
    time_out_tickets.apply()
    state = _ticket_state()
    assert [row[1:] for row in state[0]] == [("closed", "timed_out")] and state[1:] == (1, 1)


class CountingGateway:
    """A provider that dedupes on the idempotency key, as real ones do, and
    counts what it was asked."""

    calls: list[str] = []
    lock = threading.Lock()

    def refund(self, *, idempotency_key, order_no, amount):
        with self.lock:
            self.calls.append(idempotency_key)
        return "REF-" + idempotency_key


@pytest.fixture
def counting_gateway(settings):
    CountingGateway.calls = []
    settings.REFUND_GATEWAY = "tests.reliability.test_task_safety.CountingGateway"
    return CountingGateway


def _refund_state(order):
    return (
        sorted(Refund.objects.filter(order=order).values_list("cause", "status", "amount")),
        OrderEvent.objects.filter(order=order, kind="refund_succeeded").count(),
    )


@pytest.mark.django_db
def test_refund_processing_delivered_twice_pays_once(shop_a, counting_gateway, django_capture_on_commit_callbacks):
    """F1/F2: process_refund delivered twice calls the gateway once and
    records one success."""
    from orders.tasks import process_refund

    order = order_placed(shop=shop_a)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_issue(order=order, cause="test:twice", amount=Decimal("5.00"), now=order.placed_at)
    process_refund.apply(args=[refund.pk])
    assert counting_gateway.calls == ["test:twice"]
    assert _refund_state(order) == ([("test:twice", "succeeded", Decimal("5.00"))], 1)


@pytest.mark.django_db
def test_refund_processing_killed_halfway_then_rerun_pays_once(shop_a, counting_gateway, monkeypatch):
    """F1/F2: a run that dies after the gateway paid (before recording it)
    leaves the refund pending with its attempt counted; once the call's lease
    is over the sweeper asks again with the same idempotency key (the cause),
    so the provider pays once, and one success is recorded."""
    from orders.services import refunds
    from orders.tasks import process_refund, process_refunds

    order = order_placed(shop=shop_a)
    refund = refund_issue(order=order, cause="test:killed", amount=Decimal("5.00"), now=order.placed_at)
    monkeypatch.setattr(refunds, "order_event_record", _explode)
    with pytest.raises(Boom):
        process_refund.apply(args=[refund.pk], throw=True)
    assert Refund.objects.get(pk=refund.pk).status == "pending"
    monkeypatch.undo()
    process_refund.apply(args=[refund.pk])
    assert counting_gateway.calls == ["test:killed"]  # the call is still leased
    lease_over = Refund.objects.get(pk=refund.pk).next_attempt_at
    with time_machine.travel(lease_over, tick=False):
        process_refunds.apply()
        process_refunds.apply()
    assert counting_gateway.calls == ["test:killed", "test:killed"]
    assert _refund_state(order) == ([("test:killed", "succeeded", Decimal("5.00"))], 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_refund_sweeper_twice_at_once_pays_each_refund_once(shop_a, counting_gateway):
    """F2 on PostgreSQL: two workers running the refund sweeper
    (``orders.process_refunds``) at the same moment send each pending refund
    to the gateway once and record one success each."""
    from orders.tasks import process_refunds

    orders = [order_placed(shop=shop_a) for _ in range(20)]
    for i, order in enumerate(orders):
        Refund.objects.create(
            order=order, shop=shop_a, cause=f"test:sweep:{i}", amount=Decimal("1.00"), created_at=order.placed_at
        )
        Order.objects.filter(pk=order.pk).update(refunded_amount=Decimal("1.00"))
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            process_refunds.apply(throw=True)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(counting_gateway.calls) == sorted(f"test:sweep:{i}" for i in range(20))
    assert Refund.objects.filter(status="succeeded").count() == 20
    assert OrderEvent.objects.filter(kind="refund_succeeded").count() == 20


@pytest.mark.django_db
def test_export_job_delivered_twice_writes_one_file(shop_a, merchant, settings, tmp_path):
    """X3: the export job delivered twice writes one file once (the second
    delivery finds the job no longer queued)."""
    from orders.exports.models import Export
    from orders.exports.tasks import run_export

    export = _export(shop_a, merchant, settings, tmp_path)
    run_export.apply(args=[export.pk])
    run_export.apply(args=[export.pk])
    export.refresh_from_db()
    files = list((tmp_path / "media").rglob("*.csv"))
    assert (export.status, export.rows_written, len(files)) == ("done", 2, 1)
    assert Export.objects.count() == 1


@pytest.mark.django_db
def test_export_job_killed_halfway_leaves_no_partial_file_and_is_marked_failed(
    shop_a, merchant, settings, tmp_path, monkeypatch
):
    """X3: a run that dies while writing leaves no partial file, the job says
    ``failed`` with the reason (so the user's minute is freed, X2), and a
    redelivered message does not run it a second time."""
    from orders.exports import services as export_services
    from orders.exports.tasks import run_export

    export = _export(shop_a, merchant, settings, tmp_path)

    def dies_after_first_row(resource, selection, path, progress):
        path.write_text("order_no\n1\n")
        progress(1)
        raise Boom("failed halfway")

    monkeypatch.setitem(export_services.WRITERS, "csv", dies_after_first_row)
    run_export.apply(args=[export.pk])
    monkeypatch.undo()
    run_export.apply(args=[export.pk])
    export.refresh_from_db()
    assert export.status == "failed" and "failed halfway" in export.error
    assert list((tmp_path / "media").rglob("*.*")) == []


def _export(shop, user, settings, tmp_path):
    from django.utils import timezone

    from orders.exports.services import export_kind_get, export_request, export_selection

    settings.MEDIA_ROOT = tmp_path / "media"
    order_placed(shop=shop)
    order_placed(shop=shop)
    kind = export_kind_get("orders")
    return export_request(
        user=user,
        kind=kind,
        fmt="csv",
        filters={},
        selection=export_selection(kind=kind, filters={}, user=user),
        now=timezone.now(),
    )
