"""Queue an import's run after commit (below services and tasks). With the
broker down the import stays queued and the sweeper sends it."""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def run_now(import_id: int) -> None:
    from kombu.exceptions import OperationalError as BrokerError

    from .tasks import run_shipment_import

    try:
        run_shipment_import.delay(import_id)
    except (BrokerError, OSError):
        logger.warning("broker unreachable: shipment import %s left queued for the sweeper", import_id, exc_info=True)


def run_after_commit(import_id: int) -> None:
    transaction.on_commit(lambda: run_now(import_id))
