"""Job runs exactly (issue 13, mutation testing of ``penalties/services/jobs.py``):
the JobRun row a run writes (job, business day, daily, started, finished,
attempts, counts, error), the skip of a daily job already done, the retry of
a failed day, the SQLite take-over of an unfinished run at exactly
``STALE_AFTER``, non-daily runs, and the log lines."""

import logging
import zlib
from datetime import UTC, date, timedelta

import pytest

from penalties import tasks
from penalties.models import JobRun
from penalties.services import job_run
from penalties.services.jobs import STALE_AFTER, _lock_key, job_run_claim

from .conftest import at, sh

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 5)
T = sh(2026, 3, 5, 0, 30)


def rows(job="job"):
    return list(
        JobRun.objects.filter(job=job)
        .order_by("id")
        .values_list("business_day", "daily", "started_at", "finished_at", "attempts", "counts", "error")
    )


def test_a_daily_run_is_recorded_once_then_skipped_with_a_note(caplog):
    caplog.set_level(logging.INFO, logger="penalties.services.jobs")
    seen = []

    def work():
        seen.append(rows())
        return {"done": 3}

    with at(T):
        assert job_run(job="job", business_day=DAY, now=T, work=work) == {"done": 3}
    # While the work runs the row says started, not finished, first attempt.
    assert seen == [[(DAY, True, T, None, 1, {}, "")]]
    assert rows() == [(DAY, True, T, T, 1, {"done": 3}, "")]

    later = T + timedelta(hours=9)
    with at(later):
        second = job_run(job="job", business_day=DAY, now=later, work=lambda: pytest.fail("ran twice"))
    assert second == {"skipped": "already ran for this business day", "job": "job", "business_day": "2026-03-05"}
    assert rows() == [(DAY, True, T, T, 1, {"done": 3}, "")]
    assert (
        "job {'skipped': 'already ran for this business day', 'job': 'job', 'business_day': '2026-03-05'}"
        in caplog.messages
    )

    # Another business day, or another job, is a run of its own.
    with at(later):
        assert job_run(job="job", business_day=DAY + timedelta(days=1), now=later, work=lambda: {"n": 1}) == {"n": 1}
        assert job_run(job="other", business_day=DAY, now=later, work=lambda: {"n": 2}) == {"n": 2}
    assert rows("other") == [(DAY, True, later, later, 1, {"n": 2}, "")]
    assert JobRun.objects.count() == 3


def test_a_failed_run_records_its_error_then_the_retry_takes_the_day_over(caplog):
    caplog.set_level(logging.INFO, logger="penalties.services.jobs")
    message = "x" * 5000

    def boom():
        raise ValueError(message)

    with at(T), pytest.raises(ValueError):
        job_run(job="job", business_day=DAY, now=T, work=boom)
    [(day, daily, started, finished, attempts, counts, error)] = rows()
    assert (day, daily, started, finished, attempts, counts) == (DAY, True, T, T, 1, {})
    assert error == repr(ValueError(message))[:4000] and len(error) == 4000
    assert "job failed" in caplog.messages

    retry = T + timedelta(minutes=5)
    seen = []

    def work():
        seen.append(rows())
        return {"done": 1}

    with at(retry):
        assert job_run(job="job", business_day=DAY, now=retry, work=work) == {"done": 1}
    # Taken over: started again, unfinished, error and counts cleared, second attempt.
    assert seen == [[(DAY, True, retry, None, 2, {}, "")]]
    assert rows() == [(DAY, True, retry, retry, 2, {"done": 1}, "")]
    assert "job 2026-03-05: taking over attempt 2" in caplog.messages


def test_sqlite_an_unfinished_run_is_taken_over_once_it_is_stale_after_old(is_postgres):
    if is_postgres:
        pytest.skip("PostgreSQL: the run lock, not the age, decides (test_concurrency, test_worker_killed)")
    JobRun.objects.create(job="job", business_day=DAY, daily=True, started_at=T)
    assert STALE_AFTER == timedelta(hours=2)
    at_limit = T + STALE_AFTER
    assert job_run_claim(job="job", business_day=DAY, now=at_limit) is None
    assert rows() == [(DAY, True, T, None, 1, {}, "")]
    just_after = at_limit + timedelta(microseconds=1)
    run = job_run_claim(job="job", business_day=DAY, now=just_after)
    assert run is not None and (run.job, run.business_day, run.attempts) == ("job", DAY, 2)
    assert rows() == [(DAY, True, just_after, None, 2, {}, "")]


def test_a_finished_run_without_error_is_never_taken_over():
    JobRun.objects.create(
        job="job", business_day=DAY, daily=True, started_at=T - timedelta(days=3), finished_at=T, counts={"n": 1}
    )
    assert job_run_claim(job="job", business_day=DAY, now=T + timedelta(days=1)) is None
    assert rows() == [(DAY, True, T - timedelta(days=3), T, 1, {"n": 1}, "")]


def test_non_daily_runs_each_get_a_row_and_a_failed_one_is_not_retried_as_a_daily_one():
    with at(T):
        assert job_run(job="job", business_day=DAY, now=T, work=lambda: {"n": 1}, daily=False) == {"n": 1}
        with pytest.raises(RuntimeError):
            job_run(
                job="job", business_day=DAY, now=T, work=lambda: (_ for _ in ()).throw(RuntimeError("x")), daily=False
            )
        assert job_run(job="job", business_day=DAY, now=T, work=lambda: {"n": 3}, daily=False) == {"n": 3}
    assert rows() == [
        (DAY, False, T, T, 1, {"n": 1}, ""),
        (DAY, False, T, T, 1, {}, "RuntimeError('x')"),
        (DAY, False, T, T, 1, {"n": 3}, ""),
    ]
    # A daily run of the same job and day is not blocked by the non-daily rows.
    with at(T):
        assert job_run(job="job", business_day=DAY, now=T, work=lambda: {"n": 4}) == {"n": 4}
    assert JobRun.objects.filter(daily=True).count() == 1


def test_the_beat_tasks_record_their_runs_under_their_names_and_business_day():
    """Through the task: the judgement runs every few minutes (not daily), the
    deductions once per Asia/Shanghai business day."""
    moment = sh(2026, 3, 5, 0, 10)  # 2026-03-04 16:10 UTC: business day 2026-03-05
    with at(moment):
        tasks.judge_overdue_shipments.delay()
        tasks.judge_overdue_shipments.delay()
        tasks.run_deductions.delay()
        tasks.run_deductions.delay()
    judge = JobRun.objects.filter(job="judge_overdue_shipments")
    assert judge.count() == 2 and set(judge.values_list("daily", "business_day")) == {(False, DAY)}
    run = JobRun.objects.get(job="run_deductions")
    assert (run.daily, run.business_day, run.started_at, run.finished_at) == (
        True,
        DAY,
        moment.astimezone(UTC),
        moment.astimezone(UTC),
    )


def test_the_run_lock_key_is_stable_across_releases():
    """The PostgreSQL session lock's key: an old and a new worker must agree on it."""
    assert _lock_key("run_deductions", DAY) == zlib.crc32(b"penalties.job_run.run_deductions.2026-03-05")
    assert _lock_key("run_deductions", DAY) == 458952473
