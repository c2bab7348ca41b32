"""K1: phone verification before an export file is handed over.

* ``phone_verification_send``: a new 6-digit code to the user's own registered
  phone, at most one a minute (``VERIFY_RESEND_SECONDS``, 429 with the seconds
  left), valid 5 minutes (``VERIFY_CODE_TTL_SECONDS``). Only a keyed hash of
  the code is stored (HMAC-SHA256 under a key derived from ``SECRET_KEY``).
* ``phone_verification_check``: the code marks **that login** (the API token or
  the browser session the request came with) verified for 10 minutes
  (``VERIFY_GRANT_MINUTES``). A wrong code counts a try; the 5th wrong try
  (``VERIFY_MAX_TRIES``) voids the code, and so does its expiry (409
  ``verification_code_expired``). A code is good once.
* ``verification_require``: 403 ``verification_required`` unless the login is
  verified at ``now``.

Every limit is judged at the ``now`` the caller passes (the instant of the
request), under a row lock on the user's device, so two requests at once
cannot both use the last try or both send.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import DomainError
from config.sms import SmsError, send_sms

from ..policy import rule
from ..privacy import decrypt_phone, encrypt_phone, mask_phone, normalize_phone, phone_hash
from .models import LoginVerification, PhoneVerificationDevice, UserPhone


class VerificationError(DomainError):
    """A K1 refusal; ``code`` is stable."""


@dataclass(frozen=True)
class Sent:
    sent_to: str  # masked
    expires_at: datetime


# --- the user's registered phone --------------------------------------------------


def user_phone_clean(phone: str) -> str:
    """The phone as stored (normalised), or ``invalid_phone``."""
    phone = normalize_phone(phone)
    if not phone or not phone.lstrip("+").isdigit() or not 6 <= len(phone.lstrip("+")) <= 20:
        raise VerificationError("invalid_phone", _("Enter a valid phone number."), status=400)
    return phone


def user_phone_set(*, user, phone: str, now: datetime) -> UserPhone:
    """Register (or replace) ``user``'s phone, encrypted like a buyer's."""
    phone = user_phone_clean(phone)
    record, _created = UserPhone.objects.update_or_create(
        user=user,
        defaults={
            "phone_encrypted": encrypt_phone(phone),
            "phone_hash": phone_hash(phone),
            "phone_masked": mask_phone(phone),
            "updated_at": now,
        },
    )
    return record


def user_phone_masked(user) -> str | None:
    record = UserPhone.objects.filter(user=user).only("phone_masked").first()
    return record.phone_masked if record else None


# --- codes ------------------------------------------------------------------------


@cache
def _code_key() -> bytes:
    return hashlib.sha256(b"k1-verification-code:" + settings.SECRET_KEY.encode()).digest()


def _code_hash(device_id: int, code: str) -> str:
    """16 hex digits of HMAC-SHA256 (fits django-otp's ``token`` column): a
    database leak alone reveals no code."""
    return hmac.new(_code_key(), f"{device_id}:{code}".encode(), hashlib.sha256).hexdigest()[:16]


def _device(user) -> PhoneVerificationDevice:
    device, _created = PhoneVerificationDevice.objects.get_or_create(
        user=user, defaults={"name": "phone", "confirmed": False}
    )
    return PhoneVerificationDevice.objects.select_for_update().get(pk=device.pk)


def phone_verification_send(*, user, now: datetime) -> Sent:
    """Rule K1: text a fresh code to the user's registered phone."""
    record = UserPhone.objects.filter(user=user).first()
    if record is None:
        raise VerificationError("no_phone", _("No phone is registered for this account."))
    resend = rule("VERIFY_RESEND_SECONDS")
    digits = rule("VERIFY_CODE_DIGITS")
    with transaction.atomic():
        device = _device(user)
        last = device.last_generated_timestamp
        if last is not None and now < last + timedelta(seconds=resend):
            left = max(1, int((last + timedelta(seconds=resend) - now).total_seconds() + 0.999))
            raise VerificationError(
                "verification_rate_limited",
                _("A code was sent less than a minute ago; try again in %(s)d s.") % {"s": left},
                status=429,
                extra={"retry_after": left},
            )
        code = f"{secrets.randbelow(10**digits):0{digits}d}"
        device.token = _code_hash(device.pk, code)
        device.valid_until = now + timedelta(seconds=rule("VERIFY_CODE_TTL_SECONDS"))
        device.last_generated_timestamp = now
        device.throttle_reset(commit=False)
        device.save(
            update_fields=[
                "token",
                "valid_until",
                "last_generated_timestamp",
                "throttling_failure_count",
                "throttling_failure_timestamp",
            ]
        )
    minutes = rule("VERIFY_CODE_TTL_SECONDS") // 60
    body = _("Your verification code is %(code)s (valid %(minutes)d minutes). Never share it.") % {
        "code": code,
        "minutes": minutes,
    }
    try:
        send_sms(to=decrypt_phone(record.phone_encrypted), body=body)
    except SmsError:
        raise VerificationError("sms_failed", _("The text message could not be sent; try again."), status=503) from None
    return Sent(sent_to=record.phone_masked, expires_at=device.valid_until)


def phone_verification_check(*, user, code: str, login_key: str, now: datetime) -> datetime:
    """Rule K1: check ``code``; on success mark ``login_key`` verified and
    return until when. A wrong try is recorded even though the answer is an
    error (the transaction commits first)."""
    code = (code or "").strip()
    max_tries = rule("VERIFY_MAX_TRIES")
    outcome = "expired"
    tries_left = 0
    with transaction.atomic():
        device = PhoneVerificationDevice.objects.select_for_update().filter(user=user).first()
        live = (
            device is not None
            and device.token is not None
            and now < device.valid_until
            and device.throttling_failure_count < max_tries
        )
        if live and hmac.compare_digest(device.token, _code_hash(device.pk, code)):
            device.token = None  # good once
            device.valid_until = now
            device.throttle_reset(commit=False)
            device.save(
                update_fields=["token", "valid_until", "throttling_failure_count", "throttling_failure_timestamp"]
            )
            until = now + timedelta(minutes=rule("VERIFY_GRANT_MINUTES"))
            LoginVerification.objects.filter(user=user, verified_until__lt=now).delete()
            LoginVerification.objects.update_or_create(
                login_key=login_key, defaults={"user": user, "verified_until": until}
            )
            outcome = "ok"
        elif live:
            device.throttling_failure_count += 1
            device.throttling_failure_timestamp = now
            tries_left = max_tries - device.throttling_failure_count
            if tries_left <= 0:
                device.token = None  # the 5th wrong try voids the code
            device.save(update_fields=["token", "throttling_failure_count", "throttling_failure_timestamp"])
            outcome = "invalid"
    if outcome == "ok":
        return until
    if outcome == "invalid":
        raise VerificationError(
            "verification_code_invalid",
            _("The code is not correct (%(n)d tries left).") % {"n": tries_left},
            status=400,
            extra={"tries_left": tries_left},
        )
    raise VerificationError("verification_code_expired", _("This code has expired or was used up; ask for a new one."))


def verification_until(*, login_key: str, user, now: datetime) -> datetime | None:
    until = (
        LoginVerification.objects.filter(login_key=login_key, user=user, verified_until__gt=now)
        .values_list("verified_until", flat=True)
        .first()
    )
    return until


def verification_require(*, login_key: str, user, now: datetime) -> None:
    """Rule K1: refuse (403 ``verification_required``) unless this login was
    verified by phone within the last 10 minutes."""
    if verification_until(login_key=login_key, user=user, now=now) is None:
        raise VerificationError(
            "verification_required",
            _("Verify your phone first: POST /api/v1/auth/verify/send/, then /api/v1/auth/verify/ with the code."),
            status=403,
        )
