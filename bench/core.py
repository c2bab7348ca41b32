"""Helpers shared by the measurement modules."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

META_TABLE = "bench_meta"


@dataclass
class Ctx:
    """What a measurement module gets: the data set's size and its clock
    (``now`` is the moment the data was seeded, so "overdue" means the same
    100k orders however long ago the data set was loaded)."""

    orders: int
    now: datetime
    reps: int = 5


def median_ms(fn: Callable[[], object], reps: int, warmup: int = 1) -> float:
    """Median wall time of ``fn`` in milliseconds after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(samples), 2)


def meta_read() -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [META_TABLE])
        if cur.fetchone()[0] is None:
            return {}
        cur.execute(f"SELECT key, value FROM {META_TABLE}")
        return dict(cur.fetchall())


def meta_write(**values) -> None:
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value text NOT NULL)")
        for key, value in values.items():
            cur.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s)"
                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, str(value)],
            )


def explain(sql: str, params=None) -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


class QueryCounter:
    """Counts the SQL statements run on ``connection`` inside the block
    (an execute wrapper, so it works whatever DEBUG and the request signals
    do to ``connection.queries``)."""

    def __init__(self):
        self.count = 0
        self._cm = None

    def _wrapper(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._cm = connection.execute_wrapper(self._wrapper)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def count_queries(fn: Callable[[], object]) -> int:
    """How many statements one call of ``fn`` runs."""
    with QueryCounter() as queries:
        fn()
    return queries.count


def measure_all(calls: dict, reps: int) -> dict:
    """``{name: {"ms", "queries"}}`` for ``prepare(ctx)``'s calls, one after
    the other (``bench.interleave`` alternates two data sets instead)."""
    if "pending" in calls:
        return calls
    return {name: {"queries": count_queries(fn), "ms": median_ms(fn, reps)} for name, fn in calls.items()}


def merchant_client():
    """In process, as a long-running worker serves: the API client of the
    biggest shop's merchant, and that shop's id. One connection is kept
    across requests (Django's own TestCase does the same)."""
    from django.conf import settings
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from rest_framework.test import APIClient

    from orders.models import Order, ShopMembership

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    shop_id = Order.objects.filter(shop__name="Bench shop 000").values_list("shop_id", flat=True)[:1][0]
    member = ShopMembership.objects.select_related("user").filter(shop_id=shop_id).first().user
    client = APIClient()
    client.force_authenticate(member)
    return client, shop_id
