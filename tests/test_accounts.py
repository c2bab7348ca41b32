"""Accounts: lock-out of repeated failed logins (django-axes) on the admin
login and on the token endpoint, password validators."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    yield


def test_admin_login_locks_out_after_repeated_failures(client, reviewer, axes_on):
    for _ in range(3):
        client.post("/admin/login/", {"username": "reviewer", "password": "wrong"})
    response = client.post("/admin/login/?next=/admin/", {"username": "reviewer", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_token_endpoint_locks_out_after_repeated_failures(api, merchant, axes_on):
    client = api()
    for _ in range(3):
        client.post("/api/v1/auth/token/", {"username": "merchant", "password": "wrong"}, format="json")
    response = client.post("/api/v1/auth/token/", {"username": "merchant", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_weak_passwords_are_refused():
    for weak in ["12345678901", "password123", "short"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
