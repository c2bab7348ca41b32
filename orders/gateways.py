"""Refund gateway (F1): a small interface and a local sandbox.

The sandbox "pays" every refund unless told to fail, which tests and demos do
in one of two ways:

* ``settings.REFUND_SANDBOX_FAIL = True`` (env ``REFUND_SANDBOX_FAIL=1``):
  every original-route refund fails;
* the cache flag ``orders:refund_sandbox_fail`` (``sandbox_fail(True)``):
  shared by the web process and workers, so a demo can flip it at run time.

A real payment provider is plugged in by pointing ``settings.REFUND_GATEWAY``
at a class with the same ``refund()`` method.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

FAIL_FLAG = "orders:refund_sandbox_fail"


class GatewayError(Exception):
    """The payment provider refused or could not be reached."""


class RefundGateway(Protocol):
    def refund(self, *, idempotency_key: str, order_no: str, amount: Decimal) -> str:
        """Pay ``amount`` back on the order's original payment route and
        return the provider's reference; raise ``GatewayError`` on failure.
        ``idempotency_key`` (the refund's cause) lets the provider drop a
        duplicate call."""


class SandboxGateway:
    def refund(self, *, idempotency_key: str, order_no: str, amount: Decimal) -> str:
        if getattr(settings, "REFUND_SANDBOX_FAIL", False) or cache.get(FAIL_FLAG):
            raise GatewayError("sandbox: original payment route unavailable")
        return "SBX-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20].upper()


def sandbox_fail(on: bool, *, seconds: int = 3600) -> None:
    """Make the sandbox fail (or succeed again) in every process."""
    if on:
        cache.set(FAIL_FLAG, True, seconds)
    else:
        cache.delete(FAIL_FLAG)


def get_gateway() -> RefundGateway:
    return import_string(getattr(settings, "REFUND_GATEWAY", "orders.gateways.SandboxGateway"))()
