"""Celery tasks of the orders app: thin callers of services, pinned names."""

import logging

from celery import shared_task
from django.db import OperationalError
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


# F1: an unanswered gateway call (timeout, connection error) is not a task
# failure: the service records the attempt and the next attempt's time (with
# backoff) and the sweeper ``orders.process_refunds`` (every minute) calls
# again when it is due. Only a database hiccup retries the task itself.
REFUND_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(name="orders.process_refund", ignore_result=True, **REFUND_RETRY)
def process_refund(refund_id: int) -> dict:
    """F1: send one pending refund to the gateway (a no-op when already handled)."""
    from .services import refund_process

    refund = refund_process(refund_id=refund_id, now=timezone.now())
    summary = {"refund_id": refund.pk, "status": str(refund.status), "route": str(refund.route)}
    logger.info("process_refund %s", summary)
    return summary


@shared_task(name="orders.process_refunds", ignore_result=True)
def process_refunds(refund_ids: list[int] | None = None, limit: int = 1000) -> dict:
    """F1: call the gateway for the refunds due (``refund_ids``, or any: the
    sweeper for lost messages and for retries after an unanswered call)."""
    from .services import refunds_process_pending

    summary = refunds_process_pending(refund_ids=refund_ids, now=timezone.now(), limit=limit)
    logger.info("process_refunds %s", summary)
    return summary


@shared_task(name="orders.flag_logistics_abnormal", ignore_result=True)
def flag_logistics_abnormal() -> dict:
    """O4: flag shipped orders without a tracking update for 72 h."""
    from .services import orders_flag_logistics_abnormal

    return orders_flag_logistics_abnormal(now=timezone.now())


@shared_task(name="orders.complete_delivered", ignore_result=True)
def complete_delivered() -> dict:
    """O6: delivered orders past the buyer's confirmation window → completed."""
    from .services import orders_complete_delivered

    return orders_complete_delivered(now=timezone.now())


@shared_task(name="orders.close_unpaid", ignore_result=True)
def close_unpaid() -> dict:
    """O6: orders left pending_payment for UNPAID_CLOSE_MINUTES → closed."""
    from .services import orders_close_unpaid

    return orders_close_unpaid(now=timezone.now())


@shared_task(name="orders.auto_close", ignore_result=True)
def auto_close() -> dict:
    """P7: close and refund orders not shipped 150 days after placement
    (the penalties app owns the beat entry)."""
    from .services import orders_auto_close

    return orders_auto_close(now=timezone.now())


@shared_task(name="orders.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> dict:
    """Drop stored Idempotency-Key answers older than IDEMPOTENCY_KEY_TTL_HOURS."""
    from .idempotency import purge_expired

    summary = {"deleted": purge_expired(now=timezone.now())}
    logger.info("purge_idempotency_keys %s", summary)
    return summary
