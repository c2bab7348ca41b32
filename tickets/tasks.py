"""Beat jobs of the tickets app: thin callers of services, pinned names."""

import logging

from celery import shared_task
from django.utils import timezone

from .services import tickets_remind, tickets_time_out

logger = logging.getLogger(__name__)


@shared_task(name="tickets.time_out_tickets", ignore_result=True)
def time_out_tickets() -> dict:
    """T3, every minute: pending tickets past their deadline → closed / timed_out."""
    summary = tickets_time_out(now=timezone.now())
    logger.info("tickets.time_out_tickets %s", summary)
    return summary


@shared_task(name="tickets.remind_tickets", ignore_result=True)
def remind_tickets() -> dict:
    """Every few minutes: one reminder per pending ticket with ≤ 2 h left."""
    summary = tickets_remind(now=timezone.now())
    logger.info("tickets.remind_tickets %s", summary)
    return summary
