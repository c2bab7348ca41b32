"""X3 (issue 13): an export's 7 days hold at the moment of the download, not
when the hourly expiry job next runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from orders.exports import services
from orders.exports.models import Export
from orders.models import Order
from tests.conftest import phone_verified

from .conftest import read_file

URL = "/api/v1/exports/"
SECOND = timedelta(seconds=1)

pytestmark = pytest.mark.django_db


def made(api, user, django_capture_on_commit_callbacks) -> Export:
    with django_capture_on_commit_callbacks(execute=True):
        response = api(user).post(URL, {"kind": "orders", "format": "csv", "filters": {}}, format="json")
    assert response.status_code == 202, response.content
    export = Export.objects.get(pk=response.json()["id"])
    assert export.status == "done"
    return export


def download_at(api, user, export, moment):
    """Verify the login (K1, valid 10 minutes) and download, at ``moment``."""
    with time_machine.travel(moment, tick=False):
        client = phone_verified(api(user), user)
        return client.get(f"{URL}{export.pk}/"), client.get(f"{URL}{export.pk}/download/")


def test_x3_download_at_the_last_instant_then_refused_one_second_later(
    api, merchant, orders_world, django_capture_on_commit_callbacks
):
    """At created + 7 days the file still downloads (the job's own boundary:
    it expires files older than that); one second later the download is
    refused with ``export_expired`` although the hourly job has not run, the
    record reads ``expired`` with no link, and the file is gone."""
    export = made(api, merchant, django_capture_on_commit_callbacks)
    path = services.export_file_path(export)
    last = export.created_at + timedelta(days=7)

    detail, ok = download_at(api, merchant, export, last)
    assert ok.status_code == 200 and read_file(ok, "csv")[0][0] == "Order number"
    assert detail.json()["status"] == "done" and detail.json()["download_url"]
    assert services.exports_expire(now=last)["expired"] == 0  # the job agrees on the instant

    detail, late = download_at(api, merchant, export, last + SECOND)
    assert detail.json()["status"] == "expired" and detail.json()["download_url"] is None
    assert late.status_code == 409 and late.json()["code"] == "export_expired", late.content
    export.refresh_from_db()
    assert export.status == "expired" and export.file == "" and not path.exists()
    # the job finds nothing left to expire
    assert services.exports_expire(now=last + timedelta(minutes=30))["expired"] == 0


def test_x3_admin_download_past_its_days_is_refused_with_a_message(client, reviewer, shop_a, orders_world):
    """The admin's download of a file past its 7 days (job not run) redirects
    to the exports page with the reason, never a 500 or the file."""
    kind = services.export_kind_get("orders")
    export = services.export_request(
        user=reviewer,
        kind=kind,
        fmt="csv",
        filters={},
        selection=Order.objects.all(),
        now=orders_world["a1"].placed_at,
        source=Export.Source.ADMIN,
    )
    services.export_run(export_id=export.pk, now=export.created_at)
    export.refresh_from_db()
    assert export.status == "done"
    client.force_login(reviewer)
    with time_machine.travel(export.created_at + timedelta(days=7, seconds=1), tick=False):
        phone_verified(client, reviewer, via="session")
        response = client.get(f"/admin/orders/export/{export.pk}/download/")
    assert response.status_code == 302 and response["Location"] == "/admin/orders/export/"
    export.refresh_from_db()
    assert export.status == "expired"
