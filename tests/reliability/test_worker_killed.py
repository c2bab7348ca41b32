"""Daily jobs killed for real (issue 13, point 4): a Celery worker process on
Redis is SIGKILLed in the middle of a daily job (the job waits at a test-only
hang point, inside its transaction); the message, never acknowledged, is
redelivered to a new worker, which completes the business day exactly once
instead of skipping it as "already running".

Each test starts two real worker subprocesses (~15 s in all on this machine).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from config import celery_app
from orders.models import Shop
from orders.policy import business_day
from penalties.models import DepositEntry, JobRun, ShopRating, Violation
from tests.factories import ShopFactory
from tests.reliability.test_task_safety import _judged_yesterday

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"), reason="needs the Redis broker"
    ),
]


def _db_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(queue: str, log, *, hang: str = "", marker=None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _db_url(),
        "CELERY_VISIBILITY_TIMEOUT": "1",  # redelivery of the dead worker's message on the next start
        "JOB_TEST_HANG": hang,
        "JOB_TEST_HANG_FILE": str(marker or ""),
    }
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue]
    cmd += ["-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
    return subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait(condition, *, seconds: float, what: str, logs) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; worker logs:\n" + "\n".join(p.read_text() for p in logs))


def _kill_mid_job_then_rerun(task, *, job: str, hang: str, tmp_path) -> JobRun:
    """Send ``task`` to worker 1, which hangs at ``hang``; SIGKILL it; start
    worker 2 and wait until the redelivered message completed the day."""
    queue = f"killed-{uuid.uuid4().hex[:8]}"
    marker, log1, log2 = tmp_path / "hung", tmp_path / "worker1.log", tmp_path / "worker2.log"
    logs = [log1, log2]
    for path in logs:
        path.touch()
    with log1.open("w") as out:
        first = _start_worker(queue, out, hang=hang, marker=marker)
    try:
        celery_app.conf.task_always_eager = False
        task.apply_async(queue=queue)
    finally:
        celery_app.conf.task_always_eager = True
    try:
        _wait(marker.exists, seconds=90, what=f"worker 1 to reach {hang}", logs=logs)
        sent_at = time.monotonic()
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    # The dead run left an unfinished row behind: the old bookkeeping skipped
    # the day as "already running" on the redelivery.
    run = JobRun.objects.get(job=job)
    assert run.finished_at is None and run.attempts == 1
    time.sleep(max(0.0, 1.5 - (time.monotonic() - sent_at)))  # past the 1 s visibility timeout
    with log2.open("w") as out:
        second = _start_worker(queue, out)
    try:
        _wait(
            lambda: JobRun.objects.filter(job=job, finished_at__isnull=False).exists(),
            seconds=90,
            what="worker 2 to complete the redelivered run",
            logs=logs,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
    return JobRun.objects.get(job=job)


@pytest.mark.django_db(transaction=True)
def test_p3_deduction_worker_sigkilled_mid_batch_is_redelivered_and_charges_once(tmp_path):
    """P3/P8: the nightly deduction batch is SIGKILLed after writing its ledger
    entries (uncommitted): nothing is charged; the redelivered message on a new
    worker completes the business day: the judgement charged once, one ledger
    entry, the balance the sum of the ledger; a further delivery is a no-op."""
    from penalties.tasks import run_deductions

    shop = ShopFactory(name="killed")
    _judged_yesterday(shop)
    assert Violation.objects.get().charge_status == "pending"
    run = _kill_mid_job_then_rerun(
        run_deductions, job="run_deductions", hang="deductions.after_ledger", tmp_path=tmp_path
    )
    assert (run.attempts, run.error, run.business_day) == (2, "", business_day(timezone.now()))
    assert run.counts["charged"] == 1
    assert list(Violation.objects.values_list("charge_status", flat=True)) == ["charged"]
    assert DepositEntry.objects.filter(kind="deduction").count() == 1
    shop.refresh_from_db()
    assert shop.deposit_balance == DepositEntry.objects.aggregate(s=Sum("amount"))["s"]
    assert run_deductions.apply().get()["skipped"]
    assert DepositEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_r1_rating_worker_sigkilled_mid_run_is_redelivered_and_rates_the_day_once(tmp_path):
    """R1: the daily rating job is SIGKILLed after its upsert (uncommitted): no
    rating exists; the redelivered message on a new worker rates yesterday,
    one row per shop, and a further delivery is a no-op."""
    from penalties.tasks import compute_ratings

    shops = [ShopFactory(name=f"rated {i}") for i in range(3)]
    run = _kill_mid_job_then_rerun(
        compute_ratings, job="compute_ratings", hang="ratings.after_upsert", tmp_path=tmp_path
    )
    yesterday = business_day(timezone.now()) - timedelta(days=1)
    assert (run.attempts, run.error, run.counts["shops"]) == (2, "", Shop.objects.count())
    assert sorted(ShopRating.objects.values_list("shop_id", "day")) == [(s.pk, yesterday) for s in shops]
    assert compute_ratings.apply().get()["skipped"]
    assert ShopRating.objects.count() == len(shops)
