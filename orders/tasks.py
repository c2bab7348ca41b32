"""Celery tasks of the orders app: thin callers of services, pinned names."""

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="orders.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Beat's pulse: proves in the log that beat and a worker are alive."""
    now = timezone.now().isoformat()
    logger.info("beat heartbeat at %s", now)
    return now


@shared_task(name="orders.touch_shop", ignore_result=True)
def touch_shop(shop_id: int, name: str) -> None:
    """Used by the Celery round-trip test: renames a shop (idempotent)."""
    from .models import Shop

    Shop.objects.filter(pk=shop_id).update(name=name)
