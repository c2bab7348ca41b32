"""Refund gateway (F1): a small interface and a local sandbox.

Two kinds of failure, handled differently by ``orders.services.refunds`` (F1):

* ``GatewayError``: the provider answered and refused: the refund moves to
  the alternative route at once;
* ``GatewayUnreachable`` (and the built-in ``TimeoutError`` /
  ``ConnectionError`` a client library raises): no answer; the call is
  retried with backoff, and after 24 h the refund moves to the alternative
  route.

The sandbox "pays" every refund unless told otherwise, which tests and demos
do in one of these ways:

* ``settings.REFUND_SANDBOX_FAIL = True`` (env ``REFUND_SANDBOX_FAIL=1``) or the
  cache flag ``orders:refund_sandbox_fail`` (``sandbox_fail(True)``, shared by
  the web process and workers): every refund is refused;
* ``settings.REFUND_SANDBOX_MODE`` (env) or the cache flag
  ``orders:refund_sandbox_mode`` (``sandbox_mode("timeout")``):
  ``"timeout"`` raises ``TimeoutError``, ``"connection_error"`` raises
  ``ConnectionError``, ``"refuse"`` refuses.

The sandbox answers as a Chinese payment provider does, in Chinese: a
refusal's words are shown to reviewers as the provider's (data, not UI).

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
MODE_FLAG = "orders:refund_sandbox_mode"


class GatewayError(Exception):
    """The payment provider answered and refused the refund."""


class GatewayUnreachable(Exception):
    """The payment provider could not be reached or did not answer in time."""


# What "no answer" looks like to the refund service (retried with backoff).
UNREACHABLE = (GatewayUnreachable, TimeoutError, ConnectionError)


class RefundGateway(Protocol):
    def refund(self, *, idempotency_key: str, order_no: str, amount: Decimal) -> str:
        """Pay ``amount`` back on the order's original payment route and
        return the provider's reference; raise ``GatewayError`` on a refusal
        and ``GatewayUnreachable`` (or ``TimeoutError``/``ConnectionError``)
        when there is no answer.
        ``idempotency_key`` (the refund's cause) lets the provider drop a
        duplicate call."""


class SandboxGateway:
    def refund(self, *, idempotency_key: str, order_no: str, amount: Decimal) -> str:
        mode = cache.get(MODE_FLAG) or getattr(settings, "REFUND_SANDBOX_MODE", "")
        if mode == "timeout":
            raise TimeoutError("沙箱：支付渠道未在时限内应答")
        if mode == "connection_error":
            raise ConnectionError("沙箱：无法连接支付渠道")
        if mode == "refuse" or getattr(settings, "REFUND_SANDBOX_FAIL", False) or cache.get(FAIL_FLAG):
            raise GatewayError("沙箱：原支付渠道不可用")
        return "SBX-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20].upper()


def sandbox_fail(on: bool, *, seconds: int = 3600) -> None:
    """Make the sandbox fail (or succeed again) in every process."""
    if on:
        cache.set(FAIL_FLAG, True, seconds)
    else:
        cache.delete(FAIL_FLAG)


def sandbox_mode(mode: str, *, seconds: int = 3600) -> None:
    """Make the sandbox time out, refuse connections or refuse (``""``: pay)."""
    if mode:
        cache.set(MODE_FLAG, mode, seconds)
    else:
        cache.delete(MODE_FLAG)


def get_gateway() -> RefundGateway:
    return import_string(getattr(settings, "REFUND_GATEWAY", "orders.gateways.SandboxGateway"))()
