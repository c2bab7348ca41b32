"""Penalties endpoints (API.md): the merchant's reads, scoped to the caller's
shops and cursor-paginated newest first, and appeals (V1–V3)."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import CursorPagination, IsMerchant, IsReviewer
from config.sync import SyncListMixin

from . import selectors, services
from .filters import AppealFilter, DepositEntryFilter, ShopRatingFilter, ViolationFilter
from .models import AppealEvidence, ViolationChange
from .serializers import (
    AppealApproveInput,
    AppealInput,
    AppealJsonInput,
    AppealRejectInput,
    AppealSerializer,
    DepositEntrySerializer,
    ShopRatingSerializer,
    ViolationSerializer,
)

BAD_FILTER = {400: OpenApiResponse(description="Invalid filter value.")}


@extend_schema(responses={200: ViolationSerializer(many=True), **BAD_FILTER})
class ViolationListApi(SyncListMixin, generics.ListAPIView):
    """P6: my shops' overdue-shipment judgements, each with its charge and
    when the next judgement would fall."""

    serializer_class = ViolationSerializer
    permission_classes = [IsMerchant]
    filterset_class = ViolationFilter
    sync_log = ViolationChange  # W2: walked through its change log (``config.sync_log``)

    def get_queryset(self):
        return selectors.violations_for(self.request.user)


@extend_schema(responses={200: DepositEntrySerializer(many=True), **BAD_FILTER})
class DepositEntryListApi(SyncListMixin, generics.ListAPIView):
    """P8: my shops' deposit ledger, each entry with its signed amount and
    the running balance after it."""

    serializer_class = DepositEntrySerializer
    permission_classes = [IsMerchant]
    filterset_class = DepositEntryFilter
    sync_field = "created_at"  # W2: append-only, an entry's change time is its creation

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


# --- V1–V3: appeals -------------------------------------------------------------

E400 = OpenApiResponse(description="invalid input (`invalid`, `detail_required`, `too_many_images`, `reason_required`)")
E404 = OpenApiResponse(description="not found, or another shop's row (exactly the same answer)")
E409_FILE = OpenApiResponse(description="`appeal_exists` or `appeal_window_closed`")
E409_DECIDE = OpenApiResponse(description="`appeal_not_pending` (already approved or rejected)")


class AppealPagination(CursorPagination):
    """V2: oldest first, the order reviewers work the queue in."""

    ordering = ("created_at", "id")


class ViolationAppealApi(APIView):
    """V1: appeal one of my shops' violations within the window, once."""

    permission_classes = [IsMerchant]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        summary="Appeal a violation (merchant)",
        request={"application/json": AppealJsonInput, "multipart/form-data": AppealInput},
        responses={201: AppealSerializer, 400: E400, 404: E404, 409: E409_FILE},
    )
    def post(self, request, pk: int):
        violation = get_object_or_404(selectors.violations_for(request.user), pk=pk)
        data = AppealInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        appeal = services.appeal_file(
            violation=violation,
            reason=v["reason"],
            detail=v["detail"],
            images=v["evidence"],
            by=request.user,
            now=timezone.now(),
        )
        appeal = selectors.appeals_for(request.user).get(pk=appeal.pk)
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: AppealSerializer(many=True), **BAD_FILTER})
class AppealListApi(generics.ListAPIView):
    """V1/V2: merchants see their shops' appeals, reviewers all of them, oldest
    first (with ``status=pending_review``: the review queue, each with its
    ``review_due_at``, 48 h after filing)."""

    serializer_class = AppealSerializer
    permission_classes = [IsMerchant]
    filterset_class = AppealFilter
    pagination_class = AppealPagination

    def get_queryset(self):
        return selectors.appeals_for(self.request.user)


@extend_schema(responses={200: AppealSerializer, 404: E404})
class AppealDetailApi(generics.RetrieveAPIView):
    """One appeal (merchant: own shops only; reviewer: any)."""

    serializer_class = AppealSerializer
    permission_classes = [IsMerchant]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.appeals_for(self.request.user)


class AppealEvidenceApi(APIView):
    """An evidence image of an appeal, to whoever may read the appeal."""

    permission_classes = [IsMerchant]

    @extend_schema(
        summary="Download an evidence image of an appeal",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: E404},
    )
    def get(self, request, pk: int, evidence_id: int):
        appeal = get_object_or_404(selectors.appeals_for(request.user), pk=pk)
        evidence = AppealEvidence.objects.filter(pk=evidence_id, appeal=appeal).first()
        if evidence is None or not evidence.image.storage.exists(evidence.image.name):
            raise Http404
        return FileResponse(evidence.image.open("rb"), filename=evidence.image.name.rsplit("/", 1)[-1])


class AppealApproveApi(APIView):
    """V2/V3: grant the appeal (reviewer); its effects happen once."""

    permission_classes = [IsReviewer]

    @extend_schema(
        summary="Approve an appeal: deduction given back, ban lifted, no longer counted (reviewer)",
        request=AppealApproveInput,
        responses={200: AppealSerializer, 400: E400, 404: E404, 409: E409_DECIDE},
    )
    def post(self, request, pk: int):
        data = AppealApproveInput(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = get_object_or_404(selectors.appeals_for(request.user), pk=pk)
        services.appeal_approve(appeal=appeal, by=request.user, note=data.validated_data["note"], now=timezone.now())
        return Response(AppealSerializer(selectors.appeals_for(request.user).get(pk=pk)).data)


class AppealRejectApi(APIView):
    """V2: refuse the appeal with a reason (reviewer)."""

    permission_classes = [IsReviewer]

    @extend_schema(
        summary="Reject an appeal with a reason (reviewer)",
        request=AppealRejectInput,
        responses={200: AppealSerializer, 400: E400, 404: E404, 409: E409_DECIDE},
    )
    def post(self, request, pk: int):
        data = AppealRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = get_object_or_404(selectors.appeals_for(request.user), pk=pk)
        services.appeal_reject(appeal=appeal, by=request.user, reason=data.validated_data["reason"], now=timezone.now())
        return Response(AppealSerializer(selectors.appeals_for(request.user).get(pk=pk)).data)
