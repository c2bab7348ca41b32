"""K2: staff sign in to the admin with a second factor (django-otp).

With ``settings.STAFF_2FA_REQUIRED`` (on whenever ``DEBUG`` is off, unless
set; off for ``make run`` and the tests), the admin's login form asks for a
one-time password from a TOTP app or a one-time recovery code (django-otp's
static device), and a staff session that was not verified by such a device
is not let in. Everything here is a mixin of the admin site, so it combines
with another admin site class (e.g. django-unfold's) by listing it first.

Enrolment: ``manage.py staff_otp_enroll <username>`` (``staff_otp_enroll``
below) prints the ``otpauth://`` URI (and its QR code) for the user's TOTP app
and a fresh set of recovery codes; the devices are also in the admin
(django-otp's own pages, with the QR code).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction


def two_factor_required() -> bool:
    return bool(getattr(settings, "STAFF_2FA_REQUIRED", False))


class StaffTwoFactorSiteMixin:
    """Admin site mixin: with ``STAFF_2FA_REQUIRED``, only OTP-verified staff
    may use the site, and the login form asks for the code."""

    otp_login_template = "otp/login.html"  # unfold's login page with the code field
    _plain_login_form = None  # the theme's own form (set by UnfoldAdminSite)

    def has_permission(self, request) -> bool:
        allowed = super().has_permission(request)
        if allowed and two_factor_required():
            is_verified = getattr(request.user, "is_verified", None)
            return bool(is_verified and is_verified())
        return allowed

    @property
    def login_form(self):
        if two_factor_required():
            from django_otp.admin import OTPAdminAuthenticationForm

            return OTPAdminAuthenticationForm
        return self._plain_login_form  # None: Django's AdminAuthenticationForm

    @login_form.setter
    def login_form(self, form_class):
        self._plain_login_form = form_class

    @property
    def login_template(self):
        return self.otp_login_template if two_factor_required() else None


@dataclass(frozen=True)
class Enrollment:
    config_url: str  # otpauth://totp/…
    recovery_codes: list[str]


@transaction.atomic
def staff_otp_enroll(*, user, recovery_codes: int = 10) -> Enrollment:
    """K2: give ``user`` a new confirmed TOTP device (replacing any earlier
    one) and ``recovery_codes`` new one-time recovery codes (replacing the old
    ones). The secret leaves the system only through the returned URI."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    totp = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(recovery_codes)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return Enrollment(config_url=totp.config_url, recovery_codes=codes)
