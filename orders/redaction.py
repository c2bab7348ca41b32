"""O5 in the logs: no buyer phone in a log line.

- :class:`RedactPII`, a logging filter on every handler of ``LOGGING``: the
  message (with its arguments), the traceback and the stack of each record
  pass through ``orders.privacy.redact`` (``phone=``/``q=`` values replaced,
  any phone number masked).
- :class:`RequestLogMiddleware`, the access log (``backoffice.request``): one
  line per request, method, path, the query string redacted, status, time and
  user id. gunicorn's own access log stays off (it would log the clear query).
"""

from __future__ import annotations

import logging
import time

from config import observability

from . import privacy

request_logger = logging.getLogger("backoffice.request")


class RedactPII(observability.RedactPII):
    """The platform's filter (tokens, secrets, e-mails, phones) plus O5's
    buyer-phone rules (``phone=``/``q=`` values, phone runs in any spelling)."""

    def redact(self, text: str) -> str:
        return privacy.redact(super().redact(text))


def redacted_path(request) -> str:
    """``request``'s path and query string as a log may show them."""
    query = request.META.get("QUERY_STRING", "")
    return request.path + (f"?{privacy.redact(query)}" if query else "")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_logger.info(
            "%s %s %s %.0fms user=%s",
            request.method,
            redacted_path(request),
            response.status_code,
            (time.monotonic() - started) * 1000,
            user.pk if user is not None and user.is_authenticated else "-",
        )
        return response
