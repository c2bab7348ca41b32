"""Output serializers of the penalties API (shape only, no rules)."""

from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from tickets.validators import validate_evidence_image

from . import formula
from .models import Appeal, DepositEntry, ShopRating, Violation
from .selectors import next_judgement_at


class ViolationSerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="order.order_no", read_only=True)
    next_judgement_at = serializers.SerializerMethodField(
        help_text="When the order's next judgement falls if it is still not shipped (P2); null if none."
    )
    appeal = serializers.SerializerMethodField(help_text="The merchant's appeal of this judgement (V1), or null.")

    class Meta:
        model = Violation
        fields = [
            "id",
            "order_no",
            "shop",
            "judgement_no",
            "judged_at",
            "judgement_day",
            "charge_status",
            "charged_amount",
            "waive_reason",
            "settled_at",
            "next_judgement_at",
            "appeal",
            "appeal_granted",
            "updated_at",
        ]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_judgement_at(self, obj):
        value = next_judgement_at(obj)
        return serializers.DateTimeField().to_representation(value) if value else None

    @extend_schema_field(
        inline_serializer(
            "ViolationAppeal",
            {"id": serializers.IntegerField(), "status": serializers.ChoiceField(choices=Appeal.Status.choices)},
            allow_null=True,
        )
    )
    def get_appeal(self, obj):
        appeal = getattr(obj, "appeal", None)  # a missing reverse one-to-one raises AttributeError
        return {"id": appeal.pk, "status": appeal.status} if appeal else None


class AppealSerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="order.order_no", read_only=True)
    evidence = serializers.SerializerMethodField(help_text="URLs of the evidence images.")

    class Meta:
        model = Appeal
        fields = [
            "id",
            "violation",
            "order_no",
            "shop",
            "reason",
            "detail",
            "status",
            "decision_note",
            "created_at",
            "review_due_at",
            "decided_at",
            "evidence",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_evidence(self, obj) -> list[str]:
        return [reverse("appeal-evidence", args=[obj.pk, image.pk]) for image in obj.images.all()]


class AppealJsonInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Appeal.Reason.choices)
    detail = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AppealInput(AppealJsonInput):
    evidence = serializers.ListField(
        child=serializers.ImageField(validators=[validate_evidence_image]),
        required=False,
        default=list,
        max_length=4,
        help_text="Evidence images (multipart/form-data): at most 4, JPEG/PNG/WebP/GIF, 5 MB each.",
    )


class AppealApproveInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AppealRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class DepositEntrySerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="violation.order.order_no", read_only=True, default=None, allow_null=True)
    # W2: the ledger is append-only, so an entry's change time is its creation time.
    updated_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = DepositEntry
        fields = [
            "id",
            "shop",
            "kind",
            "amount",
            "balance_after",
            "created_at",
            "business_day",
            "violation",
            "order_no",
            "reason",
            "updated_at",
        ]


class ShopRatingSerializer(serializers.ModelSerializer):
    shop_name = serializers.CharField(source="shop.name", read_only=True)
    components = serializers.SerializerMethodField(
        help_text="Per component: numerator, denominator, rate, weight, and a link to what counted."
    )
    formula = serializers.SerializerMethodField()

    class Meta:
        model = ShopRating
        fields = ["id", "shop", "shop_name", "day", "score", "components", "formula", "computed_at"]

    @extend_schema_field(serializers.DictField())
    def get_components(self, obj):
        comps = {k: dict(v) for k, v in obj.components.items() if k != "window"}
        window = obj.components.get("window") or {}
        since, until = window.get("since"), window.get("until")
        if since and until and "overdue_shipment" in comps:
            query = urlencode({"shop": obj.shop_id, "judged_after": since, "judged_before": until})
            comps["overdue_shipment"]["counted"] = f"/api/v1/violations/?{query}"
        if since and until:
            for name in ("merchant_cancellation", "quality_return"):
                if name in comps:
                    query = urlencode({"shop": obj.shop_id, "placed_after": since, "placed_before": until})
                    comps[name]["counted"] = f"/api/v1/orders/?{query}"
        return comps

    @extend_schema_field(serializers.CharField())
    def get_formula(self, obj):
        weights = " + ".join(f"{w} × {name}" for name, w in formula.WEIGHTS.items())
        return f"score = 100 × (1 − ({weights}))"
