"""Export tasks: thin callers of ``services`` with pinned names."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="orders.run_export", ignore_result=True, acks_late=True)
def run_export(export_id: int) -> dict:
    return services.export_run(export_id=export_id, now=timezone.now())


@shared_task(name="orders.requeue_stale_exports", ignore_result=True)
def requeue_stale_exports() -> dict:
    return services.exports_requeue_stale(now=timezone.now())


@shared_task(name="orders.expire_exports", ignore_result=True)
def expire_exports() -> dict:
    return services.exports_expire(now=timezone.now())
