"""Bulk shipping API (W3, API.md "Bulk shipping"). Thin: services decide."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import CursorPagination, IsMerchant
from config.parsers import JSONParser

from ..selectors import shop_ids_visible_to, shops_visible_to
from . import services
from .models import ShipmentImport, ShipmentImportRow
from .serializers import ShipmentImportInput, ShipmentImportRowSerializer, ShipmentImportSerializer

_ERROR = OpenApiResponse(description='{"code", "detail"}')


def imports_for(user):
    return ShipmentImport.objects.filter(shop_id__in=shop_ids_visible_to(user)).defer("rows_data")


class ShipmentImportListCreateApi(generics.ListAPIView):
    """My shops' imports, newest first; POST uploads a file (202, run in the background)."""

    serializer_class = ShipmentImportSerializer
    permission_classes = [IsMerchant]
    # The contract is multipart; a JSON body (no file) is read safely and refused as invalid.
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filter_backends: list = []

    def get_queryset(self):
        return imports_for(self.request.user).order_by("-id")

    @extend_schema(
        request={"multipart/form-data": ShipmentImportInput},
        responses={
            202: ShipmentImportSerializer,
            400: OpenApiResponse(description="`invalid`, `bad_file` (with the reason), `too_many_rows`"),
            404: _ERROR,
        },
    )
    def post(self, request, *args, **kwargs):
        data = ShipmentImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        shop = get_object_or_404(shops_visible_to(request.user), pk=v["shop"])
        upload = v["file"]
        imp = services.shipment_import_create(
            shop=shop,
            user=request.user,
            name=upload.name or "upload",
            content=upload.read(),
            dry_run=v["dry_run"],
            now=timezone.now(),
        )
        imp.refresh_from_db()
        return Response(ShipmentImportSerializer(imp).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(responses={200: ShipmentImportSerializer, 404: _ERROR})
class ShipmentImportDetailApi(generics.RetrieveAPIView):
    serializer_class = ShipmentImportSerializer
    permission_classes = [IsMerchant]
    filter_backends: list = []

    def get_queryset(self):
        return imports_for(self.request.user)


class RowPagination(CursorPagination):
    ordering = "id"


@extend_schema(responses={200: ShipmentImportRowSerializer(many=True), 404: _ERROR})
class ShipmentImportRowsApi(generics.ListAPIView):
    """The refused rows (in a dry run: the rows that would be refused), in file order."""

    serializer_class = ShipmentImportRowSerializer
    permission_classes = [IsMerchant]
    pagination_class = RowPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no path
            return ShipmentImportRow.objects.none()
        imp = get_object_or_404(imports_for(self.request.user), pk=self.kwargs["pk"])
        return ShipmentImportRow.objects.filter(shipment_import=imp)


class ShipmentImportResultApi(APIView):
    """The result file: every row with its outcome (CSV)."""

    permission_classes = [IsMerchant]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY, 404: _ERROR})
    def get(self, request, pk: int):
        imp = get_object_or_404(imports_for(request.user), pk=pk)
        if not imp.result_file:
            raise Http404
        return FileResponse(imp.result_file.open("rb"), as_attachment=True, filename=f"shipment-import-{imp.pk}.csv")
