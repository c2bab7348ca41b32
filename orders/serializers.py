"""Output and input serializers of the orders API (shape only, no rules)."""

from rest_framework import serializers

from .models import Shop


class ShopSerializer(serializers.ModelSerializer):
    deposit_balance = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    rating = serializers.DecimalField(source="rating_score", max_digits=5, decimal_places=2, read_only=True)

    class Meta:
        model = Shop
        fields = ["id", "name", "status", "deposit_balance", "rating"]
