"""Shapes of the exports API (API.md: Export)."""

from django.utils import timezone
from rest_framework import serializers

from .models import Export
from .services import export_is_expired


class ExportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "kind",
            "format",
            "status",
            "row_count",
            "rows_written",
            "size_bytes",
            "created_at",
            "finished_at",
            "error",
            "download_url",
        ]
        read_only_fields = fields

    def to_representation(self, obj):
        """X3 at the moment of reading: a record past its 7 days shows
        ``expired`` (and no link) even before the hourly job marked it."""
        data = super().to_representation(obj)
        if obj.status == Export.Status.DONE and export_is_expired(obj, self.context.get("now") or timezone.now()):
            data["status"], data["download_url"] = Export.Status.EXPIRED.value, None
        return data

    def get_download_url(self, obj) -> str | None:
        if obj.status != Export.Status.DONE:
            return None
        request = self.context.get("request")
        path = f"/api/v1/exports/{obj.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class ExportCreateSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=32)
    format = serializers.ChoiceField(choices=Export.Format.choices)
    filters = serializers.DictField(required=False, default=dict)
