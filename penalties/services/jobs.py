"""Each run of each batch job is recorded (job, business day, started,
finished, counts, error). A daily job claims its (job, business day) row
first: a second run for the same business day is a no-op, unless the first
failed or died long ago."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import JobRun

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=2)


def job_run_claim(*, job: str, business_day: date, now: datetime, daily: bool = True) -> JobRun | None:
    """Start a run; ``None`` when a daily job already ran (or runs) for that day."""
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job, business_day=business_day, daily=daily, started_at=now)
    except IntegrityError:
        pass
    retried = (
        JobRun.objects.filter(job=job, business_day=business_day, daily=True)
        .filter(
            Q(finished_at__isnull=False, error__gt="") | Q(finished_at__isnull=True, started_at__lt=now - STALE_AFTER)
        )
        .update(started_at=now, finished_at=None, error="", counts={})
    )
    if retried:
        return JobRun.objects.get(job=job, business_day=business_day, daily=True)
    return None


def job_run(*, job: str, business_day: date, now: datetime, work: Callable[[], dict], daily: bool = True) -> dict:
    """Run ``work`` under a JobRun record; returns its counts (or a skip note)."""
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
