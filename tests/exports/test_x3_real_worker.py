"""X1/X3 through the path production runs (issue 14 point 1): 50,000 orders on
PostgreSQL, the export posted through the API, the job run by a real Celery
worker process (``celery -A config worker``) on the configured broker (Redis
in CI), progress polled through the API from another connection while the
file is written, then the file downloaded and read back.

A CSV export of 5,000 rows or more used to hang here: the progress update ran
on the connection still inside ``COPY``. The XLSX job's progress was written
inside its read transaction, so nobody saw it before the end.

Takes about 25 s on this 2-core machine (seeding 50,000 orders ~3 s, worker
start ~3 s, the two exports, reading the XLSX back with openpyxl ~8 s).
"""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bench.worker import celery_worker, database_url
from config import celery_app
from orders.bulk import BulkContext
from orders.bulk import seed as seed_orders
from orders.exports.models import Export
from orders.models import Order, Shop, ShopMembership
from tests.conftest import phone_verified
from tests.factories import UserFactory

from .conftest import read_file

N = 50_000
URL = "/api/v1/exports/"
MASKED = re.compile(r"^1\d\d\*{4}\d{4}$")

# Each progress update (from the job's second connection) waits 0.1 s in the
# database, so the file takes about a second to write and the API poll sees
# the intermediate counts for certain. The job's own connection is untouched.
SLOW_PROGRESS = """
CREATE OR REPLACE FUNCTION h14a_slow_progress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.1); RETURN NEW; END $$;
CREATE TRIGGER h14a_slow_progress BEFORE UPDATE OF rows_written ON orders_export FOR EACH ROW
WHEN (OLD.status = 'running' AND NEW.status = 'running' AND NEW.rows_written <> OLD.rows_written)
EXECUTE FUNCTION h14a_slow_progress();
"""
DROP_SLOW_PROGRESS = (
    "DROP TRIGGER IF EXISTS h14a_slow_progress ON orders_export; DROP FUNCTION IF EXISTS h14a_slow_progress();"
)


def _exporter(name: str, shops: list[int]):
    user = UserFactory(username=name)
    ShopMembership.objects.bulk_create([ShopMembership(user=user, shop_id=pk) for pk in shops])
    return user


def _run_through_worker(client, fmt: str, timeout: float = 180) -> tuple[dict, list[tuple[str, int]]]:
    response = client.post(URL, {"kind": "orders", "format": fmt, "filters": {}}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["row_count"] == N
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        detail = client.get(f"{URL}{response.json()['id']}/").json()
        seen.append((detail["status"], detail["rows_written"]))
        if detail["status"] in ("done", "failed"):
            return detail, seen
        time.sleep(0.02)
    raise AssertionError(f"the {fmt} export did not finish in {timeout} s; last states {seen[-5:]}")


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_x3_export_of_50000_orders_through_a_real_worker_on_postgres(api, tmp_path):
    """X1/X3: 50,000 orders exported as CSV and as XLSX through the API and a
    real worker process: each job finishes with rows_written == row_count ==
    50,000, its progress is visible through the API while it runs, and the
    file holds every order, newest first, phones masked."""
    # given 50,000 orders (the project's set-based bulk seeding) and two users seeing every shop
    seed_orders(BulkContext(now=timezone.now(), orders=N, vendor="postgresql"))
    assert Order.objects.count() == N
    shops = list(Shop.objects.values_list("pk", flat=True))
    users = {fmt: _exporter(f"exporter_{fmt}", shops) for fmt in ("csv", "xlsx")}
    expected = list(Order.objects.order_by("-placed_at", "-id").values_list("order_no", flat=True))
    sample = {
        o.order_no: o
        for o in Order.objects.select_related("shop").order_by("-placed_at", "-id")[: N : N // 10]  # every 5,000th
    }
    with connection.cursor() as cursor:
        cursor.execute(SLOW_PROGRESS)
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "FIELD_ENCRYPTION_KEY": django_settings.FIELD_ENCRYPTION_KEY,
        "SECRET_KEY": django_settings.SECRET_KEY,
        "CONN_MAX_AGE": "0",
    }
    celery_app.conf.task_always_eager = False
    try:
        with celery_worker(log=tmp_path / "worker.log", env=env) as worker:
            results = {fmt: _run_through_worker(api(users[fmt]), fmt) for fmt in ("csv", "xlsx")}
            log = worker.output()
    finally:
        celery_app.conf.task_always_eager = True
        with connection.cursor() as cursor:
            cursor.execute(DROP_SLOW_PROGRESS)

    for fmt, (detail, seen) in results.items():
        # then the job finished with every row written
        assert detail["status"] == "done", (fmt, detail, log[-3000:])
        assert detail["rows_written"] == detail["row_count"] == N
        # and its progress was visible from another connection while it ran
        progress = {n for status, n in seen if status == "running" and 0 < n < N}
        assert progress, f"{fmt}: no progress seen while running: {sorted(set(seen))}"
        assert progress <= set(range(5000, N, 5000))
        # and the file holds every order, newest first, as the list shows them
        client = phone_verified(api(users[fmt]), users[fmt])  # K1: downloads need a verified login
        rows = read_file(client.get(f"{URL}{detail['id']}/download/"), fmt)
        header, body = rows[0], rows[1:]
        assert len(body) == N
        # The worker writes the headers in the platform's language (zh-hans).
        with translation.override("zh-hans"):
            assert header[:4] == [str(_("Order number")), str(_("Shop")), str(_("Status")), str(_("Placed at"))]
            labels = dict(Order.Status.choices)
            column = {str(name): header.index(str(_(name))) for name in ("Shop", "Status", "Placed at", "Buyer phone")}
            labels = {k: str(v) for k, v in labels.items()}
        assert [str(r[0]) for r in body] == expected
        assert all(MASKED.match(str(r[column["Buyer phone"]])) for r in body)
        for row in body:
            order = sample.get(str(row[0]))
            if order is None:
                continue
            assert row[column["Shop"]] == order.shop.name
            assert row[column["Status"]] == labels[order.status]
            assert str(row[column["Buyer phone"]]) == order.buyer_phone_masked
            placed = order.placed_at.astimezone(timezone.get_default_timezone()).replace(tzinfo=None, microsecond=0)
            cell = row[column["Placed at"]]
            if fmt == "csv":
                assert cell == placed.strftime("%Y-%m-%d %H:%M:%S")
            else:
                assert isinstance(cell, datetime) and abs((cell - placed).total_seconds()) < 1
        assert Export.objects.get(pk=detail["id"]).size_bytes > 1_000_000
