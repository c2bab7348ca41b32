"""Issue 15: a CSV "for Excel" (``Export.excel_text``) writes all-digit order,
ticket and tracking numbers as ="…" so Excel shows 2026…(19 digits) instead
of 1.9E+18; the plain CSV stays plain data. The CSV-injection guard and the
Excel wrapping never both apply, and COPY writes the Python writer's bytes."""

from __future__ import annotations

import pytest

from orders.exports.models import Export
from orders.exports.orders_kind import ORDERS
from orders.exports.writers import write_csv_copy, write_csv_python
from orders.models import Order
from tests.conftest import phone_verified
from tests.factories import order_placed

from .conftest import T0
from .test_admin import admin_export, order_admin  # noqa: F401  (fixture)
from .test_api import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(shop_a):
    """Three orders: a digit tracking number, a formula typed as tracking
    number (the guard's case), an alphanumeric one."""
    orders = [order_placed(shop=shop_a, placed_at=T0, now=T0) for _ in range(3)]
    for order, tracking in zip(orders, ["773012345678901", "=HYPERLINK(1)", "SF1234567890"], strict=True):
        Order.objects.filter(pk=order.pk).update(tracking_no=tracking)
    return orders


def _lines(path) -> list[str]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese headers
    return data.decode("utf-8-sig").splitlines()


def _write(writer, user, tmp_path, name, *, excel_text):
    resource = ORDERS.resource_class(user=user, excel_text=excel_text)
    qs = ORDERS.scoped_queryset(user).order_by("id")
    writer(resource, qs, tmp_path / name)
    return tmp_path / name


def test_w15_csv_for_excel_wraps_digit_identifiers_python_path(tmp_path, merchant, tracked):
    plain = _lines(_write(write_csv_python, merchant, tmp_path, "plain.csv", excel_text=False))
    excel = _lines(_write(write_csv_python, merchant, tmp_path, "excel.csv", excel_text=True))
    first, guarded, alnum = tracked
    # plain data by default: the bare 19 digits
    assert plain[1].startswith(first.order_no + ",") and plain[1].endswith(",773012345678901,0")
    # for Excel: ="…" (quoted CSV field, its quotes doubled), digits only
    assert excel[1].startswith(f'"=""{first.order_no}""",')
    assert excel[1].endswith(',"=""773012345678901""",0')
    # the guard's apostrophe, never a formula; an alphanumeric number as it is
    assert excel[2].endswith(",'=HYPERLINK(1),0") and plain[2].endswith(",'=HYPERLINK(1),0")
    assert excel[3].endswith(",SF1234567890,0")
    assert len(first.order_no) == 19


@pytest.mark.postgres
def test_w15_csv_for_excel_copy_and_python_paths_agree(tmp_path, merchant, tracked):
    for excel_text in (False, True):
        copied = _write(write_csv_copy, merchant, tmp_path, f"copy-{excel_text}.csv", excel_text=excel_text)
        python = _write(write_csv_python, merchant, tmp_path, f"py-{excel_text}.csv", excel_text=excel_text)
        assert copied.read_bytes() == python.read_bytes(), excel_text
    assert f'"=""{tracked[0].order_no}"""'.encode() in (tmp_path / "copy-True.csv").read_bytes()


def test_w15_api_export_for_excel_is_recorded_for_csv_only(api, merchant, tracked):
    client = phone_verified(api(merchant), merchant)
    response = client.post("/api/v1/exports/", {"kind": "orders", "format": "csv", "excel_text": True}, format="json")
    assert response.status_code == 202 and response.json()["excel_text"] is True
    assert Export.objects.get().excel_text is True
    Export.objects.all().delete()
    response = client.post("/api/v1/exports/", {"kind": "orders", "format": "xlsx", "excel_text": True}, format="json")
    assert response.status_code == 202 and response.json()["excel_text"] is False  # XLSX cells are text already
    Export.objects.all().delete()
    assert post(client).json()["excel_text"] is False
    bad = client.post("/api/v1/exports/", {"kind": "orders", "format": "csv", "excel_text": "maybe"}, format="json")
    assert bad.status_code == 400 and "excel_text" in bad.json()["errors"]


@pytest.mark.usefixtures("order_admin")
def test_w15_admin_csv_for_excel_download(client, reviewer, tracked, django_capture_on_commit_callbacks):
    client.force_login(reviewer)
    phone_verified(client, reviewer, via="session")
    form = client.get("/admin/orders/order/export/").content.decode()
    assert "csv for Excel (numbers as text)" in form
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_export(client, "", "2").status_code == 302
    export = Export.objects.get()
    assert (export.format, export.excel_text, export.status) == ("csv", True, "done")
    body = b"".join(client.get(f"/admin/orders/export/{export.pk}/download/").streaming_content)
    for order in tracked:
        assert f'"=""{order.order_no}"""'.encode() in body
