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

from . import privacy

request_logger = logging.getLogger("backoffice.request")


class RedactPII(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is logging's own problem to report
            return True
        redacted = privacy.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = privacy.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = privacy.redact(record.stack_info)
        return True


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
