"""Issue 2: configuration, roles, scoping, API skeleton and schema."""

import json
import secrets
import subprocess
import sys

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from orders.models import Order
from orders.roles import INTAKE, REVIEWER, SUPPORT
from orders.selectors import shops_visible_to
from tests.factories import PASSWORD, order_placed

pytestmark = pytest.mark.django_db


def test_roles_exist_with_their_permissions():
    """Groups are made by a data migration with the permissions their work needs."""
    reviewer = set(Group.objects.get(name=REVIEWER).permissions.values_list("codename", flat=True))
    support = set(Group.objects.get(name=SUPPORT).permissions.values_list("codename", flat=True))
    assert {"review_cancellation", "view_buyer_contact", "settle_refund"} <= reviewer
    assert "review_cancellation" not in support and "view_buyer_contact" not in support
    assert "view_order" in support
    assert not Group.objects.get(name=INTAKE).permissions.exists()


def test_shops_visible_to_scopes_by_membership(merchant, merchant2, shop_a, shop_b, shop_c, reviewer):
    assert set(shops_visible_to(merchant)) == {shop_a, shop_b}
    assert set(shops_visible_to(merchant2)) == {shop_c}
    assert not shops_visible_to(reviewer).exists()


def test_shop_list_api_is_scoped(api, merchant, merchant2, shop_a, shop_b, shop_c):
    """merchant's token sees only its two shops; merchant2 only its own."""
    body = api(merchant).get("/api/v1/shops/").json()
    assert {s["name"] for s in body["results"]} == {shop_a.name, shop_b.name}
    assert set(body["results"][0]) >= {"id", "name", "status", "deposit_balance", "rating"}
    body = api(merchant2).get("/api/v1/shops/").json()
    assert [s["name"] for s in body["results"]] == [shop_c.name]


def test_token_auth_roundtrip(api, merchant, shop_a, shop_b):
    client = api()
    bad = client.post("/api/v1/auth/token/", {"username": "merchant", "password": "nope"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_credentials"
    ok = client.post("/api/v1/auth/token/", {"username": "merchant", "password": PASSWORD}, format="json")
    assert ok.status_code == 200
    token = ok.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/shops/").status_code == 200
    # Only a digest is stored (django-rest-knox), never the token itself.
    from knox.models import AuthToken

    assert not AuthToken.objects.filter(digest=token).exists()


def test_token_endpoint_is_throttled(api, merchant, settings):
    from django.core.cache import cache

    cache.clear()
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_token": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES  # the class keeps it: restore exactly this
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        codes = [
            api().post("/api/v1/auth/token/", {"username": "merchant", "password": "x"}, format="json").status_code
            for _ in range(4)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
        cache.clear()
    assert codes[:3] == [400, 400, 400]
    assert codes[3] == 429


def test_error_shape_for_anonymous_and_unknown(api):
    response = api().get("/api/v1/shops/")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "detail"}
    assert response.json()["code"] == "not_authenticated"


def test_error_shape_for_bad_input(api):
    response = api().post("/api/v1/auth/token/", {"username": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "password" in body["errors"]


def test_schema_is_valid_openapi3(api, reviewer):
    from drf_spectacular.validation import validate_schema

    response = api(reviewer).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert "/api/v1/shops/" in schema["paths"]


def test_docs_are_served_without_a_cdn(client, reviewer):
    client.force_login(reviewer)
    html = client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_merchant_cannot_enter_admin(client, merchant):
    client.force_login(merchant)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")


def test_seed_demo_builds_the_demo_world(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    assert {"reviewer", "support", "storefront", "merchant", "merchant2"} <= set(users)
    assert users["merchant"].check_password(PASSWORD)
    assert shops_visible_to(users["merchant"]).count() == 2
    assert shops_visible_to(users["merchant2"]).count() == 1
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in Order.Status}
    from orders.models import CancellationRequest, Refund

    assert CancellationRequest.objects.filter(status="pending_review").exists()
    assert Refund.objects.filter(route="alternative", status="pending").exists()
    assert Order.objects.filter(in_after_sale=True).exists() and Order.objects.filter(logistics_abnormal=True).exists()
    # --if-empty makes a second run a no-op
    count = Order.objects.count()
    call_command("seed_demo", "--if-empty")
    assert Order.objects.count() == count


def test_buyer_phone_encrypted_hashed_and_masked(shop_a):
    order = order_placed(shop=shop_a, phone="13812345678")
    raw = Order.objects.values("buyer_phone_encrypted", "buyer_phone_masked").get(pk=order.pk)
    assert "13812345678" not in raw["buyer_phone_encrypted"]
    assert raw["buyer_phone_masked"] == "138****5678"


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    """``check --deploy`` passes with production variables; without a
    SECRET_KEY production refuses to start."""
    from cryptography.fernet import Fernet

    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "backoffice.example.com",
        "VAR_DIR": str(tmp_path),
    }
    ok = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    env.pop("SECRET_KEY")
    refused = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr
