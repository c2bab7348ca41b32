"""P1 judgement over the whole data set, and its physical anchor.

Anchor: one bare ``INSERT … SELECT … ON CONFLICT DO NOTHING`` writing one
row per overdue order (``awaiting_shipment`` past ``ship_by``, not refunded)
into a scratch table shaped like a violation (unique ``(order, judgement_no)``,
an index by shop). Target: the real judgement service (violations, events,
per-shop notifications, bans), ≤ 2× the anchor; each repetition starts from
no violations (the run happens in a transaction that is rolled back).
"""

from __future__ import annotations

import importlib
import time

from django.db import connection, transaction

from .core import Ctx

ANCHOR_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS bench_violation (
  id bigserial PRIMARY KEY,
  order_id bigint NOT NULL,
  shop_id bigint NOT NULL,
  judgement_no smallint NOT NULL,
  judged_at timestamptz NOT NULL,
  ship_by timestamptz NOT NULL,
  UNIQUE (order_id, judgement_no)
)
"""
ANCHOR_INDEX = "CREATE INDEX IF NOT EXISTS bench_violation_shop ON bench_violation (shop_id, judged_at)"
ANCHOR_SQL = """
INSERT INTO bench_violation (order_id, shop_id, judgement_no, judged_at, ship_by)
SELECT id, shop_id, 1, %(now)s, ship_by FROM orders_order
WHERE status = 'awaiting_shipment' AND ship_by < %(now)s AND refunded_amount = 0
ON CONFLICT (order_id, judgement_no) DO NOTHING
"""


class _Rollback(Exception):
    pass


def anchor(ctx: Ctx, reps: int = 3) -> dict:
    samples, rows = [], 0
    with connection.cursor() as cur:
        cur.execute(ANCHOR_TABLE)
        cur.execute(ANCHOR_INDEX)
        for _ in range(reps):
            cur.execute("TRUNCATE bench_violation")
            t = time.perf_counter()
            cur.execute(ANCHOR_SQL, {"now": ctx.now})
            samples.append(time.perf_counter() - t)
            rows = cur.rowcount
        cur.execute("DROP TABLE bench_violation")
    samples.sort()
    return {"seconds": round(samples[len(samples) // 2], 3), "rows": rows}


def _judge_callable():
    """The penalties judgement service, once it has landed on main."""
    try:
        services = importlib.import_module("penalties.services")
    except ModuleNotFoundError:
        return None
    for name in ("violations_judge", "judge_overdue_shipments"):
        if hasattr(services, name):
            return getattr(services, name)
    return None


def target(ctx: Ctx, reps: int = 3) -> dict:
    judge = _judge_callable()
    if judge is None:
        return {"pending": "penalties judgement service not on main yet"}
    samples, summary = [], None
    for _ in range(reps):
        try:
            with transaction.atomic():
                t = time.perf_counter()
                summary = judge(now=ctx.now)
                samples.append(time.perf_counter() - t)
                raise _Rollback
        except _Rollback:
            pass
    samples.sort()
    return {"seconds": round(samples[len(samples) // 2], 3), "summary": summary}


def run(ctx: Ctx) -> dict:
    return {"judge_anchor": anchor(ctx), "judge": target(ctx)}
