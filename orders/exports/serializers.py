"""Shapes of the exports API (API.md: Export)."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
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
            "excel_text",
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
    # CSV only: order, ticket and tracking numbers written as ="…" so Excel keeps them as text.
    excel_text = serializers.BooleanField(required=False, default=False)


class ExportCreateSchema(OpenApiSerializerExtension):
    """The published request body: one shape per export kind (``kind`` names
    it), whose ``filters`` are that kind's list filters with their own types
    and limits and nothing else, as the service validates them; so a
    generated client or fuzzer sends only what the server accepts."""

    target_class = ExportCreateSerializer

    def map_serializer(self, auto_schema, direction):
        from drf_spectacular.plumbing import ResolvedComponent

        from .registry import get_kind, kind_names

        refs = []
        for name in kind_names():
            kind = get_kind(name)
            filters = {
                key: dict(getattr(filter_, "_spectacular_annotation", {}).get("field") or {"type": "string"})
                for key, filter_ in kind.filterset_class.base_filters.items()
            }
            # One component per kind (its enums get names of their own).
            component = ResolvedComponent(
                name=f"{name.title()}ExportRequest",
                type=ResolvedComponent.SCHEMA,
                object=f"{name.title()}ExportRequest",
                schema={
                    "type": "object",
                    "description": f"An export of {name}, filtered as the {name} list is.",
                    "properties": {
                        "kind": {"type": "string", "enum": [name]},
                        "format": {"$ref": "#/components/schemas/ExportFormatEnum"},
                        "excel_text": {
                            "type": "boolean",
                            "default": False,
                            "description": 'CSV only: order, ticket and tracking numbers written as ="…" '
                            "so that Excel shows them as text (not 1.9E+18).",
                        },
                        "filters": {"type": "object", "properties": filters, "additionalProperties": False},
                    },
                    "required": ["kind", "format"],
                    "additionalProperties": False,
                },
            )
            auto_schema.registry.register_on_missing(component)
            refs.append(component.ref)
        return {"oneOf": refs} if len(refs) > 1 else refs[0]
