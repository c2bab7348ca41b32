"""Merchant-facing penalties endpoints (API.md): read-only, scoped to the
caller's shops, cursor-paginated newest first."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics

from config.api import IsMerchant

from . import selectors
from .filters import DepositEntryFilter, ShopRatingFilter, ViolationFilter
from .serializers import DepositEntrySerializer, ShopRatingSerializer, ViolationSerializer

BAD_FILTER = {400: OpenApiResponse(description="Invalid filter value.")}


@extend_schema(responses={200: ViolationSerializer(many=True), **BAD_FILTER})
class ViolationListApi(generics.ListAPIView):
    """P6: my shops' overdue-shipment judgements, each with its charge and
    when the next judgement would fall."""

    serializer_class = ViolationSerializer
    permission_classes = [IsMerchant]
    filterset_class = ViolationFilter

    def get_queryset(self):
        return selectors.violations_for(self.request.user)


@extend_schema(responses={200: DepositEntrySerializer(many=True), **BAD_FILTER})
class DepositEntryListApi(generics.ListAPIView):
    """P8: my shops' deposit ledger, each entry with its signed amount and
    the running balance after it."""

    serializer_class = DepositEntrySerializer
    permission_classes = [IsMerchant]
    filterset_class = DepositEntryFilter

    def get_queryset(self):
        return selectors.deposit_entries_for(self.request.user)


@extend_schema(responses={200: ShopRatingSerializer(many=True), **BAD_FILTER})
class ShopRatingListApi(generics.ListAPIView):
    """R1: my shops' daily ratings, the score and its components."""

    serializer_class = ShopRatingSerializer
    permission_classes = [IsMerchant]
    filterset_class = ShopRatingFilter

    def get_queryset(self):
        return selectors.ratings_for(self.request.user)
