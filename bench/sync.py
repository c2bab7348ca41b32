"""W2 incremental sync at scale: ``GET /api/v1/orders/?updated_after=…`` for
the merchant of the biggest shop, one page (the default 20 rows, and 100)
resumed from a cursor in the middle of the data set (the keyset on ``(updated_at, id)``, index
``order_sync``), through DRF's ``APIClient`` in process. Target: ≤ 50 ms at
1M orders, the same as at 100k."""

from __future__ import annotations

from datetime import timedelta

from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from config.sync import SyncCursorPagination
from orders.models import Order, ShopMembership

from .core import Ctx, measure_all


def prepare(ctx: Ctx) -> dict:
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    shop_id = Order.objects.filter(shop__name="Bench shop 000").values_list("shop_id", flat=True)[:1][0]
    member = ShopMembership.objects.select_related("user").filter(shop_id=shop_id).first().user
    with connection.cursor() as cur:
        cur.execute("SELECT MIN(updated_at) FROM orders_order")
        (first,) = cur.fetchone()
        cur.execute(
            "SELECT updated_at, id FROM orders_order ORDER BY updated_at, id LIMIT 1 OFFSET %s", [ctx.orders // 2]
        )
        at, pk = cur.fetchone()
    cursor = SyncCursorPagination().encode(at, pk)
    since = (first - timedelta(seconds=1)).isoformat()
    client = APIClient()
    client.force_authenticate(member)
    calls = {}
    for name, params, size in (
        ("first", {"updated_after": since}, 20),
        ("page", {"updated_after": since, "cursor": cursor}, 20),
        ("page_100", {"updated_after": since, "cursor": cursor, "page_size": 100}, 100),
    ):

        def get(params=params, size=size):
            response = client.get("/api/v1/orders/", params)
            assert response.status_code == 200, response.content[:200]
            assert len(response.json()["results"]) == size
            return response

        calls[name] = get
    return calls


def run(ctx: Ctx) -> dict:
    return measure_all(prepare(ctx), ctx.reps)
