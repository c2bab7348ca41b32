"""Exports API (API.md): create, list, detail, download. Thin: services decide."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import IsMerchant
from config.errors import DomainError

from .. import privacy
from ..idempotency import idempotent
from ..verification.logins import login_key
from ..verification.services import verification_require
from . import services
from .models import Export
from .registry import get_kind
from .selectors import exports_of
from .serializers import ExportCreateSerializer, ExportSerializer

_ERROR = OpenApiResponse(description='{"code", "detail"}')
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="A retry with the same key replays the first answer instead of starting another export.",
)  # fmt: skip


class ExportListCreateApi(generics.ListAPIView):
    """My exports, newest first; POST starts one (X1–X3, T4)."""

    serializer_class = ExportSerializer
    permission_classes = [IsMerchant]
    filter_backends: list = []

    def get_queryset(self):
        return exports_of(self.request.user).order_by("-id")

    @extend_schema(
        request=ExportCreateSerializer,
        parameters=[IDEMPOTENCY],
        responses={
            202: ExportSerializer,
            400: OpenApiResponse(description="invalid filters, or `too_many_rows` (with `row_count`)"),
            429: OpenApiResponse(description="`export_rate_limited` (with `retry_after`, header Retry-After)"),
        },
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        data = ExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = services.export_kind_get(data.validated_data["kind"])
        filters = data.validated_data.get("filters") or {}
        selection = services.export_selection(kind=kind, filters=filters, user=request.user)
        export = services.export_request(
            user=request.user,
            kind=kind,
            fmt=data.validated_data["format"],
            filters=filters,
            selection=selection,
            now=timezone.now(),
            excel_text=data.validated_data["excel_text"],
        )
        export.refresh_from_db()
        return Response(ExportSerializer(export, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(responses={200: ExportSerializer, 404: _ERROR})
class ExportDetailApi(generics.RetrieveAPIView):
    """One of my exports: status and progress (``rows_written``)."""

    serializer_class = ExportSerializer
    permission_classes = [IsMerchant]
    filter_backends: list = []

    def get_queryset(self):
        return exports_of(self.request.user)


class ExportDownloadApi(APIView):
    """The file, for the user who made the export only (others: 404), once this
    login is phone-verified (K1; else 403 ``verification_required``)."""

    permission_classes = [IsMerchant]

    @extend_schema(
        responses={
            # The file's own type, as the response says (found by the schema fuzzer).
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            403: OpenApiResponse(
                description="`verification_required`: verify your phone first (K1: POST /api/v1/auth/verify/send/, "
                "then /api/v1/auth/verify/ with the code; a verification lasts 10 minutes for this token or session)"
            ),
            404: _ERROR,
            409: OpenApiResponse(description="`export_not_ready` or `export_expired`"),
        }
    )
    def get(self, request, pk: int):
        export = get_object_or_404(exports_of(request.user), pk=pk)
        verification_require(login_key=login_key(request), user=request.user, now=timezone.now())
        return export_file_response(export, now=timezone.now())


def export_file_response(export: Export, *, now) -> FileResponse:
    """X3: the file, to its creator (the caller scoped ``export``); refused
    once past its 7 days at the moment of the download, even before the
    hourly job marked it (the download expires it then and there)."""
    if services.export_is_expired(export, now):
        services.export_expire_now(export=export, now=now)
        raise DomainError("export_expired", "This export's file has expired.", status=409)
    if export.status != Export.Status.DONE or not export.file:
        raise DomainError("export_not_ready", f"This export is {export.status}.", status=409)
    path = services.export_file_path(export)
    if not path.exists():
        raise Http404
    kind = get_kind(export.kind)
    reveals = getattr(kind.resource_class, "reveals_contact", None) if kind else None
    if reveals is not None and reveals(export.created_by):
        # O5: the file shows full phones to the person downloading it.
        privacy.record_reveal(
            user=export.created_by, channel="export", export=export, rows=export.rows_written or export.row_count
        )
    return FileResponse(open(path, "rb"), as_attachment=True, filename=export.filename)
