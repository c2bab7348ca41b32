"""W1 reads, scoped to the user's shops (another shop's endpoint is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet

from ..selectors import shop_ids_visible_to
from .models import WebhookDelivery, WebhookEndpoint


def endpoints_for(user) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(shop_id__in=shop_ids_visible_to(user))


def deliveries_for(user) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint__shop_id__in=shop_ids_visible_to(user)).select_related("event")
