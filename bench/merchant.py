"""Issue 17's speed figures (merchant systems), on PostgreSQL, in a database
of their own (``bench.run``: ``bench_merchant``; empty, migrated, reused):

1. ``shipment_import``: a 10,000-row CSV (W3) through the real API
   (``POST /api/v1/shipment-imports/``, in process) → Redis broker → a real
   Celery worker process → every row through ``order_ship`` → the result
   file; from the request to the import's ``done``. Target ≤ 30 s.
2. ``outbox_delivery``: 10,000 events (W1) of one shop written to the outbox
   in one transaction, delivered by Celery worker processes (``--concurrency
   4``) to a loopback HTTP receiver in another process answering 204; from
   the commit (enqueue) to the last delivery recorded ``succeeded``.
   Target ≥ 500 events/s.

Each run seeds a fresh shop with 10,000 paid orders (one template order
through ``order_place``, cloned by ``INSERT … SELECT generate_series``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_merchant \\
        CELERY_BROKER_URL=redis://127.0.0.1:6379/12 python -m bench.merchant
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROWS = 10_000
EVENTS = 10_000
CONCURRENCY = 4
IMPORT_LIMIT_SECONDS = 30
DELIVERY_TARGET_PER_SECOND = 500
RECEIVER_PORT = int(os.environ.get("BENCH_RECEIVER_PORT", "9389"))


def _world(tag: str):
    from django.contrib.auth import get_user_model

    from orders.models import Product, Shop, ShopMembership

    shop = Shop.objects.create(name=f"Bench merchant {tag}")
    user = get_user_model().objects.create(username=f"bench_erp_{tag}")
    ShopMembership.objects.create(user=user, shop=shop)
    product = Product.objects.create(shop=shop, name="Bench item", sku=f"B-{tag}", price=Decimal("10.00"), stock=10**6)
    return shop, user, product


def seed_orders(shop, product, n: int) -> list[str]:
    """``n`` paid orders of ``shop``: one through the real service, cloned."""
    from django.db import connection
    from django.utils import timezone

    from orders.models import Order, OrderItem
    from tests.factories import order_placed

    template = order_placed(shop=shop, product=product, now=timezone.now())
    cols = [f.column for f in Order._meta.concrete_fields if f.column not in ("id", "order_no")]
    item_cols = [f.column for f in OrderItem._meta.concrete_fields if f.column not in ("id", "order_id")]
    o, i = Order._meta.db_table, OrderItem._meta.db_table
    prefix = template.order_no[:12]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {o} (order_no, {', '.join(cols)})"
            f" SELECT %s || lpad(g::text, 7, '0'), {', '.join('t.' + c for c in cols)}"
            f" FROM {o} t, generate_series(1, %s) g WHERE t.id = %s",
            [prefix, n - 1, template.pk],
        )
        cur.execute(
            f"INSERT INTO {i} (order_id, {', '.join(item_cols)})"
            f" SELECT c.id, {', '.join('ti.' + c for c in item_cols)}"
            f" FROM {o} c JOIN {i} ti ON ti.order_id = %s WHERE c.shop_id = %s AND c.id <> %s",
            [template.pk, shop.pk, template.pk],
        )
        cur.execute(f"ANALYZE {o}")
    return list(Order.objects.filter(shop=shop).order_by("pk").values_list("order_no", flat=True))


def _wait(predicate, timeout: float, what: str, poll: float = 0.02) -> float:
    t = time.perf_counter()
    while not predicate():
        if time.perf_counter() - t > timeout:
            raise SystemExit(f"{what}: not done after {timeout} s")
        time.sleep(poll)
    return time.perf_counter()


def measure_import(tag: str) -> dict:
    """W3: the 10,000-row CSV end to end (worker already running)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    from orders.shipment_imports.models import ShipmentImport

    shop, user, product = _world(f"import-{tag}")
    numbers = seed_orders(shop, product, ROWS)
    csv = "order_no,carrier,tracking_no\n" + "".join(f"{no},SF,SF{k:010d}\n" for k, no in enumerate(numbers))
    client = APIClient()
    client.force_authenticate(user)

    def upload(content: str, name: str, dry_run: bool = False):
        f = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
        resp = client.post(
            "/api/v1/shipment-imports/", {"file": f, "shop": shop.pk, "dry_run": dry_run}, format="multipart"
        )
        if resp.status_code != 202:
            raise SystemExit(f"import refused: {resp.status_code} {resp.content[:300]!r}")
        return resp.json()["id"]

    # Warm the worker (imports, connections) with a one-row dry run.
    warm = upload("order_no,carrier,tracking_no\n" + f"{numbers[0]},SF,SF0000000000\n", "warm.csv", dry_run=True)
    _wait(lambda: ShipmentImport.objects.filter(pk=warm, status="done").exists(), 120, "warm-up import")

    t = time.perf_counter()
    pk = upload(csv, "bench.csv")
    answered = time.perf_counter() - t
    end = _wait(
        lambda: ShipmentImport.objects.filter(pk=pk, status__in=["done", "failed"]).exists(), 600, "import", 0.05
    )
    imp = ShipmentImport.objects.get(pk=pk)
    if imp.status != "done" or imp.shipped != ROWS or not imp.result_file:
        raise SystemExit(f"import {pk} {imp.status}: shipped {imp.shipped}/{ROWS}, {imp.error[:300]}")
    seconds = end - t
    return {
        "seconds": round(seconds, 2),
        "rows": ROWS,
        "shipped": imp.shipped,
        "rows_per_second": round(ROWS / seconds),
        "request_seconds": round(answered, 3),
        "queue_seconds": round((imp.started_at - imp.created_at).total_seconds(), 3),
        "limit_seconds": IMPORT_LIMIT_SECONDS,
        "ok": seconds <= IMPORT_LIMIT_SECONDS,
        "path": "API → Redis broker → worker process → order_ship × 10,000 → result file",
    }


def measure_delivery(tag: str) -> dict:
    """W1: 10,000 outbox events delivered to the loopback receiver."""
    from django.db import transaction
    from django.utils import timezone

    from orders.webhooks.models import WebhookDelivery
    from orders.webhooks.outbox_sql import outbox_emit_rows
    from orders.webhooks.services import webhook_endpoint_create

    shop, user, _product = _world(f"push-{tag}")
    url = f"http://127.0.0.1:{RECEIVER_PORT}/hooks/erp"
    endpoint, _secret = webhook_endpoint_create(shop=shop, url=url, events=["*"], by=user, now=timezone.now())
    data = {"order_no": "0" * 19, "status": "shipped", "carrier": "SF", "tracking_no": "SF0000000000"}

    def emit(n: int) -> None:
        with transaction.atomic():
            rows = [(shop.pk, None, {**data, "k": k}) for k in range(n)]
            outbox_emit_rows(type="order.shipped", rows=rows, now=timezone.now())

    done = WebhookDelivery.objects.filter(endpoint=endpoint, status="succeeded")
    emit(50)  # warm every worker process
    _wait(lambda: done.count() >= 50, 120, "warm-up deliveries")
    t = time.perf_counter()
    emit(EVENTS)  # the deliveries are queued at commit
    enqueued = time.perf_counter() - t
    end = _wait(lambda: done.count() >= EVENTS + 50, 600, "deliveries", 0.05)
    seconds = end - t
    failed = WebhookDelivery.objects.filter(endpoint=endpoint).exclude(status="succeeded").count()
    attempts = sum(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("attempts", flat=True))
    rate = EVENTS / seconds
    return {
        "seconds": round(seconds, 2),
        "events": EVENTS,
        "events_per_second": round(rate),
        "enqueue_seconds": round(enqueued, 3),
        "not_succeeded": failed,
        "attempts": attempts,
        "workers": CONCURRENCY,
        "target_per_second": DELIVERY_TARGET_PER_SECOND,
        "ok": rate >= DELIVERY_TARGET_PER_SECOND and failed == 0,
        "path": "outbox commit → Redis broker → 4 worker processes → signed POST → loopback receiver (204)",
    }


def run(ctx=None) -> dict:
    from django.conf import settings
    from django.db import connection

    from bench.worker import celery_worker, database_url

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    tag = time.strftime("%Y%m%d%H%M%S")
    tmp = Path(tempfile.mkdtemp(prefix="bench-merchant-"))
    settings.MEDIA_ROOT = tmp / "media"
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
        "LOG_LEVEL": "INFO",
    }
    receiver = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver", str(RECEIVER_PORT)], stdout=subprocess.PIPE, text=True
    )
    try:
        receiver.stdout.readline()  # "listening"
        with celery_worker(log=tmp / "worker.log", env=env, concurrency=CONCURRENCY, name="bench-merchant"):
            figures = {"shipment_import": measure_import(tag), "outbox_delivery": measure_delivery(tag)}
    finally:
        receiver.terminate()
        receiver.wait(10)
    return figures


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(json.dumps(run(), indent=2, default=str))


if __name__ == "__main__":
    main()
