"""W3 tasks (pinned names; route ``orders.run_shipment_import`` to a "bulk"
queue with CELERY_TASK_ROUTES so a 10,000-row file does not hold up others)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="orders.run_shipment_import", ignore_result=True, acks_late=True)
def run_shipment_import(import_id: int) -> dict:
    return services.shipment_import_run(import_id=import_id, now=timezone.now())


@shared_task(name="orders.requeue_shipment_imports", ignore_result=True)
def requeue_shipment_imports() -> dict:
    return services.shipment_imports_requeue(now=timezone.now())
