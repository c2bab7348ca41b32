"""Each run of each batch job is recorded (job, business day, started,
finished, attempts, counts, error). A daily job claims its (job, business
day) row first: a second run for a business day already done is a no-op.

"Running" is not a flag in a row a killed worker leaves behind: on
PostgreSQL the run holds a session advisory lock on (job, business day) for
as long as it works, and the lock dies with the worker's connection. A run
that finds the day unfinished takes the lock (waiting while a live run
finishes): if it gets it, the earlier runner is gone (SIGKILL, OOM, lost
host) and this run completes the day; the jobs themselves are idempotent, so
whatever the dead run committed is not done twice. On SQLite (development)
an unfinished run is taken over once it is ``STALE_AFTER`` old.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import JobRun
from ._sql import is_postgres

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=2)


def _lock_key(job: str, business_day: date) -> int:
    return zlib.crc32(f"penalties.job_run.{job}.{business_day.isoformat()}".encode())


@contextmanager
def _running(job: str, business_day: date) -> Iterator[None]:
    """PostgreSQL: hold the (job, business day) session lock while the run
    works; a live run elsewhere makes this wait, a dead one released it."""
    if not is_postgres():
        yield
        return
    key = _lock_key(job, business_day)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [key])
        except Exception:  # the connection is gone: so is the lock
            logger.warning("%s: could not release the run lock", job, exc_info=True)


def job_run_claim(*, job: str, business_day: date, now: datetime, daily: bool = True) -> JobRun | None:
    """Start a run; ``None`` when a daily job already did that business day
    (or, on SQLite, runs it since less than ``STALE_AFTER``). On PostgreSQL the
    caller holds the day's run lock, so an unfinished row is a dead run's."""
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job, business_day=business_day, daily=daily, started_at=now)
    except IntegrityError:
        pass
    failed = Q(finished_at__isnull=False, error__gt="")
    unfinished = Q(finished_at__isnull=True)
    if not is_postgres():
        unfinished &= Q(started_at__lt=now - STALE_AFTER)
    retried = (
        JobRun.objects.filter(job=job, business_day=business_day, daily=True)
        .filter(failed | unfinished)
        .update(started_at=now, finished_at=None, error="", counts={}, attempts=F("attempts") + 1)
    )
    if retried:
        run = JobRun.objects.get(job=job, business_day=business_day, daily=True)
        logger.warning("%s %s: taking over attempt %s", job, business_day, run.attempts)
        return run
    return None


def job_run(*, job: str, business_day: date, now: datetime, work: Callable[[], dict], daily: bool = True) -> dict:
    """Run ``work`` under a JobRun record; returns its counts (or a skip note)."""
    if not daily:
        return _run(job=job, business_day=business_day, now=now, work=work, daily=False)
    with _running(job, business_day):
        return _run(job=job, business_day=business_day, now=now, work=work, daily=True)


def _run(*, job: str, business_day: date, now: datetime, work: Callable[[], dict], daily: bool) -> dict:
    run = job_run_claim(job=job, business_day=business_day, now=now, daily=daily)
    if run is None:
        result = {"skipped": "already ran for this business day", "job": job, "business_day": business_day.isoformat()}
        logger.info("%s %s", job, result)
        return result
    try:
        counts = work()
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), error=repr(exc)[:4000])
        logger.exception("%s failed", job)
        raise
    JobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), counts=counts)
    return counts
