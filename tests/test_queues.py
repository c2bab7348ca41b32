"""Issue 18 point 3: beat-critical jobs and bulk work on separate queues,
served by separate real worker processes (``celery -A config worker -Q …``,
as production runs them), so a judgement run is not stuck behind a long export.

Takes about 40 s (50,000 orders seeded, two workers started, an export slowed
to about 20 s by a trigger on its progress updates).
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from bench.worker import celery_worker, database_url
from config import celery_app
from orders.bulk import BulkContext
from orders.bulk import seed as seed_orders
from orders.exports.models import Export
from orders.models import Shop, ShopMembership
from penalties.models import JobRun
from tests.factories import UserFactory

N = 50_000
SLOW_PROGRESS = """
CREATE OR REPLACE FUNCTION i18_slow_progress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(2); RETURN NEW; END $$;
CREATE TRIGGER i18_slow_progress BEFORE UPDATE OF rows_written ON orders_export FOR EACH ROW
WHEN (OLD.status = 'running' AND NEW.status = 'running' AND NEW.rows_written <> OLD.rows_written)
EXECUTE FUNCTION i18_slow_progress();
"""
DROP_SLOW_PROGRESS = (
    "DROP TRIGGER IF EXISTS i18_slow_progress ON orders_export; DROP FUNCTION IF EXISTS i18_slow_progress();"
)


def test_i18_routes_put_beat_critical_jobs_and_bulk_work_on_their_queues():
    route = celery_app.amqp.router.route
    for task in (
        "penalties.judge_overdue_shipments",
        "penalties.run_deductions",
        "penalties.auto_close_orders",
        "orders.auto_close",
        "tickets.time_out_tickets",
        "orders.process_refund",
        "orders.process_refunds",
    ):
        assert route({}, task)["queue"].name == "critical", task
    for task in ("orders.run_export", "tickets.run_export", "orders.import_orders", "orders.webhooks_deliver"):
        assert route({}, task)["queue"].name == "bulk", task
    for task in ("orders.heartbeat", "orders.requeue_stale_exports", "penalties.compute_ratings"):
        assert route({}, task)["queue"].name == "default", task
    # a worker started without -Q (make run) consumes all three: the declared
    # queues (the app's live queue map also holds any queue a test's worker added)
    assert sorted(q.name for q in celery_app.conf.task_queues) == ["bulk", "critical", "default"]
    assert {"bulk", "critical", "default"} <= set(celery_app.amqp.queues)


def _json_lines(text: str) -> list[dict]:
    lines = []
    for raw in text.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue  # the worker's start banner
    return lines


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_i18_a_judgement_run_completes_while_a_50000_row_export_is_in_progress(api, tmp_path):
    # given 50,000 orders and a user who sees every shop
    seed_orders(BulkContext(now=timezone.now(), orders=N, vendor="postgresql"))
    user = UserFactory(username="bulk_exporter")
    ShopMembership.objects.bulk_create(
        [ShopMembership(user=user, shop_id=pk) for pk in Shop.objects.values_list("pk", flat=True)]
    )
    with connection.cursor() as cursor:
        cursor.execute(SLOW_PROGRESS)
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "FIELD_ENCRYPTION_KEY": django_settings.FIELD_ENCRYPTION_KEY,
        "SECRET_KEY": django_settings.SECRET_KEY,
        "CONN_MAX_AGE": "0",
        "LOG_FORMAT": "json",
    }
    request_id = uuid.uuid4().hex
    celery_app.conf.task_always_eager = False
    try:
        with (
            celery_worker(log=tmp_path / "bulk.log", env=env, queues="bulk", name="bulk") as bulk,
            celery_worker(log=tmp_path / "critical.log", env=env, queues="critical", name="critical") as critical,
        ):
            # when the export is posted (with the caller's request id) and is writing its file
            response = api(user).post(
                "/api/v1/exports/", {"kind": "orders", "format": "csv", "filters": {}}, format="json",
                HTTP_X_REQUEST_ID=request_id,
            )  # fmt: skip
            assert response.status_code == 202, response.json()
            export_id = response.json()["id"]
            deadline = time.monotonic() + 120
            while Export.objects.filter(pk=export_id, status="running", rows_written__gt=0).count() == 0:
                assert time.monotonic() < deadline, f"the export never ran:\n{bulk.output()[-3000:]}"
                time.sleep(0.1)
            # and beat's judgement job is sent meanwhile
            celery_app.send_task("penalties.judge_overdue_shipments")
            deadline = time.monotonic() + 120
            while not JobRun.objects.filter(job="judge_overdue_shipments", finished_at__isnull=False).exists():
                assert time.monotonic() < deadline, f"no judgement run:\n{critical.output()[-3000:]}"
                time.sleep(0.1)
            # then the judgement run finished while the export was still in progress
            export = Export.objects.get(pk=export_id)
            assert export.status == "running" and 0 < export.rows_written < N, (export.status, export.rows_written)
            deadline = time.monotonic() + 180
            while Export.objects.get(pk=export_id).status == "running":
                assert time.monotonic() < deadline, bulk.output()[-3000:]
                time.sleep(0.2)
            bulk_log, critical_log = bulk.output(), critical.output()
    finally:
        celery_app.conf.task_always_eager = True
        with connection.cursor() as cursor:
            cursor.execute(DROP_SLOW_PROGRESS)

    export = Export.objects.get(pk=export_id)
    assert export.status == "done" and export.rows_written == N
    run = JobRun.objects.get(job="judge_overdue_shipments")
    assert run.finished_at < export.finished_at and not run.error

    # each worker ran only its queue's task
    def ran(log: str, task: str) -> list[dict]:
        return [line for line in _json_lines(log) if line.get("message", "").startswith(f"Task {task}[")]

    assert any("succeeded" in line["message"] for line in ran(critical_log, "penalties.judge_overdue_shipments"))
    assert ran(critical_log, "orders.run_export") == [] and ran(bulk_log, "penalties.judge_overdue_shipments") == []
    exported = [line for line in ran(bulk_log, "orders.run_export") if "succeeded" in line["message"]]
    assert len(exported) == 1, bulk_log[-3000:]
    # and the worker's JSON log line for the export carries the request id of the API call
    assert exported[0]["request_id"] == request_id
