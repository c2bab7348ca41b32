"""W1 in the admin: endpoints and their delivery log, with a manual retry
(reviewers acting on a merchant's behalf). Same services as the API."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin

from . import services
from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ModelAdmin):
    list_display = ["id", "shop", "url", "active", "paused_at", "dead_streak", "created_at"]
    list_filter = ["active"]
    list_select_related = ["shop"]
    search_fields = ["url", "=shop__name"]
    readonly_fields = ["shop", "url", "events", "active", "paused_at", "dead_streak", "created_by", "created_at"]
    exclude = ["secret_encrypted"]
    actions = ["resume"]

    def has_add_permission(self, request):  # registered by the merchant (API), secret shown once
        return False

    @admin.action(description=gettext_lazy("Resume the selected endpoints"), permissions=["change"])
    def resume(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_resume(endpoint=endpoint, now=timezone.now())
        self.message_user(request, _("%(n)d endpoints resumed.") % {"n": queryset.count()}, messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ModelAdmin):
    list_display = ["id", "endpoint", "event_type", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status", "event__type"]
    list_select_related = ["endpoint", "event"]
    search_fields = ["=event__msg_id"]
    show_full_result_count = False
    list_per_page = 100
    readonly_fields = [
        "endpoint",
        "event",
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
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=gettext_lazy("event"))
    def event_type(self, obj):
        return obj.event.type

    @admin.action(description=gettext_lazy("Retry the selected deliveries now"), permissions=["change"])
    def retry(self, request, queryset):
        for delivery in queryset:
            services.webhook_delivery_retry(delivery=delivery, now=timezone.now())
        self.message_user(request, _("%(n)d deliveries queued again.") % {"n": queryset.count()}, messages.SUCCESS)
