"""K1: phone verification before an export file is handed over (API and
admin), and ``GET /api/v1/me/``."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from knox.models import AuthToken
from rest_framework.test import APIClient

from config import sms
from orders.exports.services import export_kind_get, export_request, export_run, export_selection
from orders.policy import PLATFORM_TZ
from orders.verification.models import LoginVerification, PhoneVerificationDevice, UserPhone
from orders.verification.services import user_phone_set
from tests.factories import order_placed

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=PLATFORM_TZ)
PHONE = "13912345678"
SEND, VERIFY = "/api/v1/auth/verify/send/", "/api/v1/auth/verify/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_outbox(settings, tmp_path):
    settings.SMS_BACKEND = "config.sms.MemoryBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phone_merchant(merchant):
    user_phone_set(user=merchant, phone=PHONE, now=T0)
    return merchant


@pytest.fixture
def export(phone_merchant, shop_a, clock):
    order_placed(shop=shop_a, phone="13811112222", now=T0)
    kind = export_kind_get("orders")
    selection = export_selection(kind=kind, filters={}, user=phone_merchant)
    job = export_request(user=phone_merchant, kind=kind, fmt="csv", filters={}, selection=selection, now=T0)
    export_run(export_id=job.pk, now=T0)
    return job


def token_client(user) -> APIClient:
    _instance, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def last_code() -> str:
    return re.search(r"\b(\d{6})\b", sms.outbox[-1].body).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# --- /me ------------------------------------------------------------------------------


def test_me_shows_masked_phone_roles_and_shops(api, phone_merchant, shop_a, shop_b, reviewer):
    """``GET /api/v1/me/``: username, the registered phone masked, roles, shops."""
    body = api(phone_merchant).get("/api/v1/me/").json()
    assert body["username"] == "merchant" and body["phone"] == "139****5678"
    assert body["roles"] == ["merchant"]
    assert [s["id"] for s in body["shops"]] == [shop_a.pk, shop_b.pk] and body["shops"][0]["role"] == "owner"
    staff = api(reviewer).get("/api/v1/me/").json()
    assert staff["roles"] == ["platform_reviewer"] and staff["shops"] == [] and staff["phone"] is None
    assert api().get("/api/v1/me/").status_code == 401


def test_k1_phone_stored_encrypted_never_in_clear(phone_merchant):
    """K1/O5: the registered phone is stored encrypted (and hashed, masked), never in clear."""
    record = UserPhone.objects.get(user=phone_merchant)
    assert PHONE not in record.phone_encrypted and PHONE not in record.phone_hash
    assert record.phone_masked == "139****5678"


# --- K1 through the API ----------------------------------------------------------------


def test_k1_download_needs_fresh_verification(phone_merchant, export, clock):
    """K1: without a verification the download is a 403 ``verification_required``;
    after send + verify with the texted code (to the user's own phone), the
    same token downloads the file."""
    client = token_client(phone_merchant)
    url = f"/api/v1/exports/{export.pk}/download/"
    refused = client.get(url)
    assert refused.status_code == 403 and refused.json()["code"] == "verification_required"
    sent = client.post(SEND, {}, format="json")
    assert sent.status_code == 202
    assert sent.json() == {"sent_to": "139****5678", "expires_at": (T0 + timedelta(minutes=5)).isoformat()}
    assert len(sms.outbox) == 1 and sms.outbox[0].to == PHONE
    verified = client.post(VERIFY, {"code": last_code()}, format="json")
    assert verified.status_code == 200
    assert verified.json()["verified_until"] == (T0 + timedelta(minutes=10)).isoformat()
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\xef\xbb\xbf")


def test_k1_code_stored_hashed(phone_merchant, clock):
    """K1: the code is never stored: the device keeps a keyed hash of it."""
    token_client(phone_merchant).post(SEND, {}, format="json")
    code = last_code()
    device = PhoneVerificationDevice.objects.get(user=phone_merchant)
    assert device.token and code not in device.token and len(device.token) == 16
    assert not device.confirmed  # not a sign-in factor


@pytest.mark.parametrize("offset,expected", [(timedelta(seconds=299), 200), (timedelta(seconds=300), 409)])
def test_k1_code_expires_after_5_minutes(phone_merchant, clock, offset, expected):
    """K1: a code is good for 5 minutes: one second before, accepted; at the
    instant of expiry, 409 ``verification_code_expired``."""
    client = token_client(phone_merchant)
    client.post(SEND, {}, format="json")
    clock.move_to(T0 + offset)
    response = client.post(VERIFY, {"code": last_code()}, format="json")
    assert response.status_code == expected
    if expected == 409:
        assert response.json()["code"] == "verification_code_expired"


def test_k1_five_wrong_tries_void_the_code(phone_merchant, clock):
    """K1: each wrong code is a 400 ``verification_code_invalid`` with the
    tries left; the 5th wrong try voids the code: the right one is then a 409."""
    client = token_client(phone_merchant)
    client.post(SEND, {}, format="json")
    code = last_code()
    for left in (4, 3, 2, 1, 0):
        response = client.post(VERIFY, {"code": wrong(code)}, format="json")
        assert response.status_code == 400 and response.json()["code"] == "verification_code_invalid"
        assert response.json()["tries_left"] == left
    late = client.post(VERIFY, {"code": code}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "verification_code_expired"
    assert not LoginVerification.objects.exists()


def test_k1_four_wrong_tries_then_right_code_verifies(phone_merchant, clock):
    """K1: four wrong tries leave the code usable."""
    client = token_client(phone_merchant)
    client.post(SEND, {}, format="json")
    code = last_code()
    for _ in range(4):
        client.post(VERIFY, {"code": wrong(code)}, format="json")
    assert client.post(VERIFY, {"code": code}, format="json").status_code == 200


def test_k1_code_good_once(phone_merchant, clock):
    """K1: a used code cannot verify a second time (another login)."""
    client = token_client(phone_merchant)
    client.post(SEND, {}, format="json")
    code = last_code()
    assert client.post(VERIFY, {"code": code}, format="json").status_code == 200
    again = token_client(phone_merchant).post(VERIFY, {"code": code}, format="json")
    assert again.status_code == 409


def test_k1_one_send_per_minute(phone_merchant, clock):
    """K1: a second code within a minute is a 429 ``verification_rate_limited``
    with Retry-After (the seconds left); at the minute a new code goes out and
    the old one no longer works."""
    client = token_client(phone_merchant)
    assert client.post(SEND, {}, format="json").status_code == 202
    first = last_code()
    again = client.post(SEND, {}, format="json")
    assert again.status_code == 429 and again.json()["code"] == "verification_rate_limited"
    assert again["Retry-After"] == "60" and again.json()["retry_after"] == 60
    clock.move_to(T0 + timedelta(seconds=59))
    assert client.post(SEND, {}, format="json")["Retry-After"] == "1"
    # the limit is the user's, not the token's
    assert token_client(phone_merchant).post(SEND, {}, format="json").status_code == 429
    clock.move_to(T0 + timedelta(seconds=60))
    assert client.post(SEND, {}, format="json").status_code == 202
    assert len(sms.outbox) == 2
    if last_code() != first:
        assert client.post(VERIFY, {"code": first}, format="json").status_code == 400


def test_k1_verification_is_for_that_token_only(phone_merchant, export, clock):
    """K1: a verification marks the token that verified; another token (or a
    session) of the same user still gets 403."""
    first, second = token_client(phone_merchant), token_client(phone_merchant)
    first.post(SEND, {}, format="json")
    assert first.post(VERIFY, {"code": last_code()}, format="json").status_code == 200
    url = f"/api/v1/exports/{export.pk}/download/"
    assert first.get(url).status_code == 200
    assert second.get(url).json()["code"] == "verification_required"
    session = APIClient()
    session.force_login(phone_merchant)
    assert session.get(url).status_code == 403


def test_k1_verification_for_a_session(phone_merchant, export, clock):
    """K1: with session authentication the verification holds for that session."""
    session = APIClient()
    session.force_login(phone_merchant)
    session.post(SEND, {}, format="json")
    assert session.post(VERIFY, {"code": last_code()}, format="json").status_code == 200
    assert session.get(f"/api/v1/exports/{export.pk}/download/").status_code == 200
    other = APIClient()
    other.force_login(phone_merchant)
    assert other.get(f"/api/v1/exports/{export.pk}/download/").status_code == 403


@pytest.mark.parametrize("offset,expected", [(timedelta(minutes=10, seconds=-1), 200), (timedelta(minutes=10), 403)])
def test_k1_verification_lasts_10_minutes(phone_merchant, export, clock, offset, expected):
    """K1: a verification lasts 10 minutes: one second before, the download
    works; at 10 minutes it is refused again."""
    client = token_client(phone_merchant)
    client.post(SEND, {}, format="json")
    client.post(VERIFY, {"code": last_code()}, format="json")
    clock.move_to(T0 + offset)
    assert client.get(f"/api/v1/exports/{export.pk}/download/").status_code == expected


def test_k1_no_phone_and_bad_input(api, merchant, clock):
    """K1: without a registered phone, 409 ``no_phone``; a malformed code is a
    400 ``invalid``; with no code sent, 409 ``verification_code_expired``."""
    client = token_client(merchant)
    response = client.post(SEND, {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_phone"
    assert client.post(VERIFY, {"code": "abc"}, format="json").json()["code"] == "invalid"
    assert client.post(VERIFY, {"code": "123456"}, format="json").json()["code"] == "verification_code_expired"
    assert api().post(SEND, {}, format="json").status_code == 401


def test_k1_another_users_download_is_404_not_a_verification_prompt(merchant2, export, clock):
    """K1 never leaks another user's export: 404 before any verification question."""
    user_phone_set(user=merchant2, phone="13900009999", now=T0)
    assert token_client(merchant2).get(f"/api/v1/exports/{export.pk}/download/").status_code == 404


def test_k1_development_backend_logs_the_code_not_the_phone(phone_merchant, clock, settings, caplog):
    """K1: the development default writes the code to the log (so ``make run``
    works offline), with the phone masked."""
    settings.SMS_BACKEND = "config.sms.LogBackend"
    with caplog.at_level(logging.INFO, logger="config.sms"):
        assert token_client(phone_merchant).post(SEND, {}, format="json").status_code == 202
    text = caplog.text
    assert "139****5678" in text and PHONE not in text
    assert re.search(r"\b\d{6}\b", text)


# --- K1 in the admin ---------------------------------------------------------------------


def test_k1_admin_download_asks_for_the_code(client, reviewer, shop_a, clock):
    """K1 in the admin: the export's download link leads to a small form (send
    a code, type it in); after it, the download works for this session."""
    user_phone_set(user=reviewer, phone="13900000001", now=T0)
    order_placed(shop=shop_a, phone="13811112222", now=T0)
    kind = export_kind_get("orders")
    job = export_request(
        user=reviewer, kind=kind, fmt="csv", filters={},
        selection=export_selection(kind=kind, filters={}, user=reviewer), now=T0,
    )  # fmt: skip
    export_run(export_id=job.pk, now=T0)
    client.force_login(reviewer)
    download = f"/admin/orders/export/{job.pk}/download/"
    verify = f"/admin/orders/export/{job.pk}/verify/"
    first = client.get(download)
    assert first.status_code == 302 and first["Location"] == verify
    page = client.get(verify).content.decode()
    assert "139****0001" in page
    client.post(verify, {"send": "1"})
    assert sms.outbox[-1].to == "13900000001"
    bad = client.post(verify, {"code": wrong(last_code())})
    assert bad.status_code == 200 and "not correct" in bad.content.decode()
    done = client.post(verify, {"code": last_code()})
    assert done.status_code == 302 and done["Location"] == download
    assert client.get(download).status_code == 200
