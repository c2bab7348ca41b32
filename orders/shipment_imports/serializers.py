from __future__ import annotations

from rest_framework import serializers

from .models import ShipmentImport, ShipmentImportRow


class ShipmentImportSerializer(serializers.ModelSerializer):
    result_url = serializers.SerializerMethodField()

    class Meta:
        model = ShipmentImport
        fields = [
            "id",
            "shop",
            "status",
            "dry_run",
            "filename",
            "total_rows",
            "shipped",
            "unchanged",
            "refused",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "result_url",
        ]

    def get_result_url(self, obj) -> str | None:
        if not obj.result_file:
            return None
        return f"/api/v1/shipment-imports/{obj.pk}/result/"


class ShipmentImportRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShipmentImportRow
        fields = ["row", "order_no", "code", "detail"]


class ShipmentImportInput(serializers.Serializer):
    file = serializers.FileField()
    shop = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    dry_run = serializers.BooleanField(default=False)
