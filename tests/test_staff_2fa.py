"""K2: staff sign in to the admin with a second factor (TOTP, recovery codes)."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.otp import staff_otp_enroll

pytestmark = pytest.mark.django_db
PASSWORD = "staff-pass-123"
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


@pytest.fixture
def enrolled(reviewer):
    reviewer.set_password(PASSWORD)
    reviewer.save()
    return reviewer, staff_otp_enroll(user=reviewer, recovery_codes=3)


def current_totp(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login(client, user, *, device: str = "", token: str = ""):
    return client.post(
        LOGIN, {"username": user.username, "password": PASSWORD, "otp_device": device, "otp_token": token}
    )


def test_k2_off_for_development_and_tests_by_default(settings, client, reviewer):
    """K2: ``STAFF_2FA_REQUIRED`` defaults to ``not DEBUG``: off here (and for
    ``make run``), so a password is enough."""
    assert settings.STAFF_2FA_REQUIRED is False
    reviewer.set_password(PASSWORD)
    reviewer.save()
    response = client.post(LOGIN, {"username": "reviewer", "password": PASSWORD})
    assert response.status_code == 302 and client.get("/admin/").status_code == 200


def test_k2_on_when_debug_is_off():
    """K2: the production default (DEBUG off) turns the second factor on."""
    import subprocess
    import sys

    code = (
        "import os; os.environ.update(DEBUG='0', SECRET_KEY='x'*50, FIELD_ENCRYPTION_KEY="
        "'q4Nr0wU8cM6j7oJbHjT2b3m8tVq3gM9cX0yJz1lKp2A=', ALLOWED_HOSTS='x', DJANGO_SETTINGS_MODULE='config.settings');"
        "os.environ.pop('STAFF_2FA_REQUIRED', None); import django; django.setup();"
        "from django.conf import settings; print(settings.STAFF_2FA_REQUIRED)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_k2_password_alone_is_not_enough(required, client, enrolled):
    """K2: with the second factor required, the right password without a code
    does not sign in (the form asks for the device and the code)."""
    user, _enrollment = enrolled
    response = login(client, user)
    assert response.status_code == 200 and "otp_token" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_k2_totp_signs_in_and_is_single_use(required, client, enrolled):
    """K2: password + the TOTP app's current code signs in; the same code
    cannot be replayed for a second login."""
    user, _enrollment = enrolled
    device = TOTPDevice.objects.get(user=user).persistent_id
    token = current_totp(user)
    response = login(client, user, device=device, token=token)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.get("/admin/").status_code == 200
    client.logout()
    again = login(client, user, device=device, token=token)
    assert again.status_code == 200 and client.get("/admin/").status_code == 302


def test_k2_wrong_totp_refused(required, client, enrolled):
    """K2: a wrong code is refused."""
    user, _enrollment = enrolled
    device = TOTPDevice.objects.get(user=user).persistent_id
    wrong = f"{(int(current_totp(user)) + 1) % 10**6:06d}"
    assert login(client, user, device=device, token=wrong).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_k2_recovery_code_works_once(required, client, enrolled):
    """K2: a recovery code signs in once; used again it is refused, and a
    failed try makes the next one wait (django-otp's back-off, 1 s, 2 s, …)."""
    user, enrollment = enrolled
    device = StaticDevice.objects.get(user=user).persistent_id
    code = enrollment.recovery_codes[0]
    with time_machine.travel("2026-03-02 10:00:00+08:00", tick=False) as clock:
        assert login(client, user, device=device, token=code).status_code == 302
        assert client.get("/admin/").status_code == 200
        client.logout()
        assert login(client, user, device=device, token=code).status_code == 200
        assert client.get("/admin/").status_code == 302
        throttled = login(client, user, device=device, token=enrollment.recovery_codes[1])
        assert throttled.status_code == 200  # within a second of the failure
        clock.shift(2)
        assert login(client, user, device=device, token=enrollment.recovery_codes[1]).status_code == 302


def test_k2_unverified_staff_session_is_not_let_in(required, client, reviewer):
    """K2: a staff session signed in without a second factor (e.g. before it
    was required) reaches the login page, not the admin."""
    client.force_login(reviewer)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_k2_enroll_command_prints_uri_and_recovery_codes(reviewer, merchant, capsys):
    """K2 enrolment: the command prints the otpauth URI (and a QR code) and
    fresh recovery codes; a second run replaces the old devices."""
    call_command("staff_otp_enroll", "reviewer", "--recovery-codes", "2")
    out = capsys.readouterr().out
    assert "otpauth://totp/" in out
    first = set(StaticDevice.objects.get(user=reviewer).token_set.values_list("token", flat=True))
    assert len(first) == 2 and all(code in out for code in first)
    call_command("staff_otp_enroll", "reviewer", "--no-qr")
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1
    assert not first & set(StaticDevice.objects.get(user=reviewer).token_set.values_list("token", flat=True))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("staff_otp_enroll", "merchant")
