"""Celery tasks of the penalties app: thin callers of services, pinned names,
each run recorded in ``JobRun``."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from orders.policy import business_day

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="penalties.judge_overdue_shipments", ignore_result=True)
def judge_overdue_shipments() -> dict:
    """P1/P2/P4/P6, every ``JUDGE_INTERVAL_MINUTES``."""
    now = timezone.now()
    return services.job_run(
        job="judge_overdue_shipments",
        business_day=business_day(now),
        now=now,
        daily=False,
        work=lambda: services.violations_judge(now=now),
    )


@shared_task(name="penalties.run_deductions", ignore_result=True)
def run_deductions() -> dict:
    """P3/P8, daily at 00:30 Asia/Shanghai."""
    now = timezone.now()
    return services.job_run(
        job="run_deductions", business_day=business_day(now), now=now, work=lambda: services.deductions_run(now=now)
    )


@shared_task(name="penalties.auto_close_orders", ignore_result=True)
def auto_close_orders() -> dict:
    """P7, daily."""
    now = timezone.now()
    return services.job_run(
        job="auto_close_orders",
        business_day=business_day(now),
        now=now,
        work=lambda: services.orders_auto_close_run(now=now),
    )


@shared_task(name="penalties.compute_ratings", ignore_result=True)
def compute_ratings() -> dict:
    """R1, daily: rates yesterday (the last complete Asia/Shanghai day)."""
    now = timezone.now()
    today = business_day(now)
    return services.job_run(
        job="compute_ratings",
        business_day=today,
        now=now,
        work=lambda: services.ratings_compute(day=today - timedelta(days=1), now=now),
    )
