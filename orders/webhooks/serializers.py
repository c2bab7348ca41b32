from __future__ import annotations

from rest_framework import serializers

from .models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "shop", "url", "events", "active", "paused_at", "created_at"]


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """The 201 answer and a rotation: the only times the secret is shown."""

    secret = serializers.SerializerMethodField()

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]

    def get_secret(self, obj) -> str:
        return self.context["secret"]


class WebhookEndpointInput(serializers.Serializer):
    shop = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[*EVENT_TYPES, "*"]), min_length=1, max_length=len(EVENT_TYPES)
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.msg_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    sequence = serializers.IntegerField(source="event.sequence", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event_type",
            "sequence",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "response_excerpt",
            "next_attempt_at",
            "give_up_at",
            "created_at",
            "delivered_at",
        ]
