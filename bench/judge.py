"""P1 judgement over the whole data set, and its physical anchor.

Anchor: the bare ``INSERT … SELECT … ON CONFLICT DO NOTHING`` of the same
judgements (one row per overdue order: ``awaiting_shipment`` past ``ship_by``,
nothing refunded) into a *logged* table shaped like the real violation table
(``CREATE TABLE … (LIKE penalties_violation)``: the same columns and values,
its primary key and the ``(order, judgement_no)`` unique constraint the
``ON CONFLICT`` needs; no other index, no foreign key, no event). It pays
WAL like the real table does (an earlier version used a temporary table,
which skips WAL and flattered the anchor).

Target: the real judgement service (violations, per-shop
notifications, bans), ≤ 2× the anchor. Both run in a transaction rolled back
afterwards, so each repetition starts from no violations; the target's
figure includes ``SET CONSTRAINTS ALL IMMEDIATE``, i.e. the deferred
foreign-key checks its commit would run (a rolled-back transaction never
runs them, which hid their cost). Before each repetition the tables the job
writes are vacuumed (autovacuum may be off on a benchmark server, and each
rolled-back repetition leaves 100k dead rows behind).
"""

from __future__ import annotations

import importlib
import statistics
import time

from django.db import connection, transaction

from .core import Ctx

ANCHOR = "bench_anchor_violation"
ANCHOR_TABLE = f"""
CREATE TABLE IF NOT EXISTS {ANCHOR} (
  LIKE penalties_violation INCLUDING DEFAULTS INCLUDING IDENTITY,
  PRIMARY KEY (id),
  UNIQUE (order_id, judgement_no)
)
"""
ANCHOR_SQL = f"""
INSERT INTO {ANCHOR} (order_id, shop_id, judgement_no, judged_at, judgement_day, next_judgement_at,
                      charge_status, charged_amount, waive_reason, settled_at)
SELECT o.id, o.shop_id, 1, %(now)s, %(day)s, %(next_at)s, 'pending', 0, '', NULL
  FROM orders_order o
 WHERE o.status = 'awaiting_shipment' AND o.refunded_amount = 0 AND o.ship_by < %(now)s
ON CONFLICT (order_id, judgement_no) DO NOTHING
"""

# What the judgement (and the deduction batch after it) write.
WRITTEN = (
    "penalties_violation",
    "orders_orderevent",
    "orders_notification",
    "penalties_productban",
    "penalties_depositentry",
    "orders_shop",
    "orders_product",
    ANCHOR,
)


class _Rollback(Exception):
    pass


def vacuum(*tables: str) -> None:
    """VACUUM (ANALYZE) outside any transaction: clears what rolled-back
    repetitions left behind, so each repetition sees the same tables."""
    names = [t for t in (tables or WRITTEN)]
    with connection.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r'", [names])
        present = [r[0] for r in cur.fetchall()]
        if present:
            cur.execute("VACUUM (ANALYZE) " + ", ".join(present))


def median(samples: list[float]) -> float:
    return round(statistics.median(samples), 3)


def anchor(ctx: Ctx, reps: int = 3) -> dict:
    from datetime import timedelta

    from orders.policy import business_day

    params = {"now": ctx.now, "day": business_day(ctx.now), "next_at": ctx.now + timedelta(hours=24)}
    samples, rows = [], 0
    with connection.cursor() as cur:
        cur.execute(ANCHOR_TABLE)
    try:
        for _ in range(reps):
            vacuum(ANCHOR)
            try:
                with transaction.atomic(), connection.cursor() as cur:
                    t = time.perf_counter()
                    cur.execute(ANCHOR_SQL, params)
                    samples.append(time.perf_counter() - t)
                    rows = cur.rowcount
                    raise _Rollback
            except _Rollback:
                pass
    finally:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {ANCHOR}")
    return {"seconds": median(samples), "rows": rows, "samples": [round(s, 3) for s in samples]}


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


def deferred_checks() -> None:
    """Run now what COMMIT would run: the deferred foreign-key checks."""
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def target(ctx: Ctx, reps: int = 3) -> dict:
    judge = _judge_callable()
    if judge is None:
        return {"pending": "penalties judgement service not on main yet"}
    samples, summary = [], None
    for _ in range(reps):
        vacuum()
        try:
            with transaction.atomic():
                t = time.perf_counter()
                summary = judge(now=ctx.now)
                deferred_checks()
                samples.append(time.perf_counter() - t)
                raise _Rollback
        except _Rollback:
            pass
    return {"seconds": median(samples), "summary": summary, "samples": [round(s, 3) for s in samples]}


def run(ctx: Ctx) -> dict:
    return {"judge_anchor": anchor(ctx), "judge": target(ctx)}
