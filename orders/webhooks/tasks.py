"""W1 tasks: thin callers of ``services`` with pinned names (route them to a
"bulk" queue with CELERY_TASK_ROUTES if delivery should not share workers)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="orders.webhooks_deliver", ignore_result=True, acks_late=True)
def deliver(delivery_ids: list[int], manual: bool = False) -> dict:
    out: dict = {}
    for pk in delivery_ids:
        out[pk] = services.webhook_delivery_attempt(delivery_id=pk, now=timezone.now(), due_only=not manual)
    return out


@shared_task(name="orders.webhooks_sweep", ignore_result=True)
def sweep() -> dict:
    return services.webhooks_sweep(now=timezone.now())
