"""Input and output shapes of the tickets API (no rules here)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Ticket, TicketEvent, TicketEvidence, TicketReply
from .validators import max_evidence_images, validate_evidence_image


class TicketEvidenceSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvidence
        fields = ["id", "name", "size", "url", "created_at"]

    def get_url(self, obj) -> str:
        return reverse("ticket-evidence", args=[obj.reply.ticket.ticket_no, obj.pk])

    def get_name(self, obj) -> str:
        return obj.image.name.rsplit("/", 1)[-1]


class TicketReplySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    images = TicketEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = TicketReply
        fields = ["id", "author", "message", "agreed", "images", "created_at"]


class TicketEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketEvent
        # The acting person is named by role only: merchants need not see support agents' logins.
        fields = ["kind", "actor_role", "from_status", "to_status", "note", "created_at"]


class TicketSerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="order.order_no", read_only=True)
    service_type = serializers.CharField(source="service_type.code", read_only=True)
    service_type_name = serializers.CharField(source="service_type.name", read_only=True)
    remaining_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "ticket_no",
            "order_no",
            "shop",
            "service_type",
            "service_type_name",
            "status",
            "outcome",
            "description",
            "handle_deadline",
            "remaining_seconds",
            "first_reply_at",
            "last_rejection_reason",
            "last_rejected_at",
            "created_at",
            "closed_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_remaining_seconds(self, obj) -> int | None:
        """T3: seconds left while pending (0 once past the deadline), null otherwise."""
        now = self.context.get("now") or timezone.now()
        return obj.remaining_seconds(now)


class TicketDetailSerializer(TicketSerializer):
    replies = TicketReplySerializer(many=True, read_only=True)
    events = TicketEventSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "replies", "events"]


class TicketOpenInput(serializers.Serializer):
    order_no = serializers.CharField(max_length=32)
    service_type = serializers.CharField(max_length=32)
    description = serializers.CharField(max_length=2000)


class TicketReplyInput(serializers.Serializer):
    message = serializers.CharField(max_length=2000)
    agreed = serializers.BooleanField(default=False)
    images = serializers.ListField(
        child=serializers.ImageField(validators=[validate_evidence_image]),
        required=False,
        default=list,
        max_length=4,
        help_text="Evidence images (multipart/form-data): at most 4, JPEG/PNG/WebP/GIF, 5 MB each.",
    )

    def validate_images(self, value):
        if len(value) > max_evidence_images():
            raise serializers.ValidationError(f"At most {max_evidence_images()} images.")
        return value


class TicketReplyJsonInput(serializers.Serializer):
    message = serializers.CharField(max_length=2000)
    agreed = serializers.BooleanField(default=False)


class TicketRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class TicketApproveInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
