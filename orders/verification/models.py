"""K1 records. Imported by ``orders.models`` so Django sees them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import CooldownMixin, SideChannelDevice, ThrottlingMixin


class UserPhone(models.Model):
    """A user's registered phone (K1), stored like a buyer's (O5): encrypted,
    found by a keyed hash, shown masked; never in clear at rest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registered_phone", verbose_name=_("user")
    )
    phone_encrypted = models.TextField(_("phone (encrypted)"))
    phone_hash = models.CharField(_("phone hash"), max_length=64, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=32)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        app_label = "orders"
        verbose_name = _("registered phone")
        verbose_name_plural = _("registered phones")

    def __str__(self) -> str:
        return f"{self.user} {self.phone_masked}"


class PhoneVerificationDevice(ThrottlingMixin, CooldownMixin, SideChannelDevice):
    """K1: the SMS code of one user. django-otp's side-channel device keeps the
    code (here only its keyed hash, in ``token``) and its expiry
    (``valid_until``); ``ThrottlingMixin`` counts the wrong tries
    (``throttling_failure_count``), ``CooldownMixin`` the last send
    (``last_generated_timestamp``). The limits themselves (5 tries, one send a
    minute) are applied by ``orders.verification.services`` at the instant of
    the request.

    ``confirmed`` stays False: this device proves a phone for a download, it is
    not a sign-in factor, and django-otp's admin login lists only confirmed
    devices."""

    class Meta:
        app_label = "orders"
        verbose_name = _("phone verification device")
        verbose_name_plural = _("phone verification devices")
        constraints = [models.UniqueConstraint(fields=["user"], name="phone_device_one_per_user")]

    def get_throttle_factor(self) -> int:
        return 0  # no exponential back-off: the 5-try limit voids the code instead

    def get_cooldown_duration(self) -> int:
        return settings.PLATFORM["VERIFY_RESEND_SECONDS"]


class LoginVerification(models.Model):
    """K1: one login (an API token or a browser session) verified by phone
    until ``verified_until``. ``login_key`` is ``token:<knox digest>`` or
    ``session:<sha256 of the session key>``, so another token or session of the
    same user is not verified, and nothing here can be presented as a login."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    login_key = models.CharField(_("login"), max_length=160, unique=True)
    verified_until = models.DateTimeField(_("verified until"))

    class Meta:
        app_label = "orders"
        verbose_name = _("verified login")
        verbose_name_plural = _("verified logins")
        indexes = [models.Index(fields=["user", "verified_until"], name="login_verification_user")]

    def __str__(self) -> str:
        return f"{self.user_id} until {self.verified_until}"
