"""Broker down (issue 8 point 4): work accepted while the broker cannot be
reached is recorded in the database first and picked up later by a sweeper,
so the request still answers normally and nothing accepted is lost.

The broker is a dead address (nothing listens on port 1) and tasks are not
run eagerly, so ``.delay()`` really tries to publish and fails."""

from __future__ import annotations

from decimal import Decimal

import pytest

from config import celery_app
from orders.models import CancellationRequest, Refund
from orders.services import cancellation_request
from tests.factories import order_placed

DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def dead_broker(monkeypatch):
    """Point Celery at a broker nobody answers, with short retries (the
    CELERY_BROKER_URL variable wins over the configuration: replace it too)."""
    monkeypatch.setenv("CELERY_BROKER_URL", DEAD_BROKER)
    conf = celery_app.conf
    saved = {
        key: conf.get(key)
        for key in (
            "broker_url",
            "broker_write_url",
            "task_always_eager",
            "broker_connection_timeout",
            "broker_transport_options",
            "task_publish_retry_policy",
        )
    }
    conf.update(
        broker_url=DEAD_BROKER,
        broker_write_url=DEAD_BROKER,
        task_always_eager=False,
        broker_connection_timeout=0.5,
        broker_transport_options={"max_retries": 0, "socket_connect_timeout": 0.5},
        task_publish_retry_policy={"max_retries": 0},
    )
    _fresh_connections()
    assert celery_app.connection_for_write().as_uri().endswith("@127.0.0.1:1/0")
    try:
        yield
    finally:
        conf.update(saved)
        _fresh_connections()


def _fresh_connections():
    """Forget pooled connections and producers (bound to the previous broker URL)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db
def test_f1_refund_approval_with_the_broker_down_answers_and_the_sweeper_pays_later(
    api, shop_a, merchant, reviewer, dead_broker, django_capture_on_commit_callbacks
):
    """Given the broker is unreachable, when a reviewer approves a
    cancellation, then the answer is 200, the order is cancelled and the
    refund is recorded pending; when the sweeper ``orders.process_refunds``
    runs later, the refund is paid."""
    from django.utils import timezone

    order = order_placed(shop=shop_a)
    request = cancellation_request(order=order, reason="out_of_stock", by=merchant, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = api(reviewer).post(f"/api/v1/cancellations/{request.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
    assert CancellationRequest.objects.get(pk=request.pk).status == "approved"
    refund = Refund.objects.get(order=order)
    assert (refund.status, refund.amount) == ("pending", order.total_amount)

    # later, the broker is back and beat runs the sweeper
    celery_app.conf.task_always_eager = True
    from orders.tasks import process_refunds

    process_refunds.apply()
    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.amount == Decimal(order.total_amount)


@pytest.mark.django_db
def test_x3_export_with_the_broker_down_answers_202_and_the_sweeper_runs_it(
    api, shop_a, merchant, dead_broker, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Given the broker is unreachable, when a merchant asks for an export,
    then the answer is 202 with the job recorded ``queued``; when the sweeper
    ``orders.requeue_stale_exports`` runs once the broker is back, the job runs."""
    from datetime import timedelta

    import time_machine

    from orders.exports.models import Export
    from orders.exports.tasks import requeue_stale_exports

    settings.MEDIA_ROOT = tmp_path / "media"
    order_placed(shop=shop_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(merchant).post(
            "/api/v1/exports/", {"kind": "orders", "format": "csv", "filters": {}}, format="json"
        )
    assert response.status_code == 202, response.content
    export = Export.objects.get(pk=response.json()["id"])
    assert export.status == "queued"

    celery_app.conf.task_always_eager = True  # the broker is back
    with time_machine.travel(export.enqueued_at + timedelta(minutes=10), tick=False):
        requeue_stale_exports.apply()
    export.refresh_from_db()
    assert (export.status, export.rows_written, export.enqueue_attempts) == ("done", 1, 2)
