"""W1 tasks: thin callers of ``services`` with pinned names (route them to a
"bulk" queue with CELERY_TASK_ROUTES if delivery should not share workers)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="orders.webhooks_deliver", ignore_result=True, acks_late=True)
def deliver(delivery_ids: list[int], manual: bool = False) -> dict:
    return services.webhook_deliveries_attempt(delivery_ids=delivery_ids, now=timezone.now(), due_only=not manual)


@shared_task(name="orders.webhooks_sweep", ignore_result=True)
def sweep() -> dict:
    return services.webhooks_sweep(now=timezone.now())
