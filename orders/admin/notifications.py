"""Notifications to shops and who has read them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from config.labels import data_summary, event_label, labelled_values_filter

from ..models import Notification, NotificationRead
from .common import ReadOnlyInline


class NotificationReadInline(ReadOnlyInline):
    """Who of the shop's members has read it (read state is per user)."""

    model = NotificationRead
    fields = ["member", "read_at"]
    ordering = ["read_at", "id"]

    verbose_name = _("read by")
    verbose_name_plural = _("read by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    @admin.display(description=_("user"))
    def member(self, obj) -> str:
        return obj.user.get_username()

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_notification")


@admin.register(Notification)
class NotificationAdmin(ModelAdmin):
    list_display = ["title", "shop", "kind_text", "created_at", "read_by"]
    list_filter = [("kind", labelled_values_filter(event_label))]
    list_select_related = ["shop"]
    list_per_page = 100
    show_full_result_count = False
    fields = ["shop", "kind_text", "title", "body", "data_text", "created_at"]
    readonly_fields = fields
    inlines = [NotificationReadInline]

    def get_queryset(self, request):
        # A correlated count per listed row (a page of 100), not a GROUP BY over the table.
        reads = (
            NotificationRead.objects.filter(notification=OuterRef("pk"))
            .order_by()
            .values("notification")
            .annotate(n=Count("*"))
            .values("n")
        )
        return super().get_queryset(request).annotate(read_count=Coalesce(Subquery(reads), 0))

    @admin.display(description=_("read by"))
    def read_by(self, obj) -> str:
        """How many of the shop's members have read it (each member has their own read state)."""
        return gettext("%(n)d member(s)") % {"n": obj.read_count}

    @admin.display(description=_("kind"), ordering="kind")
    def kind_text(self, obj):
        return event_label(obj.kind)

    @admin.display(description=_("details"))
    def data_text(self, obj):
        return data_summary(obj.data) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
