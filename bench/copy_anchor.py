"""Physical anchor of the CSV export: ``COPY (SELECT …) TO STDOUT`` of the
50,000 newest orders with the columns an export has (masked phone, shop
name), read to the end by psycopg 3 and thrown away. Its own process, so the
peak RSS is this alone."""

from __future__ import annotations

import time

from django.db import connection

from .core import Ctx

ROWS = 50_000
COPY_SQL = f"""
COPY (
  SELECT o.order_no, s.name, o.status, o.buyer_name, o.buyer_phone_masked, o.address, o.total_amount,
         o.refunded_amount, o.product_names, o.placed_at, o.paid_at, o.ship_by, o.shipped_at, o.carrier,
         o.tracking_no
  FROM orders_order o JOIN orders_shop s ON s.id = o.shop_id
  ORDER BY o.placed_at DESC, o.id DESC LIMIT {ROWS}
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def copy_once() -> int:
    size = 0
    with connection.cursor() as cur:
        with cur.cursor.copy(COPY_SQL) as copy:
            for block in copy:
                size += len(block)
    return size


def run(ctx: Ctx) -> dict:
    copy_once()  # warm
    samples = []
    for _ in range(5):
        t = time.perf_counter()
        size = copy_once()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return {"copy_50k": {"seconds": round(samples[2], 3), "bytes": size, "rows": ROWS}}
