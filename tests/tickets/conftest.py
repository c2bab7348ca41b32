"""Fixtures for the ticket tests: an order in shop A (merchant's) and in
shop C (merchant2's), and helpers driving the API as support / merchant."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import order_placed

T0 = datetime.fromisoformat("2026-03-02T10:00:00+08:00")


@pytest.fixture
def order_a(shop_a, merchant):
    return order_placed(shop=shop_a, now=T0 - timedelta(hours=3))


@pytest.fixture
def order_c(shop_c, merchant2):
    return order_placed(shop=shop_c, now=T0 - timedelta(hours=3))


@pytest.fixture
def open_ticket(api, support):
    """``open_ticket(order, type)`` → the API's 201 body."""

    def _open(order, service_type: str = "logistics_query", description: str = "买家询问物流进度"):
        response = api(support).post(
            "/api/v1/tickets/",
            {"order_no": order.order_no, "service_type": service_type, "description": description},
            format="json",
        )
        assert response.status_code == 201, response.content
        return response.json()

    return _open


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def png_upload(name: str = "proof.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The user fixtures hash a password each; PBKDF2 costs ~1 s per user on
    this machine, which is most of a ticket test's time. Autouse, so it runs
    before the user fixtures."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
