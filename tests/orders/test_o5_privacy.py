"""O5 at rest (issue 14 point 4): one number whatever its spelling, no clear
phone in export records, logs or stored errors, and every full phone shown to
a person audited (who, when, which order), read-only in the admin."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from orders import privacy
from orders.exports import services as export_services
from orders.exports.models import Export
from orders.models import ContactReveal
from orders.redaction import RedactPII
from tests.conftest import phone_verified
from tests.factories import UserFactory, order_placed

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
SPELLINGS = ["+86 138 1234 5678", "+8613812345678", "(+86)138-1234-5678", "008613812345678", "138 1234 5678"]
ORDERS = "/admin/orders/order/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _grant_contact(user):
    user.user_permissions.add(Permission.objects.get(codename="view_buyer_contact"))
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


def _no_clear_phone(value) -> bool:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return PHONE not in text and "1234 5678" not in text and "8613812345678" not in text


# --- one number, one form ------------------------------------------------------------
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_o5_every_spelling_is_one_number_for_search_and_masking(api, merchant, shop_a, shop_b, spelling):
    """Given an order taken with the phone spelled ``+86 138 1234 5678`` and one
    with another number, when the list is searched by any spelling of it, then
    exactly that order is found, and its phone is masked as ``138****5678``."""
    order = order_placed(shop=shop_a, phone="+86 138 1234 5678")
    order_placed(shop=shop_b, phone="13900001111")
    assert privacy.normalize_phone(spelling) == PHONE
    assert privacy.mask_phone(spelling) == "138****5678"
    assert order.buyer_phone_masked == "138****5678"
    assert order.buyer_phone_hash == privacy.phone_hash(PHONE)
    found = api(merchant).get("/api/v1/orders/", {"phone": spelling})
    assert found.status_code == 200, found.json()
    assert [o["order_no"] for o in found.json()["results"]] == [order.order_no]
    assert found.json()["results"][0]["buyer_phone"] == "138****5678"


def test_o5_admin_search_finds_any_spelling(client, support, shop_a):
    order = order_placed(shop=shop_a, phone=PHONE)
    client.force_login(support)
    for spelling in [s for s in SPELLINGS if not s.startswith("00")]:  # 15+ digits: an order number
        response = client.get(ORDERS, {"q": spelling})
        assert [o.pk for o in response.context["cl"].result_list] == [order.pk], spelling


def test_o5_another_countrys_number_keeps_its_country():
    assert privacy.normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert privacy.phone_hash("+44 20 7946 0958") != privacy.phone_hash("2079460958")


# --- export records --------------------------------------------------------------------
def test_o5_api_export_record_keeps_the_keyed_hash_not_the_phone(
    api, merchant, shop_a, shop_b, django_capture_on_commit_callbacks
):
    """Given two orders, when a merchant exports the ones of phone
    ``+86 138 1234 5678``, then the job record holds the keyed hash and the
    masked form, never the number, and the file holds exactly that order."""
    mine = order_placed(shop=shop_a, phone=PHONE)
    order_placed(shop=shop_b, phone="13900001111")
    client = phone_verified(api(merchant), merchant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/exports/",
            {"kind": "orders", "format": "csv", "filters": {"phone": "+86 138 1234 5678"}},
            format="json",
        )
    assert response.status_code == 202, response.json()
    export = Export.objects.get()
    assert _no_clear_phone(export.filters), export.filters
    assert export.filters["phone__hmac"] == privacy.phone_hash(PHONE)
    assert export.filters["phone__masked"] == "138****5678"
    assert export.status == "done" and export.row_count == 1 and export.rows_written == 1
    body = b"".join(client.get(f"/api/v1/exports/{export.pk}/download/").streaming_content).decode("utf-8-sig")
    assert mine.order_no in body and body.count("\n") == 2


def test_o5_admin_export_record_and_page_never_hold_a_full_phone(
    client, reviewer, shop_a, shop_b, django_capture_on_commit_callbacks
):
    """Given a reviewer's change list searched by a phone, when they export it,
    then the record keeps the hash (not ``q=13812345678``), the job exports that
    order only, and the exports page (list and record) shows no full phone."""
    mine = order_placed(shop=shop_a, phone=PHONE)
    order_placed(shop=shop_b, phone="13900001111")
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{ORDERS}export/?q=%2B86+138+1234+5678&status__exact=awaiting_shipment", {"format": "0"}
        )
    assert response.status_code == 302, response.content[:500]
    export = Export.objects.get()
    assert _no_clear_phone(export.filters), export.filters
    assert export.filters["admin_query"] == "status__exact=awaiting_shipment"
    assert export.filters["phone__hmac"] == privacy.phone_hash(PHONE)
    assert export.status == "done" and export.rows_written == 1, export.error
    for url in ("/admin/orders/export/", f"/admin/orders/export/{export.pk}/change/"):
        page = client.get(url)
        assert page.status_code == 200
        assert _no_clear_phone(page.content.decode()), url
    phone_verified(client, reviewer, via="session")
    body = b"".join(client.get(f"/admin/orders/export/{export.pk}/download/").streaming_content).decode("utf-8-sig")
    assert mine.order_no in body and body.count("\n") == 2


def test_o5_old_export_records_get_their_phones_hashed(merchant, reviewer):
    """The data migration rewrites records made before: ``filters.phone`` and
    a phone ``q=`` in an admin query become the keyed hash."""
    from importlib import import_module

    from django.apps import apps

    api_export = Export.objects.create(kind="orders", format="csv", created_by=merchant, filters={"phone": PHONE})
    admin_export = Export.objects.create(
        kind="orders", format="csv", source="admin", created_by=reviewer, filters={"admin_query": f"q={PHONE}&o=1"}
    )
    migration = import_module("orders.migrations.0014_contact_reveal")
    migration.hash_stored_phones(apps, None)
    for export in (api_export, admin_export):
        export.refresh_from_db()
        assert _no_clear_phone(export.filters) and export.filters["phone__hmac"] == privacy.phone_hash(PHONE)
    assert admin_export.filters["admin_query"] == "o=1"


def test_o5_a_failed_exports_error_holds_no_phone(merchant, monkeypatch):
    export = Export.objects.create(kind="orders", format="csv", created_by=merchant, filters={})

    def boom(*args, **kwargs):
        raise ValueError(f"could not read row for buyer {PHONE}")

    monkeypatch.setitem(export_services.WRITERS, "csv", boom)
    from django.utils import timezone

    result = export_services.export_run(export_id=export.pk, now=timezone.now())
    export.refresh_from_db()
    assert export.status == "failed" and "138****5678" in export.error
    assert _no_clear_phone(export.error) and _no_clear_phone(result["failed"])


# --- logs ------------------------------------------------------------------------------------
class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(RedactPII())
        self.setFormatter(logging.Formatter("%(message)s"))
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines():
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_o5_every_log_handler_redacts(settings):
    """Every handler the project configures carries the redacting filter."""
    handlers = settings.LOGGING["handlers"]
    assert handlers and all("redact_pii" in h.get("filters", []) for h in handlers.values())
    assert settings.MIDDLEWARE[0] == "orders.redaction.RequestLogMiddleware"


def test_o5_request_log_redacts_phone_and_q(api, client, merchant, support, shop_a, log_lines):
    """Given requests with ``?phone=`` and ``?q=``, then the access log line has
    the path, status and redacted query, never the number."""
    order_placed(shop=shop_a, phone=PHONE)
    assert api(merchant).get("/api/v1/orders/?phone=%2B86+138+1234+5678&status=awaiting_shipment").status_code == 200
    client.force_login(support)
    assert client.get(f"{ORDERS}?q={PHONE}").status_code == 200
    access = [line for line in log_lines if line.startswith("GET ")]
    assert any(
        line.startswith("GET /api/v1/orders/?phone=[redacted]&status=awaiting_shipment 200") for line in access
    ), access
    assert any(line.startswith(f"GET {ORDERS}?q=[redacted] 200") for line in access), access
    assert all(_no_clear_phone(line) and "%2B86" not in line for line in log_lines)


def test_o5_log_messages_and_tracebacks_are_redacted(log_lines):
    logger = logging.getLogger("orders.test")
    logger.warning("lookup of %s failed for %s", PHONE, {"phone": "+86 139 0000 1111"})
    try:
        raise ValueError(f"bad buyer {PHONE}")
    except ValueError:
        logger.exception("intake refused 2026030212345678901")
    text = "\n".join(log_lines)
    assert _no_clear_phone(text) and "13900001111" not in text
    assert "138****5678" in text and "2026030212345678901" in text  # order numbers stay readable


# --- audit of every full phone shown ----------------------------------------------------------------
def test_o5_api_full_phone_is_audited_per_order_masked_is_not(api, merchant, shop_a, shop_b):
    """Given a merchant without the permission, then reading orders writes no
    audit row; once they hold it, each order shown in full writes one row
    (who, when, which order)."""
    a = order_placed(shop=shop_a, phone=PHONE)
    b = order_placed(shop=shop_b, phone="13900001111")
    assert api(merchant).get("/api/v1/orders/").status_code == 200
    assert not ContactReveal.objects.exists()
    merchant = _grant_contact(merchant)
    listing = api(merchant).get("/api/v1/orders/").json()["results"]
    assert {o["buyer_phone"] for o in listing} == {PHONE, "13900001111"}
    assert api(merchant).get(f"/api/v1/orders/{a.order_no}/").json()["buyer_phone"] == PHONE
    rows = list(ContactReveal.objects.order_by("id").values_list("user", "order", "channel"))
    assert sorted(rows[:2]) == sorted([(merchant.pk, a.pk, "api"), (merchant.pk, b.pk, "api")])
    assert rows[2:] == [(merchant.pk, a.pk, "api")]
    assert all(r.revealed_at for r in ContactReveal.objects.all())


def test_o5_admin_full_phone_is_audited_per_order(client, reviewer, support, shop_a, shop_b):
    """Reviewers (who see full phones) leave one row per order a page showed;
    support staff (masked) none."""
    a = order_placed(shop=shop_a, phone=PHONE)
    b = order_placed(shop=shop_b, phone="13900001111")
    client.force_login(support)
    client.get(ORDERS)
    client.get(f"{ORDERS}{a.pk}/change/")
    assert not ContactReveal.objects.exists()
    client.force_login(reviewer)
    assert PHONE in client.get(ORDERS).content.decode()
    assert set(ContactReveal.objects.values_list("user", "order", "channel")) == {
        (reviewer.pk, a.pk, "admin"),
        (reviewer.pk, b.pk, "admin"),
    }
    ContactReveal.objects.all()._raw_delete("default")
    assert PHONE in client.get(f"{ORDERS}{a.pk}/change/").content.decode()
    assert list(ContactReveal.objects.values_list("user", "order", "channel")) == [(reviewer.pk, a.pk, "admin")]


def test_o5_downloading_an_export_with_full_phones_is_audited(
    api, merchant, shop_a, shop_b, django_capture_on_commit_callbacks
):
    order_placed(shop=shop_a, phone=PHONE)
    order_placed(shop=shop_b, phone="13900001111")
    client = phone_verified(api(merchant), merchant)
    with django_capture_on_commit_callbacks(execute=True):
        masked = client.post("/api/v1/exports/", {"kind": "orders", "format": "csv"}, format="json").json()
    assert client.get(f"/api/v1/exports/{masked['id']}/download/").status_code == 200
    assert not ContactReveal.objects.exists()
    merchant = _grant_contact(merchant)
    client = phone_verified(api(merchant), merchant)
    Export.objects.update(created_at=Export.objects.get().created_at.replace(year=2000))  # X2: a minute later
    with django_capture_on_commit_callbacks(execute=True):
        full = client.post("/api/v1/exports/", {"kind": "orders", "format": "csv"}, format="json").json()
    body = b"".join(client.get(f"/api/v1/exports/{full['id']}/download/").streaming_content).decode("utf-8-sig")
    assert PHONE in body
    reveal = ContactReveal.objects.get()
    assert (reveal.user_id, reveal.channel, reveal.export_id, reveal.rows, reveal.order_id) == (
        merchant.pk,
        "export",
        full["id"],
        2,
        None,
    )


def test_o5_reveal_audit_is_readable_in_the_admin_and_never_editable(client, reviewer, shop_a):
    order = order_placed(shop=shop_a, phone=PHONE)
    privacy.record_reveal(user=reviewer, order=order, channel="api")
    reveal = ContactReveal.objects.get()
    client.force_login(reviewer)
    listing = client.get("/admin/orders/contactreveal/")
    assert listing.status_code == 200 and order.order_no in listing.content.decode()
    assert client.get(f"/admin/orders/contactreveal/{reveal.pk}/change/").status_code == 200
    assert client.post(f"/admin/orders/contactreveal/{reveal.pk}/change/", {"rows": 9}).status_code == 403
    assert client.post(f"/admin/orders/contactreveal/{reveal.pk}/delete/", {"post": "yes"}).status_code == 403
    reveal.refresh_from_db()
    assert reveal.rows == 1
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = root
    model_admin = admin.site._registry[ContactReveal]
    assert not any(
        (model_admin.has_add_permission(request), model_admin.has_change_permission(request, reveal)),
    )
    assert not model_admin.has_delete_permission(request, reveal)
