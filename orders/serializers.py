"""Output and input serializers of the orders API (shape only, no rules)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import overdue, privacy, timeline
from .models import AfterSale, CancellationRequest, Notification, Order, OrderEvent, OrderItem, Product, Refund, Shop

TEXT_MAX = 2000
MAX_ID = 2**63 - 1
MONEY_LIMIT = 10**10  # DecimalField(max_digits=12, decimal_places=2)
INTAKE_MAX_ITEMS = 100


@extend_schema_field(
    # What the field accepts, published: 0 ≤ amount < 10¹⁰ with at most two decimals.
    {"type": "string", "format": "decimal", "pattern": r"^(?:\d{1,10}(?:\.\d{0,2})?|\.\d{1,2})$", "example": "99.00"}
)
class MoneyInput(serializers.DecimalField):
    """An amount the API takes: non-negative, 12 digits, 2 decimals."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, min_value=0, **kwargs)


class ShopSerializer(serializers.ModelSerializer):
    deposit_balance = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    rating = serializers.DecimalField(
        source="rating_score", max_digits=5, decimal_places=2, read_only=True, allow_null=True
    )

    class Meta:
        model = Shop
        fields = ["id", "name", "status", "deposit_balance", "rating"]


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "shop", "name", "sku", "price", "stock", "status"]


class OrderItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderItem
        fields = ["product", "name", "quantity", "unit_price"]


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = OrderEvent
        fields = ["kind", "actor", "actor_role", "from_status", "to_status", "note", "data", "created_at"]


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "cause", "amount", "route", "status", "created_at", "settled_at"]


class CancellationSerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="order.order_no", read_only=True)

    class Meta:
        model = CancellationRequest
        fields = [
            "id",
            "order_no",
            "shop",
            "reason",
            "detail",
            "status",
            "requested_at",
            "decided_at",
            "decision_reason",
        ]


class AfterSaleSerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="order.order_no", read_only=True)

    class Meta:
        model = AfterSale
        fields = [
            "id",
            "order_no",
            "shop",
            "type",
            "reason",
            "amount",
            "description",
            "status",
            "created_at",
            "decided_at",
            "decision_note",
            "updated_at",
        ]


class NotificationSerializer(serializers.ModelSerializer):
    read_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When you read it (null: unread by you; colleagues have their own)."
    )

    class Meta:
        model = Notification
        fields = ["id", "shop", "kind", "title", "body", "data", "created_at", "read_at"]


class OrderListSerializer(serializers.ModelSerializer):
    """One row of the order list (no timeline: that is the detail's)."""

    buyer_phone = serializers.SerializerMethodField()
    remaining_ship_seconds = serializers.SerializerMethodField()
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "order_no",
            "shop",
            "status",
            "buyer_name",
            "buyer_phone",
            "placed_at",
            "paid_at",
            "ship_by",
            "remaining_ship_seconds",
            "shipped_at",
            "carrier",
            "tracking_no",
            "in_after_sale",
            "logistics_abnormal",
            "total_amount",
            "refunded_amount",
            "items",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_buyer_phone(self, order: Order) -> str:
        """O5: masked unless the caller holds ``orders.view_buyer_contact``."""
        request = self.context.get("request")
        return privacy.phone_for(getattr(request, "user", None), order)

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_remaining_ship_seconds(self, order: Order) -> int | None:
        """Seconds left before ``ship_by`` (negative when overdue), frozen
        while a cancellation waits for review (P1: the clock stops); null
        once shipped."""
        return overdue.remaining_ship_seconds(order, self.context.get("now") or timezone.now())


class OrderDetailSerializer(OrderListSerializer):
    """The order page. Other apps extend it by subclassing (e.g. penalties
    adds ``violations``) and the detail view picks up
    ``OrderDetailApi.serializer_class``."""

    cancellation = serializers.SerializerMethodField()
    violations = serializers.SerializerMethodField()
    cancellations = CancellationSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)
    after_sales = AfterSaleSerializer(many=True, read_only=True)
    events = serializers.SerializerMethodField()

    class Meta(OrderListSerializer.Meta):
        fields = [
            *OrderListSerializer.Meta.fields,
            "address",
            "completed_at",
            "cancelled_at",
            "closed_at",
            "last_tracking_at",
            "cancellation",
            "cancellations",
            "refunds",
            "after_sales",
            "violations",
            "events",
        ]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "judgement_no": {"type": "integer"},
                    "judged_at": {"type": "string", "format": "date-time"},
                    "charge_status": {"type": "string"},
                    "charged_amount": {"type": "string", "format": "decimal"},
                },
            },
        }
    )
    @extend_schema_field(OrderEventSerializer(many=True))
    def get_events(self, order: Order) -> list[dict]:
        """The timeline: the order's events and the entries other apps keep
        (the judgements, from their violation rows), oldest first."""
        return OrderEventSerializer(timeline.order_timeline(order), many=True).data

    def get_violations(self, order: Order) -> list[dict]:
        """P6: the order's overdue-shipment judgements. Read through the
        reverse relation ``violations`` that the penalties app adds, so
        ``orders`` never imports ``penalties``; empty without that app."""
        if not hasattr(order, "violations"):
            return []
        rows = sorted(order.violations.all(), key=lambda v: (v.judgement_no, v.pk))
        return [
            {
                "id": v.pk,
                "judgement_no": v.judgement_no,
                "judged_at": serializers.DateTimeField().to_representation(v.judged_at),
                "charge_status": v.charge_status,
                "charged_amount": serializers.DecimalField(max_digits=12, decimal_places=2).to_representation(
                    v.charged_amount
                ),
            }
            for v in rows
        ]

    @extend_schema_field(CancellationSerializer(allow_null=True))
    def get_cancellation(self, order: Order):
        """The latest cancellation request, if any."""
        rows = list(order.cancellations.all())
        if not rows:
            return None
        latest = max(rows, key=lambda c: (c.requested_at, c.pk))
        return CancellationSerializer(latest, context=self.context).data


# --- input --------------------------------------------------------------------


class ShipInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=64)
    tracking_no = serializers.CharField(max_length=64)


class CorrectTrackingInput(ShipInput):
    note = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")


class CancelInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=CancellationRequest.Reason.choices)
    detail = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["reason"] == CancellationRequest.Reason.OTHER and not attrs.get("detail", "").strip():
            raise serializers.ValidationError({"detail": ["A reason of 'other' needs a detail."]})
        return attrs


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX)


class IntakeItemInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    unit_price = MoneyInput()


class IntakeItemList(serializers.ListSerializer):
    """The items of an intake order: 1 to ``INTAKE_MAX_ITEMS``, as the schema says."""

    def __init__(self, *args, **kwargs):
        kwargs.update(allow_empty=False, min_length=1, max_length=INTAKE_MAX_ITEMS)
        super().__init__(*args, **kwargs)


IntakeItemInput.Meta = type("Meta", (), {"list_serializer_class": IntakeItemList})


class IntakeItemListSchema(OpenApiSerializerFieldExtension):
    """Publishes the list's limits (drf-spectacular omits a ListSerializer's)."""

    target_class = IntakeItemList

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._unwrap_list_serializer(self.target, direction)
        return {**schema, "minItems": 1, "maxItems": INTAKE_MAX_ITEMS}


class IntakeOrderInput(serializers.Serializer):
    order_no = serializers.RegexField(r"^[0-9A-Za-z-]{6,32}$", required=False)
    shop = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    buyer_name = serializers.CharField(max_length=100)
    buyer_phone = serializers.RegexField(r"^\+?[0-9][0-9 ()-]{5,24}$", max_length=32)
    address = serializers.CharField(max_length=500)
    items = IntakeItemInput(many=True)
    placed_at = serializers.DateTimeField(required=False)
    paid_at = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        total = sum(item["unit_price"] * item["quantity"] for item in attrs["items"])
        if total >= MONEY_LIMIT:
            raise serializers.ValidationError({"items": ["The order total is too large."]})
        return attrs


class PayInput(serializers.Serializer):
    paid_at = serializers.DateTimeField(required=False)


class DeliveredInput(serializers.Serializer):
    delivered_at = serializers.DateTimeField()


class TrackingInput(serializers.Serializer):
    event_at = serializers.DateTimeField()
    description = serializers.CharField(max_length=500)


class IntakeAfterSaleInput(serializers.Serializer):
    order_no = serializers.CharField(max_length=32)
    type = serializers.ChoiceField(choices=AfterSale.Type.choices)
    reason = serializers.ChoiceField(choices=AfterSale.Reason.choices)
    amount = MoneyInput()
    description = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")
