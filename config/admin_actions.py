"""Shared by every app's admin actions: call a service once per selected row,
report each refusal (a ``DomainError``) and the number done. The rule lives
in the service; this only reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.utils.translation import gettext

from .errors import DomainError


def run_per_row(modeladmin, request, rows: Iterable, call: Callable, done_message: str | None = None) -> int:
    done = 0
    for row in rows:
        try:
            call(row)
            done += 1
        except DomainError as exc:
            # the reason in words; the machine code is for the API, not a person
            modeladmin.message_user(request, f"{row}: {exc.detail}", messages.ERROR)
    if done:
        text = (done_message or gettext("%(n)d done.")) % {"n": done}
        modeladmin.message_user(request, text, messages.SUCCESS)
    return done
