"""Tickets API (API.md): merchants list, read and reply (scoped to their
shops); support staff open, approve and reject, and may list and read every
ticket. Views are thin: selectors read, services write."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import IsMerchant, IsSupport
from config.parsers import JSONParser
from config.sync import SyncListMixin
from orders.idempotency import idempotent
from orders.models import Order

from . import services
from .errors import TicketError
from .filters import TicketFilter
from .models import ServiceType, Ticket, TicketEvidence, TicketReply
from .selectors import is_support, tickets_visible_to
from .serializers import (
    TicketApproveInput,
    TicketDetailSerializer,
    TicketOpenInput,
    TicketRejectInput,
    TicketReplyInput,
    TicketReplyJsonInput,
    TicketSerializer,
)

E400 = OpenApiResponse(description="invalid input (`invalid`, `message_required`, `evidence_required`, …)")
E403 = OpenApiResponse(description="not allowed for this role")
E404 = OpenApiResponse(description="no such ticket, or not yours")
E404_ORDER = OpenApiResponse(description="order_not_found")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False, description="Replays the first answer on retry."
)
E409 = OpenApiResponse(description="not allowed in the ticket's current state (`ticket_closed`, …)")


class IsMerchantNotSupport(permissions.BasePermission):
    """Replies are the merchant's: support staff cannot reply as a merchant."""

    message = "Support staff cannot reply as a merchant."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and not is_support(request.user))


def _detail_queryset(user):
    return tickets_visible_to(user).prefetch_related(
        Prefetch("replies", queryset=TicketReply.objects.select_related("author").prefetch_related("images")),
        "events",
    )


def _get_ticket(user, ticket_no: str, *, detail: bool = False) -> Ticket:
    qs = _detail_queryset(user) if detail else tickets_visible_to(user)
    ticket = qs.filter(ticket_no=ticket_no).first()
    if ticket is None:
        raise TicketError("not_found", _("No such ticket."), status=404)
    return ticket


def _detail_response(user, ticket_no: str, *, now, code=status.HTTP_200_OK) -> Response:
    ticket = _get_ticket(user, ticket_no, detail=True)
    return Response(TicketDetailSerializer(ticket, context={"now": now}).data, status=code)


@extend_schema_view(
    get=extend_schema(summary="List tickets (merchant: my shops; support: all)", responses={200: TicketSerializer}),
)
class TicketListApi(SyncListMixin, generics.ListAPIView):
    """GET: merchants see their shops' tickets; support staff see all.
    POST (support): open a ticket for an order (T1)."""

    serializer_class = TicketSerializer
    filterset_class = TicketFilter

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsSupport()]
        return [IsMerchant()]

    def get_queryset(self):
        return tickets_visible_to(self.request.user).order_by("-id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        summary="Open a ticket for an order (support staff)",
        request=TicketOpenInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: TicketDetailSerializer,
            400: E400,
            403: E403,
            404: OpenApiResponse(description="order_not_found"),
        },
    )
    @idempotent
    def post(self, request):
        data = TicketOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order = Order.objects.filter(order_no=v["order_no"].strip()).first()
        if order is None:
            raise TicketError("order_not_found", _("No such order."), status=404)
        service_type = ServiceType.objects.filter(code=v["service_type"].strip(), active=True).first()
        if service_type is None:
            raise TicketError("unknown_service_type", _("No such service type."), status=400)
        now = timezone.now()
        ticket = services.ticket_open(
            order=order, service_type=service_type, description=v["description"], by=request.user, now=now
        )
        return _detail_response(request.user, ticket.ticket_no, now=now, code=status.HTTP_201_CREATED)


class TicketDetailApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(
        summary="A ticket with its countdown, replies and events", responses={200: TicketDetailSerializer, 404: E404}
    )
    def get(self, request, ticket_no: str):
        return _detail_response(request.user, ticket_no, now=timezone.now())


class TicketReplyApi(APIView):
    """T2: the merchant handles a pending ticket (JSON, or multipart with up to 4 images)."""

    permission_classes = [IsMerchantNotSupport]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="Reply to a pending ticket (merchant)",
        description="409 `ticket_timed_out` at or after the handling deadline: the reply is refused and the "
        "ticket is closed as timed out by this call, whether or not the minute job has run (T3). "
        "409 `ticket_in_review` / `ticket_closed` otherwise.",
        request={"application/json": TicketReplyJsonInput, "multipart/form-data": TicketReplyInput},
        parameters=[IDEMPOTENCY_KEY],
        responses={200: TicketDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )
    @idempotent
    def post(self, request, ticket_no: str):
        ticket = _get_ticket(request.user, ticket_no)
        data = TicketReplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        now = timezone.now()
        services.ticket_reply(
            ticket=ticket, message=v["message"], agreed=v["agreed"], images=v["images"], by=request.user, now=now
        )
        return _detail_response(request.user, ticket_no, now=now)


class TicketApproveApi(APIView):
    permission_classes = [IsSupport]

    @extend_schema(
        summary="Approve the merchant's handling: in_review → closed (support)",
        request=TicketApproveInput,
        responses={200: TicketDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )
    def post(self, request, ticket_no: str):
        ticket = _get_ticket(request.user, ticket_no)
        data = TicketApproveInput(data=request.data)
        data.is_valid(raise_exception=True)
        now = timezone.now()
        services.ticket_approve(ticket=ticket, note=data.validated_data["note"], by=request.user, now=now)
        return _detail_response(request.user, ticket_no, now=now)


class TicketRejectApi(APIView):
    permission_classes = [IsSupport]

    @extend_schema(
        summary="Reject the merchant's handling: in_review → pending, fresh deadline (support)",
        request=TicketRejectInput,
        responses={200: TicketDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )
    def post(self, request, ticket_no: str):
        ticket = _get_ticket(request.user, ticket_no)
        data = TicketRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        now = timezone.now()
        services.ticket_reject(ticket=ticket, reason=data.validated_data["reason"], by=request.user, now=now)
        return _detail_response(request.user, ticket_no, now=now)


class TicketEvidenceApi(APIView):
    """An evidence image, to whoever may read the ticket (not served as public media)."""

    permission_classes = [IsMerchant]

    @extend_schema(
        summary="Download an evidence image of a ticket reply",
        responses={(200, "application/octet-stream"): bytes, 404: E404},
    )
    def get(self, request, ticket_no: str, evidence_id: int):
        ticket = _get_ticket(request.user, ticket_no)
        evidence = TicketEvidence.objects.filter(pk=evidence_id, reply__ticket=ticket).first()
        if evidence is None or not evidence.image.storage.exists(evidence.image.name):
            raise TicketError("not_found", _("No such image."), status=404)
        return FileResponse(evidence.image.open("rb"), filename=evidence.image.name.rsplit("/", 1)[-1])
