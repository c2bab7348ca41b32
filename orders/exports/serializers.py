"""Shapes of the exports API (API.md: Export)."""

from rest_framework import serializers

from .models import Export


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
