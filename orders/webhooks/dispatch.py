"""Enqueue deliveries after commit (below both services and tasks, so the
imports point one way). With the broker down the deliveries stay pending in
the outbox and the sweeper sends them."""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def deliver_after_commit(delivery_ids: list[int], *, manual: bool = False) -> None:
    from kombu.exceptions import OperationalError as BrokerError

    from .tasks import deliver

    def send() -> None:
        try:
            deliver.delay(delivery_ids, manual)
        except (BrokerError, OSError):
            logger.warning("broker unreachable: deliveries %s left for the sweeper", delivery_ids, exc_info=True)

    if delivery_ids:
        transaction.on_commit(send)
