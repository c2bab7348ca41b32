"""Issue 18 point 4 against a real PostgreSQL streaming replica (``.ci/replica
start``: a primary and its hot standby made with ``pg_basebackup -R``). The
test database is created on the primary and streams to the standby; each
test adds the ``replica`` alias (``TEST_REPLICA_URL``, same database name)
as ``DATABASE_REPLICA_URL`` does in production.

To make staleness certain rather than a race, the standby's replay is paused
(``pg_wal_replay_pause()``) where a test needs it to be behind.
"""

from __future__ import annotations

import os
import re
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections

from bench.worker import celery_worker, database_url
from config import celery_app
from config.db_routing import REPLICA, primary_lsn, replica_has_replayed
from orders.models import CancellationRequest, Order, Shop, ShopMembership
from orders.roles import REVIEWER
from orders.services import cancellation_request
from tests.conftest import phone_verified
from tests.factories import UserFactory, order_placed

REPLICA_URL = os.environ.get("TEST_REPLICA_URL", "")
LOG_DIR = Path(os.environ.get("REPLICA_LOG_DIR", "/tmp/backoffice-replica"))
CHANGELIST = "/admin/orders/cancellationrequest/"


def _caught_up(timeout: float = 30) -> None:
    target = primary_lsn()
    deadline = time.monotonic() + timeout
    while not replica_has_replayed(target):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


@pytest.fixture
def replica(settings, transactional_db):
    parts = urlsplit(REPLICA_URL)
    config = {**connection.settings_dict, "HOST": parts.hostname, "PORT": parts.port or 5432, "CONN_MAX_AGE": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Overriding setting DATABASES": connections are set up just below
        settings.DATABASES = {**django_settings.DATABASES, REPLICA: config}
    connections.settings[REPLICA] = config
    standby = connections[REPLICA]
    deadline = time.monotonic() + 30
    while True:  # the test database reaches the standby a moment after its creation
        try:
            # connect() itself: the test case forbids ensure_connection() to aliases
            # it did not set up; the connection is then kept (CONN_MAX_AGE None).
            standby.connect()
            break
        except Exception:
            assert time.monotonic() < deadline, f"no test database on the replica: {sys.exc_info()[1]!r}"
            standby.close()
            time.sleep(0.2)
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True, "TEST_REPLICA_URL is not a standby"
    _caught_up()
    try:
        yield standby
    finally:
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
        standby.close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def _pause(standby) -> None:
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    deadline = time.monotonic() + 10
    while True:
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_get_wal_replay_pause_state()")
            if cursor.fetchone()[0] == "paused":
                return
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _resume(standby) -> None:
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


def _status_in_list(client) -> str:
    """The status cell of the one row of the cancellation list."""
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    table = re.search(r'<table id="result_list"[^>]*>(.*?)</table>', html, re.S)
    assert table, html[:2000]
    cells = re.findall(r'<td class="field-status[^"]*"[^>]*>([^<]*)</td>', table.group(1))
    assert len(cells) == 1, cells
    return cells[0].strip()


@pytest.mark.postgres
@pytest.mark.replica
@pytest.mark.django_db(transaction=True)
def test_i18_an_admin_approval_then_its_page_view_is_never_stale(client, replica, reviewer, merchant, shop_a):
    # given a cancellation to review, on both servers
    order = order_placed(shop=shop_a)
    request = cancellation_request(
        order=order, reason="out_of_stock", by=merchant, now=Order.objects.get(pk=order.pk).paid_at
    )
    other = UserFactory(username="reviewer2", is_staff=True, groups=[REVIEWER])
    client.force_login(reviewer)
    colleague = type(client)()
    colleague.force_login(other)
    _caught_up()
    assert _status_in_list(client) == "Pending review"
    # and a replica that is behind (its replay paused)
    _pause(replica)
    # when the reviewer approves in the admin
    done = client.post(CHANGELIST, {"action": "approve", "_selected_action": [request.pk], "confirm": "yes"})
    assert done.status_code == 302
    assert CancellationRequest.objects.using("default").get(pk=request.pk).status == "approved"
    # then the pages the reviewer sees next show the approval: the list (a replica page) and the record
    assert _status_in_list(client) == "Approved"
    assert _status_in_list(client) == "Approved"
    page = client.get(f"{CHANGELIST}{request.pk}/change/")
    assert page.status_code == 200 and re.search(r">\s*Approved\s*<", page.content.decode())
    # while the list of a colleague who wrote nothing comes from the replica, still behind
    assert _status_in_list(colleague) == "Pending review"
    # and /metrics tells how far behind the replica is
    lag = re.search(rb"^backoffice_replica_replay_lag_bytes ([0-9.e+]+)$", client.get("/metrics").content, re.M)
    assert lag and float(lag.group(1)) > 0
    # once the replica has replayed the approval, everyone reads it there
    _resume(replica)
    _caught_up()
    assert _status_in_list(colleague) == "Approved"
    assert _status_in_list(client) == "Approved"


@pytest.mark.postgres
@pytest.mark.replica
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_i18_an_exports_copy_runs_on_the_replica_and_so_does_an_xlsx_job(api, replica, shop_a, shop_b, tmp_path):
    """The worker (with ``DATABASE_REPLICA_URL``) streams the export's ``COPY``
    from the standby: the standby's statement log has it, the primary's does not;
    the job's own bookkeeping (claim, progress, done) is written on the primary."""
    for i in range(30):
        order_placed(shop=shop_a if i % 2 else shop_b)
    shops = list(Shop.objects.values_list("pk", flat=True))
    users = {fmt: UserFactory(username=f"replica_exporter_{fmt}") for fmt in ("csv", "xlsx")}
    ShopMembership.objects.bulk_create([ShopMembership(user=u, shop_id=pk) for u in users.values() for pk in shops])
    logs = {name: LOG_DIR / f"{name}.log" for name in ("primary", "replica")}
    offsets = {name: path.stat().st_size for name, path in logs.items()}
    replica_url = urlsplit(REPLICA_URL)
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "DATABASE_REPLICA_URL": database_url(
            {**connection.settings_dict, "HOST": replica_url.hostname, "PORT": replica_url.port}
        ),
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "FIELD_ENCRYPTION_KEY": django_settings.FIELD_ENCRYPTION_KEY,
        "SECRET_KEY": django_settings.SECRET_KEY,
        "CONN_MAX_AGE": "0",
    }
    celery_app.conf.task_always_eager = False
    details = {}
    try:
        with celery_worker(log=tmp_path / "worker.log", env=env, queues="bulk", name="replica") as worker:
            for fmt, user in users.items():
                response = api(user).post("/api/v1/exports/", {"kind": "orders", "format": fmt, "filters": {}})
                assert response.status_code == 202, response.json()
                export_id = response.json()["id"]
                deadline = time.monotonic() + 90
                while (detail := api(user).get(f"/api/v1/exports/{export_id}/").json())["status"] not in (
                    "done",
                    "failed",
                ):
                    assert time.monotonic() < deadline, worker.output()[-3000:]
                    time.sleep(0.1)
                details[fmt] = detail
            output = worker.output()
    finally:
        celery_app.conf.task_always_eager = True
    for detail in details.values():
        assert detail["status"] == "done", (detail, output[-3000:])
        assert detail["rows_written"] == 30
    client = phone_verified(api(users["csv"]), users["csv"])
    download = client.get(f"/api/v1/exports/{details['csv']['id']}/download/")
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert len(body.strip().splitlines()) == 31  # the header and every order
    database = connection.settings_dict["NAME"]

    def statements(name: str) -> list[str]:
        with open(logs[name], errors="replace") as f:
            f.seek(offsets[name])
            lines = f.read().splitlines()
        return [line for line in lines if f" {database} " in line and ("statement:" in line or "execute " in line)]

    copies = {name: [s for s in statements(name) if "COPY (SELECT" in s] for name in logs}
    assert len(copies["replica"]) == 1 and "orders_order" in copies["replica"][0], copies
    assert copies["primary"] == [], copies["primary"]
    assert any("UPDATE" in s and "orders_export" in s and "done" in s for s in statements("primary"))
    # the XLSX job reads its rows from the standby too (a server-side cursor over the same selection)
    assert [s for s in statements("replica") if "DECLARE" in s and '"orders_order"' in s]


# --- without a replica, and which pages read from one (no replica needed) ------------------------


@pytest.mark.parametrize(
    ("method", "path", "eligible"),
    [
        ("GET", "/admin/orders/order/", True),  # an admin list / search page
        ("GET", "/admin/", True),  # the workbench dashboards
        ("GET", "/api/v1/orders/", True),  # a sync list
        ("POST", "/admin/orders/cancellationrequest/", False),  # an action: writes
        ("GET", "/admin/orders/order/1/change/", False),  # a record's page: the primary
        ("GET", "/api/v1/orders/O123/", False),
        ("POST", "/api/v1/exports/", False),
    ],
)
def test_i18_only_list_pages_dashboards_and_sync_lists_may_read_the_replica(method, path, eligible):
    from django.test import RequestFactory
    from django.urls import resolve

    from config.db_routing import _replica_eligible

    request = RequestFactory().generic(method, path)
    assert _replica_eligible(request, resolve(path).func) is eligible


@pytest.mark.django_db
def test_i18_without_a_replica_every_read_uses_the_one_database(client, reviewer):
    from config.db_routing import PrimaryReplicaRouter, _replica_gate, replica_configured

    assert not replica_configured()
    token = _replica_gate.set(lambda: True)  # as inside a list page
    try:
        assert PrimaryReplicaRouter().db_for_read(Order) == "default"
    finally:
        _replica_gate.reset(token)
    client.force_login(reviewer)
    assert client.get(CHANGELIST).status_code == 200
    assert set(connections) == {"default"}
