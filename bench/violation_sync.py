"""W2 on violations through their change log (``config.sync_log``):
``GET /api/v1/violations/?updated_after=…`` for the merchant of the biggest
shop, through DRF's ``APIClient`` in process, after the judgement of every
overdue order and the next night's deduction batch (one change-log entry
each for their rows), all in a transaction rolled back afterwards.

Not part of ``make bench`` (it runs a judgement and a batch: ~15 s at 10M);
alone: ``DATABASE_URL=postgres://…/bench_10m .venv/bin/python -m bench.measure
violation_sync``. Figures: a page of 20 from the start of the batch's range,
a page of 100 fifty pages into it, and a page of 100 walking the history
(violations changed one at a time: one log entry each)."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from django.db import transaction

from .core import Ctx, merchant_client
from .judge import _Rollback, vacuum


def _median_ms(client, params: dict, reps: int = 7) -> tuple[float, dict]:
    samples, body = [], {}
    for _ in range(reps):
        t = time.perf_counter()
        resp = client.get("/api/v1/violations/", params)
        samples.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.content[:300]
        body = resp.json()
    return round(statistics.median(samples), 2), body


def run(ctx: Ctx) -> dict:
    import time_machine

    from penalties.services import deductions_run, violations_judge

    client, _shop_id = merchant_client()
    out: dict = {}
    vacuum()
    try:
        with transaction.atomic():
            violations_judge(now=ctx.now)
            night = ctx.now + timedelta(days=1)
            deductions_run(now=night)
            since = (night - timedelta(seconds=1)).isoformat()
            with time_machine.travel(night + timedelta(minutes=1), tick=False):
                ms, body = _median_ms(client, {"updated_after": since})
                out["batch_range_first_page_20"] = {"ms": ms, "rows": len(body["results"])}
                cursor = body["sync_cursor"]
                for _ in range(50):
                    cursor = client.get("/api/v1/violations/", {"updated_after": since, "cursor": cursor}).json()[
                        "sync_cursor"
                    ]
                ms, body = _median_ms(client, {"updated_after": since, "cursor": cursor, "page_size": 100})
                out["batch_range_page_100_after_50_pages"] = {"ms": ms, "rows": len(body["results"])}
                history = (ctx.now - timedelta(days=400)).isoformat()
                ms, body = _median_ms(client, {"updated_after": history, "page_size": 100})
                out["history_page_100"] = {"ms": ms, "rows": len(body["results"])}
            raise _Rollback
    except _Rollback:
        pass
    return out
