"""Rule W3: bulk shipping by file (批量发货): CSV or XLSX, English or Chinese
headers, dry run vs real run through the single shipment's service, refused
rows with codes, a result file, the same file twice ships nothing twice."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orders.models import Order, OrderEvent
from orders.services import cancellation_request, order_ship
from orders.shipment_imports.models import ShipmentImport
from orders.webhooks.models import WebhookEvent
from orders.webhooks.services import webhook_endpoint_create
from tests.factories import order_placed

pytestmark = pytest.mark.django_db
T = datetime.fromisoformat("2026-03-02T10:00:00+08:00")


def csv_file(rows, headers=("order_no", "carrier", "tracking_no"), name="ship.csv"):
    text = "\n".join(",".join(r) for r in [headers, *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def xlsx_file(rows, headers=("订单号", "物流公司", "运单号")):
    book = openpyxl.Workbook()
    sheet = book.active
    for r in [headers, *rows]:
        sheet.append(list(r))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("发货.xlsx", out.getvalue())


def upload(client, shop, file, *, dry_run: bool, capture):
    with capture(execute=True):
        resp = client.post(
            "/api/v1/shipment-imports/", {"file": file, "shop": shop.pk, "dry_run": dry_run}, format="multipart"
        )
    assert resp.status_code == 202, resp.content
    return client.get(f"/api/v1/shipment-imports/{resp.json()['id']}/").json()


@pytest.fixture
def world(shop_a, shop_c, merchant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    webhook_endpoint_create(shop=shop_a, url="http://127.0.0.1:9351/", events=["order.shipped"], by=None, now=T)
    ok1, ok2 = order_placed(shop=shop_a, now=T), order_placed(shop=shop_a, now=T)
    theirs = order_placed(shop=shop_c, now=T)
    unpaid = order_placed(shop=shop_a, now=T, paid=False)
    held = order_placed(shop=shop_a, now=T)
    cancellation_request(order=held, reason="out_of_stock", by=merchant, now=T + timedelta(minutes=5))
    shipped = order_placed(shop=shop_a, now=T)
    order_ship(order=shipped, carrier="SF", tracking_no="SF-OLD", by=None, now=T)
    rows = [
        (ok1.order_no, "SF", "SF1001"),
        (ok2.order_no, "YTO", "YT2002"),
        (theirs.order_no, "SF", "SF3003"),
        ("NO-SUCH-ORDER", "SF", "SF4004"),
        (ok1.order_no, "SF", "SF1001"),
        (unpaid.order_no, "SF", "SF5005"),
        (held.order_no, "SF", "SF6006"),
        (shipped.order_no, "SF", "SF-NEW"),
        ("", "", ""),
    ]
    return {"ok": [ok1, ok2], "rows": rows}


def codes(client, imp) -> dict[int, str]:
    rows = client.get(f"/api/v1/shipment-imports/{imp['id']}/rows/").json()["results"]
    return {r["row"]: r["code"] for r in rows}


EXPECTED_REFUSALS = {
    4: "not_found",  # another shop's order: exactly like a missing one
    5: "not_found",
    6: "duplicate_in_file",
    7: "not_shippable",
    8: "cancellation_pending",
    9: "already_shipped",
}


def test_w3_dry_run_reports_and_ships_nothing_then_the_real_run_ships(
    api, merchant, world, django_capture_on_commit_callbacks
):
    """The dry run reports per row what would happen and changes nothing (no
    order shipped, no event, no push); the real run ships the valid rows
    through order_ship (event and push per order) and refuses the same rows."""
    client = api(merchant)
    events_before = OrderEvent.objects.filter(kind="shipped").count()
    pushes_before = WebhookEvent.objects.count()
    dry = upload(
        client, world["ok"][0].shop, csv_file(world["rows"]), dry_run=True, capture=django_capture_on_commit_callbacks
    )
    assert dry["status"] == "done" and dry["dry_run"] is True
    assert (dry["total_rows"], dry["shipped"], dry["unchanged"], dry["refused"]) == (8, 2, 0, 6)
    assert codes(client, dry) == EXPECTED_REFUSALS
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in world["ok"]])} == {"awaiting_shipment"}
    assert OrderEvent.objects.filter(kind="shipped").count() == events_before
    assert WebhookEvent.objects.count() == pushes_before

    real = upload(
        client, world["ok"][0].shop, csv_file(world["rows"]), dry_run=False, capture=django_capture_on_commit_callbacks
    )
    assert (real["shipped"], real["unchanged"], real["refused"]) == (2, 0, 6)
    assert codes(client, real) == EXPECTED_REFUSALS
    ok1 = Order.objects.get(pk=world["ok"][0].pk)
    assert (ok1.status, ok1.carrier, ok1.tracking_no) == ("shipped", "SF", "SF1001")
    assert OrderEvent.objects.filter(kind="shipped").count() == events_before + 2
    assert WebhookEvent.objects.filter(type="order.shipped").count() == pushes_before + 2
    result = client.get(real["result_url"])
    assert result.status_code == 200
    text = b"".join(result.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "row,order_no,carrier,tracking_no,result,detail"
    assert f"2,{ok1.order_no},SF,SF1001,shipped," in text and "not_found" in text


def test_w3_the_same_file_twice_ships_nothing_twice(api, merchant, world, django_capture_on_commit_callbacks):
    """A second upload of the same file: the rows already shipped as the file
    says are ``unchanged``; no order gets a second shipment or event."""
    client = api(merchant)
    shop = world["ok"][0].shop
    upload(client, shop, csv_file(world["rows"]), dry_run=False, capture=django_capture_on_commit_callbacks)
    events = OrderEvent.objects.filter(kind="shipped").count()
    again = upload(client, shop, csv_file(world["rows"]), dry_run=False, capture=django_capture_on_commit_callbacks)
    assert (again["shipped"], again["unchanged"], again["refused"]) == (0, 2, 6)
    assert OrderEvent.objects.filter(kind="shipped").count() == events


def test_w3_xlsx_with_chinese_headers(api, merchant, shop_a, django_capture_on_commit_callbacks):
    """An XLSX with 订单号 / 物流公司 / 运单号 (a numeric tracking cell too) ships."""
    orders = [order_placed(shop=shop_a, now=T) for _ in range(3)]
    rows = [(o.order_no, "顺丰", 7700 + i) for i, o in enumerate(orders)]
    imp = upload(api(merchant), shop_a, xlsx_file(rows), dry_run=False, capture=django_capture_on_commit_callbacks)
    assert (imp["shipped"], imp["refused"]) == (3, 0)
    assert Order.objects.get(pk=orders[0].pk).tracking_no == "7700"


def test_w3_bad_files_and_too_many_rows_are_400(api, merchant, shop_a, settings):
    client = api(merchant)

    def post(file):
        return client.post(
            "/api/v1/shipment-imports/", {"file": file, "shop": shop_a.pk, "dry_run": "true"}, format="multipart"
        )

    settings.SHIPMENT_IMPORT_MAX_ROWS = 10_000
    big = csv_file([(f"NO{i}", "SF", f"T{i}") for i in range(10_001)])
    resp = post(big)
    assert resp.status_code == 400 and resp.json()["code"] == "too_many_rows"
    assert resp.json()["row_count"] == 10_001
    assert post(csv_file([("A", "SF", "1")], headers=("order", "carrier", "tracking_no"))).json()["code"] == "bad_file"
    assert post(SimpleUploadedFile("x.txt", b"hello")).json()["code"] == "bad_file"
    assert post(SimpleUploadedFile("x.xlsx", b"not a zip")).json()["code"] == "bad_file"
    assert post(SimpleUploadedFile("x.csv", "订单号\n".encode("gbk"))).json()["code"] == "bad_file"
    assert not ShipmentImport.objects.exists()


def test_w3_imports_are_scoped_to_the_shop(
    api, merchant, merchant2, shop_a, shop_c, django_capture_on_commit_callbacks
):
    """Another merchant cannot see an import (404) nor upload for a shop not theirs (404)."""
    order = order_placed(shop=shop_a, now=T)
    imp = upload(
        api(merchant),
        shop_a,
        csv_file([(order.order_no, "SF", "SF1")]),
        dry_run=True,
        capture=django_capture_on_commit_callbacks,
    )
    other = api(merchant2)
    assert other.get(f"/api/v1/shipment-imports/{imp['id']}/").status_code == 404
    assert other.get(f"/api/v1/shipment-imports/{imp['id']}/rows/").status_code == 404
    assert other.get(f"/api/v1/shipment-imports/{imp['id']}/result/").status_code == 404
    assert other.get("/api/v1/shipment-imports/").json()["results"] == []
    resp = other.post(
        "/api/v1/shipment-imports/", {"file": csv_file([("X", "SF", "1")]), "shop": shop_a.pk}, format="multipart"
    )
    assert resp.status_code == 404


def test_w3_reviewer_uploads_in_the_admin_on_a_merchants_behalf(
    client, reviewer, shop_a, django_capture_on_commit_callbacks
):
    order = order_placed(shop=shop_a, now=T)
    client.force_login(reviewer)
    assert client.get("/admin/orders/shipmentimport/upload/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            "/admin/orders/shipmentimport/upload/",
            {"shop": shop_a.pk, "file": csv_file([(order.order_no, "SF", "SF9")]), "dry_run": ""},
        )
    assert resp.status_code == 302
    imp = ShipmentImport.objects.get()
    assert (imp.status, imp.shipped, imp.created_by_id) == ("done", 1, reviewer.pk)
    assert Order.objects.get(pk=order.pk).status == "shipped"
    assert client.get(f"/admin/orders/shipmentimport/{imp.pk}/change/").status_code == 200
