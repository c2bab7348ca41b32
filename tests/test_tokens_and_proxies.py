"""Issue 14 point 3: the token throttle holds whatever X-Forwarded-For says
(proxy headers trusted only through NUM_PROXIES configured proxies), tokens
expire after AUTH_TOKEN_TTL_DAYS, and a user lists and revokes only their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_token_throttle_holds_with_a_fresh_x_forwarded_for_per_request(merchant, settings):
    """With no trusted proxy configured, 21 logins each from a "new"
    X-Forwarded-For address are one client: the 21st is throttled (429)."""
    cache.clear()
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "merchant", "password": "wrong-pass-123"},
            HTTP_X_FORWARDED_FOR=f"10.0.{i // 250}.{i % 250 + 1}",
        ).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429
    assert client.post("/api/v1/auth/token/", {"username": "m", "password": "x"}).json()["code"] == "throttled"
    cache.clear()


def test_token_expires_after_the_configured_ttl(merchant):
    """A token issued now is refused (401) after TOKEN_TTL (30 days by default)."""
    _instance, token = AuthToken.objects.create(user=merchant)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/shops/").status_code == 200
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        assert client.get("/api/v1/shops/").status_code == 401


def test_tokens_list_shows_only_my_tokens_without_secrets(merchant, merchant2):
    """GET /api/v1/auth/tokens/ lists the caller's tokens (prefix, created,
    expiry), never the secret and never another user's."""
    mine, secret = AuthToken.objects.create(user=merchant)
    AuthToken.objects.create(user=merchant)
    other, _ = AuthToken.objects.create(user=merchant2)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {secret}")
    rows = client.get("/api/v1/auth/tokens/").json()
    assert len(rows) == 2
    assert {r["token_key"] for r in rows} == set(
        AuthToken.objects.filter(user=merchant).values_list("token_key", flat=True)
    )
    assert other.token_key not in {r["token_key"] for r in rows}
    assert all(secret not in str(r) and r["expiry"] for r in rows)
    assert sum(r["current"] for r in rows) == 1


def test_token_revoke_only_my_own(merchant, merchant2):
    """DELETE /api/v1/auth/tokens/{prefix}/ revokes my token (then it is
    refused); another user's prefix answers 404 and stays valid."""
    _mine, secret = AuthToken.objects.create(user=merchant)
    spare, spare_secret = AuthToken.objects.create(user=merchant)
    other, other_secret = AuthToken.objects.create(user=merchant2)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.delete(f"/api/v1/auth/tokens/{other.token_key}/").status_code == 404
    assert client.delete(f"/api/v1/auth/tokens/{spare.token_key}/").status_code == 204
    assert APIClient(HTTP_AUTHORIZATION=f"Token {spare_secret}").get("/api/v1/shops/").status_code == 401
    assert APIClient(HTTP_AUTHORIZATION=f"Token {other_secret}").get("/api/v1/shops/").status_code == 200
