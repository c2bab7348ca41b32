"""Orders API (API.md). Views are thin: selectors read, services write."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import CursorPagination, IsIntake, IsMerchant, IsReviewer
from config.sync import SyncListMixin

from . import overdue, selectors, services
from .errors import OrderError
from .filters import AfterSaleFilter, CancellationFilter, NotificationFilter, OrderFilter, ProductFilter
from .idempotency import idempotent
from .models import Notification, Product
from .serializers import (
    AfterSaleSerializer,
    CancelInput,
    CancellationSerializer,
    CorrectTrackingInput,
    DeliveredInput,
    IntakeAfterSaleInput,
    IntakeOrderInput,
    NoteInput,
    NotificationSerializer,
    OrderDetailSerializer,
    OrderListSerializer,
    PayInput,
    ProductSerializer,
    ReasonInput,
    ShipInput,
    ShopSerializer,
    TrackingInput,
)

E400 = OpenApiResponse(description="invalid input (`code`, `detail`, `errors`)")
E404 = OpenApiResponse(description="not found, or another shop's row")
E409 = OpenApiResponse(description="not allowed in the current state (stable `code`)")
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False, description="Replays the first answer on retry."
)


class OrderPagination(CursorPagination):
    ordering = ("-placed_at", "-id")


def _detail(request, order, *, status_code=200) -> Response:
    order = selectors.order_detail_queryset(type(order).objects.filter(pk=order.pk)).get()
    data = OrderDetailApi.serializer_class(order, context={"request": request}).data
    return Response(data, status=status_code)


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ShopListApi(generics.ListAPIView):
    """My shops: the shops the caller is a member of."""

    serializer_class = ShopSerializer
    permission_classes = [IsMerchant]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.shops_visible_to(self.request.user).order_by("-id")


class ProductListApi(generics.ListAPIView):
    """My products; filters ``shop``, ``status``."""

    serializer_class = ProductSerializer
    permission_classes = [IsMerchant]
    filterset_class = ProductFilter
    queryset = Product.objects.none()

    def get_queryset(self):
        return selectors.products_for(self.request.user)


@extend_schema(responses={200: OrderListSerializer(many=True), 400: E400})
class OrderListApi(SyncListMixin, generics.ListAPIView):
    """O2: my shops' orders, newest first, with every search filter."""

    serializer_class = OrderListSerializer
    permission_classes = [IsMerchant]
    filterset_class = OrderFilter
    pagination_class = OrderPagination

    def get_queryset(self):
        return (
            overdue.with_hold(selectors.orders_for(self.request.user)).select_related("shop").prefetch_related("items")
        )


class OrderDetailApi(generics.RetrieveAPIView):
    """The order page: items, masked buyer, amounts, deadline, shipment,
    cancellation, refunds, after-sales and the event timeline."""

    serializer_class = OrderDetailSerializer
    permission_classes = [IsMerchant]
    filter_backends: list = []
    lookup_field = "order_no"

    def get_queryset(self):
        return selectors.order_detail_queryset(selectors.orders_for(self.request.user))

    def get_object(self):
        return selectors.order_detail_for(self.request.user, self.kwargs["order_no"])


class OrderShipApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(
        request=ShipInput,
        parameters=[IDEMPOTENCY],
        responses={200: OrderDetailSerializer, 400: E400, 404: E404, 409: E409},
        summary="Ship an order (O3)",
    )
    @idempotent
    def post(self, request, order_no: str):
        data = _valid(ShipInput, request)
        order = selectors.order_get_for(request.user, order_no)
        order = services.order_ship(order=order, **data, by=request.user, now=timezone.now())
        return _detail(request, order)


class OrderCorrectTrackingApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(
        request=CorrectTrackingInput,
        parameters=[IDEMPOTENCY],
        responses={200: OrderDetailSerializer, 400: E400, 404: E404, 409: E409},
        summary="Correct the tracking number of a shipped order (O3, logged)",
    )
    @idempotent
    def post(self, request, order_no: str):
        data = _valid(CorrectTrackingInput, request)
        order = selectors.order_get_for(request.user, order_no)
        order = services.order_tracking_correct(order=order, **data, by=request.user, now=timezone.now())
        return _detail(request, order)


class OrderCancelApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(
        request=CancelInput,
        parameters=[IDEMPOTENCY],
        responses={201: CancellationSerializer, 400: E400, 404: E404, 409: E409},
        summary="Ask the platform to cancel an order (C1–C4)",
    )
    @idempotent
    def post(self, request, order_no: str):
        data = _valid(CancelInput, request)
        order = selectors.order_get_for(request.user, order_no)
        request_ = services.cancellation_request(order=order, **data, by=request.user, now=timezone.now())
        return Response(CancellationSerializer(request_).data, status=status.HTTP_201_CREATED)


class AfterSaleListApi(SyncListMixin, generics.ListAPIView):
    """A1: my shops' after-sale requests."""

    serializer_class = AfterSaleSerializer
    permission_classes = [IsMerchant]
    filterset_class = AfterSaleFilter

    def get_queryset(self):
        return selectors.after_sales_for(self.request.user)


class AfterSaleApproveApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(
        request=NoteInput,
        parameters=[IDEMPOTENCY],
        responses={200: AfterSaleSerializer, 400: E400, 404: E404, 409: E409},
        summary="Approve an after-sale (A2; refund types issue the refund)",
    )
    @idempotent
    def post(self, request, pk: int):
        data = _valid(NoteInput, request)
        after_sale = selectors.after_sale_get_for(request.user, pk)
        after_sale = services.after_sale_approve(after_sale=after_sale, **data, by=request.user, now=timezone.now())
        return Response(AfterSaleSerializer(after_sale).data)


class AfterSaleRejectApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(
        request=ReasonInput,
        parameters=[IDEMPOTENCY],
        responses={200: AfterSaleSerializer, 400: E400, 404: E404, 409: E409},
        summary="Reject an after-sale with a reason (A2)",
    )
    @idempotent
    def post(self, request, pk: int):
        data = _valid(ReasonInput, request)
        after_sale = selectors.after_sale_get_for(request.user, pk)
        after_sale = services.after_sale_reject(after_sale=after_sale, **data, by=request.user, now=timezone.now())
        return Response(AfterSaleSerializer(after_sale).data)


class NotificationListApi(generics.ListAPIView):
    serializer_class = NotificationSerializer
    permission_classes = [IsMerchant]
    filterset_class = NotificationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Notification.objects.none()
        return selectors.notifications_for(self.request.user)


class NotificationReadApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(request=None, responses={200: NotificationSerializer, 404: E404}, summary="Mark read")
    def post(self, request, pk: int):
        notification = selectors.notification_get_for(request.user, pk)
        notification.read_at = services.notification_mark_read(
            notification=notification, user=request.user, now=timezone.now()
        )
        return Response(NotificationSerializer(notification).data)


# --- reviewer -------------------------------------------------------------------------


class CancellationListApi(generics.ListAPIView):
    """C3/C5: cancellation requests for reviewers."""

    serializer_class = CancellationSerializer
    permission_classes = [IsReviewer]
    filterset_class = CancellationFilter

    def get_queryset(self):
        return selectors.cancellations_all()


class CancellationApproveApi(APIView):
    permission_classes = [IsReviewer]

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY],
        responses={200: CancellationSerializer, 404: E404, 409: E409},
        summary="Approve: order cancelled, full refund issued (C3, F1, F2)",
    )
    @idempotent
    def post(self, request, pk: int):
        cancellation = selectors.cancellation_get(pk)
        cancellation = services.cancellation_approve(cancellation=cancellation, by=request.user, now=timezone.now())
        return Response(CancellationSerializer(cancellation).data)


class CancellationRejectApi(APIView):
    permission_classes = [IsReviewer]

    @extend_schema(
        request=ReasonInput,
        parameters=[IDEMPOTENCY],
        responses={200: CancellationSerializer, 400: E400, 404: E404, 409: E409},
        summary="Reject with a reason (C3)",
    )
    @idempotent
    def post(self, request, pk: int):
        data = _valid(ReasonInput, request)
        cancellation = selectors.cancellation_get(pk)
        cancellation = services.cancellation_reject(
            cancellation=cancellation, reason=data["reason"], by=request.user, now=timezone.now()
        )
        return Response(CancellationSerializer(cancellation).data)


# --- intake (storefront and carriers) ----------------------------------------------------


class IntakeOrderCreateApi(APIView):
    permission_classes = [IsIntake]

    @extend_schema(
        request=IntakeOrderInput,
        parameters=[IDEMPOTENCY],
        responses={201: OrderDetailSerializer, 400: E400, 409: E409},
        summary="Push an order placed on the storefront",
    )
    @idempotent
    def post(self, request):
        from .models import Shop

        data = _valid(IntakeOrderInput, request)
        shop = Shop.objects.filter(pk=data["shop"]).first()
        if shop is None:
            raise OrderError("unknown_shop", "Unknown shop.", status=400)
        wanted = {item["product"] for item in data["items"]}
        products = {p.pk: p for p in Product.objects.filter(pk__in=wanted)}
        if set(products) != wanted:
            raise OrderError("unknown_product", "Unknown product.", status=400)
        items = [
            services.ItemSpec(product=products[i["product"]], quantity=i["quantity"], unit_price=i["unit_price"])
            for i in data["items"]
        ]
        now = timezone.now()
        services.intake_times_check(shop=shop, placed_at=data.get("placed_at"), paid_at=data.get("paid_at"), now=now)
        with transaction.atomic():
            order = services.order_place(
                shop=shop,
                buyer_name=data["buyer_name"],
                buyer_phone=data["buyer_phone"],
                address=data["address"],
                items=items,
                now=now,
                placed_at=data.get("placed_at"),
                paid_at=data.get("paid_at"),
                order_no=data.get("order_no"),
                by=request.user,
            )
        return _detail(request, order, status_code=status.HTTP_201_CREATED)


class IntakeOrderPayApi(APIView):
    permission_classes = [IsIntake]

    @extend_schema(
        request=PayInput,
        parameters=[IDEMPOTENCY],
        responses={200: OrderDetailSerializer, 400: E400, 404: E404, 409: E409},
        summary="Record the payment (→ awaiting_shipment, ship_by set)",
    )
    @idempotent
    def post(self, request, order_no: str):
        data = _valid(PayInput, request)
        order = selectors.order_get_any(order_no)
        now = timezone.now()
        if data.get("paid_at"):
            services.intake_times_check(shop=order.shop, placed_at=order.placed_at, paid_at=data["paid_at"], now=now)
        order = services.order_pay(order=order, paid_at=data.get("paid_at") or now, now=now, by=request.user)
        return _detail(request, order)


class IntakeOrderTrackingApi(APIView):
    permission_classes = [IsIntake]

    @extend_schema(
        request=TrackingInput,
        parameters=[IDEMPOTENCY],
        responses={200: OrderDetailSerializer, 400: E400, 404: E404, 409: E409},
        summary="A carrier's tracking update (clears logistics abnormal, O4)",
    )
    @idempotent
    def post(self, request, order_no: str):
        data = _valid(TrackingInput, request)
        order = selectors.order_get_any(order_no)
        order = services.order_tracking_update(order=order, **data, by=request.user, now=timezone.now())
        return _detail(request, order)


class IntakeOrderDeliveredApi(APIView):
    permission_classes = [IsIntake]

    @extend_schema(
        request=DeliveredInput,
        parameters=[IDEMPOTENCY],
        responses={200: OrderDetailSerializer, 400: E400, 404: E404, 409: E409},
        summary="The carrier's delivery confirmation (completed after the buyer's window, O6)",
    )
    @idempotent
    def post(self, request, order_no: str):
        data = _valid(DeliveredInput, request)
        order = selectors.order_get_any(order_no)
        order = services.order_delivered(order=order, **data, by=request.user, now=timezone.now())
        return _detail(request, order)


class IntakeAfterSaleCreateApi(APIView):
    permission_classes = [IsIntake]

    @extend_schema(
        request=IntakeAfterSaleInput,
        parameters=[IDEMPOTENCY],
        responses={201: AfterSaleSerializer, 400: E400, 404: E404, 409: E409},
        summary="Open an after-sale request for the buyer (A1)",
    )
    @idempotent
    def post(self, request):
        data = _valid(IntakeAfterSaleInput, request)
        order = selectors.order_get_any(data.pop("order_no"))
        after_sale = services.after_sale_open(order=order, **data, by=request.user, now=timezone.now())
        return Response(AfterSaleSerializer(after_sale).data, status=status.HTTP_201_CREATED)
