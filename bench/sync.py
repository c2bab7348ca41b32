"""W2 incremental sync at scale: ``GET /api/v1/orders/?updated_after=…`` for
the merchant of the biggest shop, one page (the default 20 rows, and 100)
resumed from a cursor in the middle of the data set (the keyset on ``(updated_at, id)``, index
``order_sync``), through DRF's ``APIClient`` in process. Target: ≤ 50 ms at
1M orders, the same as at 100k."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection

from config.sync import SyncCursorPagination

from .core import Ctx, measure_all, merchant_client


def prepare(ctx: Ctx) -> dict:
    client, _shop_id = merchant_client()
    with connection.cursor() as cur:
        cur.execute("SELECT MIN(updated_at) FROM orders_order")
        (first,) = cur.fetchone()
        cur.execute(
            "SELECT updated_at, id FROM orders_order ORDER BY updated_at, id LIMIT 1 OFFSET %s", [ctx.orders // 2]
        )
        at, pk = cur.fetchone()
    cursor = SyncCursorPagination().encode(at, pk)
    since = (first - timedelta(seconds=1)).isoformat()
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
