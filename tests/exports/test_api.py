"""Exports through the API: rules X1, X2, X3 and their isolation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models.functions import Now

from orders.exports import services
from orders.exports.models import Export
from orders.exports.tasks import run_export
from tests.conftest import phone_verified

from .conftest import T0, read_file

URL = "/api/v1/exports/"


def post(client, fmt="csv", filters=None, kind="orders", **headers):
    return client.post(URL, {"kind": kind, "format": fmt, "filters": filters or {}}, format="json", **headers)


def start(api, user, django_capture_on_commit_callbacks, **kwargs):
    client = phone_verified(api(user), user)  # K1: downloads need a verified login
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, **kwargs)
    return client, response


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_x3_export_runs_in_background_and_downloads(
    api, merchant, orders_world, django_capture_on_commit_callbacks, fmt
):
    """X3: POST answers 202 with a queued record; the job writes the file (header
    and rows, times in Asia/Shanghai, phone masked, newest first); the record
    shows status done, rows, format, created/finished; its creator downloads it."""
    # given merchant's orders in shops A and B (and merchant2's in C)
    # when merchant exports all its orders
    client, response = start(api, merchant, django_capture_on_commit_callbacks, fmt=fmt)
    # then
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued" and response.json()["row_count"] == 3
    detail = client.get(f"{URL}{response.json()['id']}/").json()
    assert detail["status"] == "done" and detail["rows_written"] == 3 and detail["format"] == fmt
    assert detail["finished_at"] and detail["size_bytes"] > 0 and detail["error"] == ""
    export = Export.objects.get()
    assert export.filters == {} and export.duration_ms is not None
    download = client.get(f"{URL}{export.pk}/download/")
    assert download.status_code == 200
    rows = read_file(download, fmt)
    assert rows[0][:6] == ["Order number", "Shop", "Status", "Placed at", "Paid at", "Ship by"]
    assert "Buyer phone" in rows[0] and "Products × quantity" in rows[0]
    body = rows[1:]
    w = orders_world
    assert [r[0] for r in body] == [w["b1"].order_no, w["a2"].order_no, w["a1"].order_no]
    a1 = dict(zip(rows[0], body[2], strict=True))
    assert a1["Shop"] == "A 店" and a1["Status"] == "Awaiting shipment"
    assert a1["Buyer phone"] == "138****2222"
    assert str(a1["Violations"]) == "0"
    placed = a1["Placed at"]
    assert placed == (T0.replace(tzinfo=None) if fmt == "xlsx" else "2026-03-02 10:00:00")
    assert a1["Products × quantity"].endswith("× 1")
    a2 = dict(zip(rows[0], body[1], strict=True))
    assert a2["Status"] == "Pending payment" and a2["Paid at"] in ("", None)


@pytest.mark.django_db
def test_x3_full_phone_only_with_contact_permission(api, merchant, orders_world, django_capture_on_commit_callbacks):
    """O5 in exports: a user with orders.view_buyer_contact gets the full phone."""
    merchant.user_permissions.add(Permission.objects.get(codename="view_buyer_contact"))
    client, response = start(
        api,
        merchant,
        django_capture_on_commit_callbacks,
    )
    rows = read_file(client.get(f"{URL}{response.json()['id']}/download/"), "csv")
    phones = {r[rows[0].index("Buyer phone")] for r in rows[1:]}
    assert phones == {"13811112222", "13833334444", "13855556666"}


@pytest.mark.django_db
def test_x3_filters_are_applied_and_stored(api, merchant, orders_world, shop_a, django_capture_on_commit_callbacks):
    """X3/O2: the job keeps the filters (not primary keys) and applies them with the list's FilterSet."""
    filters = {"shop": shop_a.pk, "status": "awaiting_shipment"}
    client, response = start(api, merchant, django_capture_on_commit_callbacks, filters=filters)
    assert response.status_code == 202
    export = Export.objects.get()
    assert export.filters == filters and export.row_count == 1
    rows = read_file(client.get(f"{URL}{export.pk}/download/"), "csv")
    assert [r[0] for r in rows[1:]] == [orders_world["a1"].order_no]


@pytest.mark.django_db
def test_x1_more_than_max_rows_refused_with_count(api, merchant, orders_world, settings):
    """X1: a selection above EXPORT_MAX_ROWS is refused (400 too_many_rows with the count); no job."""
    settings.PLATFORM = {**settings.PLATFORM, "EXPORT_MAX_ROWS": 2}
    response = post(api(merchant))
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_rows" and response.json()["row_count"] == 3
    assert not Export.objects.exists()
    # narrowing the filters is accepted, and the refusal did not use the minute
    assert post(api(merchant), filters={"status": "awaiting_shipment"}).status_code == 202


def age_exports(user, seconds: int) -> None:
    """Make the user's exports ``seconds`` old on the database's clock."""
    Export.objects.filter(created_by=user).update(created_at=Now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_x2_second_export_within_a_minute_refused(api, merchant, orders_world):
    """X2: a second export by the same user within 60 s → 429 export_rate_limited
    with Retry-After (seconds left), at 59 s still refused; at exactly 60 s and
    after, accepted. The minute is measured on the database's clock."""
    client = api(merchant)
    assert post(client).status_code == 202
    age_exports(merchant, 20)
    refused = post(client, fmt="xlsx")
    assert refused.status_code == 429
    assert refused.json()["code"] == "export_rate_limited"
    assert refused["Retry-After"] == "40" and refused.json()["retry_after"] == 40
    age_exports(merchant, 59)
    last_second = post(client, fmt="xlsx")
    assert last_second.status_code == 429 and last_second.json()["retry_after"] == 1
    age_exports(merchant, 60)
    assert post(client, fmt="xlsx").status_code == 202
    assert Export.objects.count() == 2
    age_exports(merchant, 61)
    assert post(client).status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize("skew", [timedelta(minutes=2), timedelta(minutes=-2), timedelta(hours=-9)])
def test_x2_minute_uses_the_database_clock_not_the_web_hosts(api, merchant, orders_world, skew):
    """X2 across web hosts whose clocks disagree: a second export sent through
    a host whose clock runs 2 min ahead (or behind, or in another zone's
    wall time) right after the first is still refused; the recorded
    ``created_at`` is the database's time, not either host's."""
    client = api(merchant)
    real = datetime.now(UTC)
    with time_machine.travel(real, tick=True):  # host 1, on time
        assert post(client).status_code == 202
    with time_machine.travel(real + skew, tick=True):  # host 2, skewed
        refused = post(client, fmt="xlsx")
    assert refused.status_code == 429 and refused.json()["code"] == "export_rate_limited"
    assert 1 <= refused.json()["retry_after"] <= 60
    created = Export.objects.get().created_at
    assert abs(created - real) < timedelta(seconds=30)  # the database's clock, not ``real + skew``


@pytest.mark.django_db
def test_x2_limit_is_per_user(api, merchant, merchant2, orders_world):
    """X2: another user's export does not use my minute."""
    assert post(api(merchant)).status_code == 202
    assert post(api(merchant2)).status_code == 202


@pytest.mark.django_db
def test_x2_failed_export_says_why_and_frees_the_minute(
    api, merchant, orders_world, monkeypatch, django_capture_on_commit_callbacks
):
    """X2/X3: a job that fails records the error and does not count against the minute."""

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setitem(services.WRITERS, "csv", boom)
    client, response = start(api, merchant, django_capture_on_commit_callbacks)
    detail = client.get(f"{URL}{response.json()['id']}/").json()
    assert detail["status"] == "failed" and "disk full" in detail["error"]
    assert client.get(f"{URL}{response.json()['id']}/download/").status_code == 409
    assert post(client).status_code == 202


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_x2_concurrent_double_request_gives_one_202_and_one_429(merchant, orders_world):
    """X2 under a double click: two simultaneous requests by one user, on two
    database connections → exactly one 202 and one 429."""
    from rest_framework.test import APIClient

    barrier = threading.Barrier(2)
    codes: list[int] = []

    def request():
        client = APIClient()
        client.force_authenticate(merchant)
        barrier.wait()
        try:
            codes.append(post(client).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [202, 429]
    assert Export.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [
        {"shop": 987654},  # unknown shop
        {"placed_after": "2026-13-45"},  # malformed date
        {"status": "teleported"},  # unknown status
        {"colour": "red"},  # unknown filter
        {"status": ["shipped"]},  # not a single value
    ],
)
def test_bad_filters_refused_without_job_or_minute(api, merchant, orders_world, filters):
    """Bad filters → 400 in the error shape, no job created, the minute not consumed."""
    client = api(merchant)
    response = post(client, filters=filters)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["errors"]
    assert not Export.objects.exists()
    assert post(client).status_code == 202


@pytest.mark.django_db
def test_bad_kind_or_format_refused(api, merchant, orders_world):
    client = api(merchant)
    assert post(client, kind="invoices").status_code == 400
    assert post(client, fmt="pdf").status_code == 400
    assert not Export.objects.exists()


@pytest.mark.django_db
def test_isolation_merchant_sees_only_its_shops(
    api, merchant, merchant2, orders_world, shop_c, django_capture_on_commit_callbacks
):
    """Isolation: filtering on another merchant's shop is refused like an unknown
    one; merchant2's export holds only shop C; merchant cannot read it (404)."""
    assert post(api(merchant), filters={"shop": shop_c.pk}).status_code == 400
    client2, response = start(api, merchant2, django_capture_on_commit_callbacks)
    export_id = response.json()["id"]
    rows = read_file(client2.get(f"{URL}{export_id}/download/"), "csv")
    assert [r[0] for r in rows[1:]] == [orders_world["c1"].order_no]
    other = api(merchant)
    assert other.get(f"{URL}{export_id}/").status_code == 404
    assert other.get(f"{URL}{export_id}/download/").status_code == 404
    assert other.get(f"{URL}{export_id}/download/").json()["code"] == "not_found"
    assert other.get(URL).json()["results"] == []
    assert [e["id"] for e in client2.get(URL).json()["results"]] == [export_id]


@pytest.mark.django_db
def test_idempotency_key_returns_the_first_export(api, merchant, orders_world):
    """A retried POST with the same Idempotency-Key returns the first export, not a 429."""
    client = api(merchant)
    first = post(client, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert Export.objects.count() == 1
    assert post(client, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 429


@pytest.mark.django_db
def test_x3_broker_down_job_recorded_then_swept(
    api, merchant, orders_world, monkeypatch, django_capture_on_commit_callbacks
):
    """Broker down: the request still answers 202 with the job recorded (queued);
    the sweeper re-sends jobs left queued and they run."""
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as m:
        m.setattr(run_export, "apply_async", down)
        client, response = start(api, merchant, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    export = Export.objects.get()
    assert export.status == "queued"
    # a sweep before the job is stale leaves it alone
    assert services.exports_requeue_stale(now=export.enqueued_at + timedelta(seconds=30))["requeued"] == 0
    summary = services.exports_requeue_stale(now=export.enqueued_at + timedelta(minutes=3))
    assert summary["requeued"] == 1
    export.refresh_from_db()
    assert export.status == "done" and export.rows_written == 3 and export.enqueue_attempts == 2


@pytest.mark.django_db
def test_x3_duplicate_message_runs_the_job_once(api, merchant, orders_world, django_capture_on_commit_callbacks):
    """A re-delivered message for a finished job changes nothing."""
    start(api, merchant, django_capture_on_commit_callbacks)
    export = Export.objects.get()
    assert run_export(export.pk)["skipped"] is True


@pytest.mark.django_db
def test_x3_files_and_records_expire_after_7_days(api, merchant, orders_world, django_capture_on_commit_callbacks):
    """X3: the beat job deletes files older than 7 days and marks the records expired."""
    client, response = start(api, merchant, django_capture_on_commit_callbacks)
    export = Export.objects.get()
    path = services.export_file_path(export)
    assert path.exists()
    assert services.exports_expire(now=export.created_at + timedelta(days=6))["expired"] == 0
    assert services.exports_expire(now=export.created_at + timedelta(days=7, seconds=1))["expired"] == 1
    export.refresh_from_db()
    assert export.status == "expired" and not path.exists()
    assert client.get(f"{URL}{export.pk}/download/").status_code == 409
    assert services.exports_expire(now=export.created_at + timedelta(days=15))["purged"] == 1
    assert not Export.objects.exists()
