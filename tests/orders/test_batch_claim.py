"""The claim step of every set-based batch (``claim_chunk``), on PostgreSQL:
rows another worker holds are skipped, not waited for, so two runs at once
share the work; the ids come in primary-key order, at most ``chunk``."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from orders.models import Shop
from orders.services.batch import claim_chunk
from tests.factories import ShopFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_claim_chunk_skips_what_another_worker_holds_and_never_waits():
    ids = sorted(ShopFactory().pk for _ in range(4))
    held, release, claimed_by_other = threading.Event(), threading.Event(), []

    def other_worker():
        try:
            with transaction.atomic():
                claimed_by_other.extend(claim_chunk(Shop.objects.all(), 2))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '2s'")  # a claim that waits fails instead of hanging
            mine = claim_chunk(Shop.objects.all(), 3)
    finally:
        release.set()
        thread.join()
    assert claimed_by_other == ids[:2]
    assert mine == ids[2:]  # the two held rows skipped; fewer than asked is fine


def test_claim_chunk_is_the_first_chunk_in_key_order():
    ids = sorted(ShopFactory().pk for _ in range(3))
    with transaction.atomic():
        assert claim_chunk(Shop.objects.order_by("-pk"), 2) == ids[:2]
