"""API plumbing shared by every app: the error shape, pagination, and the
permission classes for the platform's roles."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, permissions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError
from .handlers import too_large_answer
from .limits import MAX_ID, has_control_chars

REVIEWER_GROUP = "platform_reviewer"
SUPPORT_GROUP = "support_staff"
INTAKE_GROUP = "order_intake"

_DRF_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def exception_handler(exc, context):
    """Every error leaves the API as ``{"code", "detail"}`` (+ ``errors`` for
    field errors on 400), whatever raised it."""
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": str(exc.detail), **exc.extra}
        response = Response(body, status=exc.status)
        if exc.status == 429 and "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    too_large = too_large_answer(exc)
    if too_large:
        code, detail, status_code = too_large
        return Response({"code": code, "detail": detail}, status=status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=getattr(exc, "message_dict", None) or exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        detail = "Invalid input."
        if isinstance(errors, dict) and set(errors) == {"non_field_errors"}:
            detail = " ".join(str(m) for m in errors["non_field_errors"])
        elif isinstance(errors, list):
            detail = " ".join(str(m) for m in errors)
            errors = {"non_field_errors": errors}
        response.data = {"code": "invalid", "detail": detail, "errors": errors}
        return response
    data = response.data if isinstance(response.data, dict) else {}
    code = getattr(exc, "default_code", None) or _DRF_CODES.get(response.status_code, "error")
    if isinstance(getattr(exc, "detail", None), exceptions.ErrorDetail):
        code = exc.detail.code or code
    if response.status_code == 401:
        code = "not_authenticated" if code in {"not_authenticated", "authentication_failed"} else code
    response.data = {"code": code, "detail": str(data.get("detail", exc))}
    return response


class CursorPagination(pagination.CursorPagination):
    """Newest first, keyset-paginated (no OFFSET over millions of rows).

    Every list's pagination (subclasses only change ``ordering``). A cursor is
    opaque to clients but not trusted: its position is checked against the
    type of the ordering's first field (an id 1 … 2⁶³−1, an ISO date-time
    turned to UTC) before it reaches the database, so a tampered cursor
    answers 404 ``not_found`` ("Invalid cursor"), never a 500."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"
    max_cursor_length = 512

    def get_page_size(self, request):
        """A ``page_size`` that is not one whole number from 1 to 100 is a 400
        (as the schema says), not silently replaced by the default."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        if len(values) > 1 or not values[0].isdigit() or not 1 <= int(values[0]) <= self.max_page_size:
            from django.utils.translation import gettext as _
            from rest_framework.exceptions import ValidationError

            raise ValidationError(
                {self.page_size_query_param: [_("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}]}
            )
        return int(values[0])

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        values = request.query_params.getlist(self.cursor_query_param)
        if len(values) > 1 or (values and len(values[0]) > self.max_cursor_length):
            raise exceptions.NotFound(self.invalid_cursor_message)
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        return cursor._replace(position=self._checked_position(cursor.position))

    def _checked_position(self, position: str) -> str:
        from django.db import models

        from .filters import UtcDateTimeField

        ordering = self.ordering if isinstance(self.ordering, list | tuple) else (self.ordering,)
        field = self._model._meta.get_field(ordering[0].lstrip("-"))
        try:
            if isinstance(field, models.DateTimeField):
                return UtcDateTimeField().clean(position).isoformat()
            if isinstance(field, models.IntegerField | models.AutoField):
                if not position.isdigit() or not 1 <= int(position) <= MAX_ID:
                    raise ValueError(position)
                return position
        except (DjangoValidationError, ValueError):
            raise exceptions.NotFound(self.invalid_cursor_message) from None
        if has_control_chars(position) or len(position) > 255:
            raise exceptions.NotFound(self.invalid_cursor_message)
        return position

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
            if parameter["name"] == self.cursor_query_param:
                parameter["schema"] = {"type": "string", "maxLength": self.max_cursor_length}
        return parameters


def in_group(user, name: str) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cache = getattr(user, "_group_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._group_names = cache
    return name in cache


class _GroupPermission(permissions.BasePermission):
    group = ""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_staff and in_group(request.user, self.group))


class IsReviewer(_GroupPermission):
    group = REVIEWER_GROUP


class IsSupport(_GroupPermission):
    group = SUPPORT_GROUP


class IsIntake(permissions.BasePermission):
    """The storefront / carrier system user (not staff, in ``order_intake``)."""

    def has_permission(self, request, view) -> bool:
        return in_group(request.user, INTAKE_GROUP)


class IsMerchant(permissions.BasePermission):
    """Anyone authenticated may call merchant endpoints; what they see is
    scoped to their shops (``orders.selectors.shops_visible_to``), so a user
    with no shop sees nothing and reaches only 404s."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)


__all__ = [
    "CursorPagination",
    "IsIntake",
    "IsMerchant",
    "IsReviewer",
    "IsSupport",
    "exception_handler",
    "in_group",
    "status",
]
