"""Penalty batch jobs over the whole data set: the next-day deduction batch
over the judgements (P3, caps; ≤ 5 s), auto-close (P7; ≤ 10 s) and the shop
rating (R1; ≤ 10 s), each next to a physical anchor on the same rows in the
same run: the deduction's bare ``UPDATE`` settling the same judgements, the
auto-close's bare ``UPDATE`` closing the same orders, and the rating's one
``GROUP BY`` over the window's paid orders. Each runs inside a transaction rolled back afterwards,
so repetitions see the same data (and what a job queues with
``on_commit``, e.g. refund gateway calls, is not part of the figure). Each
figure includes the deferred foreign-key checks its commit would run
(``SET CONSTRAINTS ALL IMMEDIATE``); the judgement the deduction batch needs
is made, and its checks run, before the clock starts. The tables the jobs
write are vacuumed before each repetition (see ``bench.judge``)."""

from __future__ import annotations

import importlib
import inspect
import time
from datetime import timedelta

from django.db import connection, transaction

from orders.policy import business_day

from .core import Ctx
from .judge import _judge_callable, _Rollback, deferred_checks, vacuum

CANDIDATES = {
    "deduct": ("penalties.services.deductions_run",),
    "auto_close": ("penalties.services.orders_auto_close_run", "orders.services.orders_auto_close"),
    "rating": ("penalties.services.ratings_compute",),
}


def _find(paths):
    for path in paths:
        module, _, name = path.rpartition(".")
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ModuleNotFoundError:
            found = None
        if found is not None:
            return found
    return None


def _timed(fn, *, prepare=None, reps: int = 3) -> dict:
    samples, summary = [], None
    for _ in range(reps):
        vacuum()
        try:
            with transaction.atomic():
                if prepare:
                    prepare()
                    deferred_checks()
                t = time.perf_counter()
                summary = fn()
                deferred_checks()
                samples.append(time.perf_counter() - t)
                raise _Rollback
        except _Rollback:
            pass
    samples.sort()
    return {
        "seconds": round(samples[len(samples) // 2], 3),
        "summary": summary,
        "samples": [round(x, 3) for x in samples],
    }


# The same rows as the jobs, with nothing but the write (or the read).
ANCHORS = {
    "deduct": """
        UPDATE penalties_violation SET charge_status = 'waived', waive_reason = 'daily_cap', settled_at = %(now)s
         WHERE id >= %(from_id)s AND charge_status = 'pending' AND judgement_day < %(today)s
    """,
    "auto_close": """
        UPDATE orders_order SET status = 'closed', closed_at = %(now)s
         WHERE status = 'awaiting_shipment' AND placed_at <= %(cutoff)s
    """,
    "rating": """
        SELECT shop_id, COUNT(*) FROM orders_order WHERE paid_at >= %(start)s AND paid_at < %(end)s GROUP BY shop_id
    """,
}


def _anchor(key: str, params: dict, *, prepare=None, reps: int = 3) -> dict:
    def statement():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
            cur.execute(ANCHORS[key], params)
            return {"rows": cur.rowcount}

    fig = _timed(statement, prepare=prepare, reps=reps)
    return {"seconds": fig["seconds"], "rows": fig["summary"]["rows"], "samples": fig["samples"]}


def _anchor_params(ctx: Ctx) -> dict:
    from orders.policy import rule
    from penalties.models import BatchMark
    from penalties.services.ratings import rating_window

    start, end = rating_window(business_day(ctx.now))
    next_day = ctx.now + timedelta(days=1)
    mark = BatchMark.objects.filter(name="deductions").values_list("position", flat=True).first() or 0
    return {
        "now": next_day,
        "from_id": mark,
        "today": business_day(next_day),
        "cutoff": ctx.now - timedelta(days=rule("AUTO_CLOSE_DAYS")),
        "start": start,
        "end": end,
    }


def run(ctx: Ctx) -> dict:
    out = {}
    judge = _judge_callable()
    for key, names in CANDIDATES.items():
        fn = _find(names)
        if fn is None:
            out[key] = {"pending": "service not on main yet"}
            continue
        if key == "deduct":
            if judge is None:
                out[key] = {"pending": "needs the judgement service"}
                continue
            next_day = ctx.now + timedelta(days=1)
            out[key] = _timed(lambda fn=fn, d=next_day: fn(now=d), prepare=lambda: judge(now=ctx.now))
        elif "day" in inspect.signature(fn).parameters:
            out[key] = _timed(lambda fn=fn: fn(day=business_day(ctx.now), now=ctx.now))
        else:
            out[key] = _timed(lambda fn=fn: fn(now=ctx.now))
    params = _anchor_params(ctx)
    for key in ANCHORS:
        if "seconds" in out.get(key, {}):
            prepare = (lambda: judge(now=ctx.now)) if key == "deduct" else None
            out[f"{key}_anchor"] = _anchor(
                key, {**params, "now": params["now"] if key == "deduct" else ctx.now}, prepare=prepare
            )
    return out
