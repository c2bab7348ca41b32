from __future__ import annotations

from config.filters import BaseFilterSet, ChoiceFilter

from .models import EVENT_TYPES, WebhookDelivery


class WebhookDeliveryFilter(BaseFilterSet):
    status = ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event_type = ChoiceFilter(field_name="event__type", choices=[(t, t) for t in EVENT_TYPES])

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []
