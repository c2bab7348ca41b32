"""Request body parsers of the API with limits.

``JSONParser`` reads at most ``API_JSON_MAX_BYTES`` (413 ``request_too_large``
beyond) and refuses nesting deeper than ``API_JSON_MAX_DEPTH`` before
``json`` recurses (a 2 KB body of ``[[[[…`` raised ``RecursionError``, a 500,
without credentials). ``NaN``/``Infinity`` and invalid UTF-8 are parse errors
(400 ``parse_error``). Multipart bodies keep Django's own limits
(``DATA_UPLOAD_MAX_MEMORY_SIZE``, ``DATA_UPLOAD_MAX_NUMBER_FIELDS``,
``DATA_UPLOAD_MAX_NUMBER_FILES``), answered by ``config.api``."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def max_bytes() -> int:
    return getattr(settings, "API_JSON_MAX_BYTES", 1024 * 1024)


def max_depth() -> int:
    return getattr(settings, "API_JSON_MAX_DEPTH", 32)


def nesting_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting of a JSON text (brackets inside strings
    do not count), computed without recursion."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = max_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge()
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(
                _("JSON parse error: the body is not valid %(encoding)s.") % {"encoding": encoding}
            ) from exc
        if nesting_depth(text) > max_depth():
            raise exceptions.ParseError(_("JSON parse error: nested deeper than %(depth)d.") % {"depth": max_depth()})
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(_("JSON parse error: the body is not valid JSON.")) from exc
