"""A real Celery round trip on the configured broker (filesystem by default,
Redis in CI's PostgreSQL pass): an in-process worker consumes a task sent
through the broker and its effect lands in the database."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from config import celery_app
from orders.models import Shop
from orders.tasks import touch_shop
from tests.factories import ShopFactory


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_task_travels_through_the_broker_to_a_worker():
    shop = ShopFactory(name="before")
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            touch_shop.delay(shop.pk, "after")
            deadline = time.monotonic() + 60  # generous: CI machines are loaded
            while time.monotonic() < deadline:
                if Shop.objects.get(pk=shop.pk).name == "after":
                    break
                time.sleep(0.1)
    finally:
        celery_app.conf.task_always_eager = True
    assert Shop.objects.get(pk=shop.pk).name == "after"
