"""Django's error views (``handler400/403/404/500`` in ``config.urls``): under
``/api/`` every answer Django itself gives (an unmatched path, a suspicious or
over-size request, an unhandled exception) is the API's ``{"code",
"detail"}`` JSON; elsewhere (the admin) Django's own pages."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def too_large_answer(exception) -> tuple[str, str, int] | None:
    """The answer to Django's own request-size guards (shared with ``config.api``)."""
    if isinstance(exception, RequestDataTooBig):
        return "request_too_large", _("The request body is too large."), 413
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return "too_many_fields", _("The request has too many fields or files."), 400
    return None


def bad_request(request, exception, template_name="400.html"):
    if is_api(request):
        answer = too_large_answer(exception)
        if answer:
            return _json(*answer)
        return _json("bad_request", _("Bad request."), 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception, template_name="403.html"):
    if is_api(request):
        return _json("permission_denied", _("You do not have permission to perform this action."), 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception, template_name="404.html"):
    """An unmatched /api/ path (a bad id or code in it too) answers in the
    API's error shape, not with the HTML page."""
    if is_api(request):
        return _json("not_found", _("Not found."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request, template_name="500.html"):
    if is_api(request):
        return _json("server_error", _("Internal server error; it has been logged."), 500)
    return defaults.server_error(request)
