"""Pluggable SMS provider (rule K1): ``settings.SMS_BACKEND`` names a class
with ``send(*, to: str, body: str)``.

* ``LogBackend`` (the development default): writes the message to the log, so
  ``make run`` works offline (the number masked; the code is what you need);
* ``MemoryBackend``: appends each message to ``config.sms.outbox`` (objects
  with ``.to`` and ``.body``), as Django's locmem mail backend does; tests use it.

A real provider is one more class here (or anywhere importable) calling its
API; a provider error raises ``SmsError`` and the caller answers 503.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider did not accept the message."""


@dataclass(frozen=True)
class Message:
    to: str
    body: str


outbox: list[Message] = []


def _masked(number: str) -> str:
    return f"{number[:3]}****{number[-4:]}" if len(number) > 7 else "*" * len(number)


class MemoryBackend:
    def send(self, *, to: str, body: str) -> None:
        outbox.append(Message(to=to, body=body))


class LogBackend:
    def send(self, *, to: str, body: str) -> None:
        logger.warning("SMS to %s: %s", _masked(to), body)


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str) -> None:
    get_backend().send(to=to, body=body)
