"""Output serializers of the penalties API (shape only, no rules)."""

from urllib.parse import urlencode

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import formula
from .models import DepositEntry, ShopRating, Violation
from .selectors import next_judgement_at


class ViolationSerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="order.order_no", read_only=True)
    next_judgement_at = serializers.SerializerMethodField(
        help_text="When the order's next judgement falls if it is still not shipped (P2); null if none."
    )

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
        ]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_judgement_at(self, obj):
        value = next_judgement_at(obj)
        return serializers.DateTimeField().to_representation(value) if value else None


class DepositEntrySerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="violation.order.order_no", read_only=True, default=None, allow_null=True)

    class Meta:
        model = DepositEntry
        fields = ["id", "shop", "kind", "amount", "balance_after", "created_at", "violation", "order_no", "reason"]


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
