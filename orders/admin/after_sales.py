"""After-sale requests."""

from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin

from ..models import AfterSale


@admin.register(AfterSale)
class AfterSaleAdmin(ModelAdmin):
    list_display = ["order", "shop", "type", "reason", "amount", "status", "created_at", "decided_at"]
    list_filter = ["status", "type", "reason"]
    list_select_related = ["order", "shop"]
    search_fields = ["=order__order_no"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [
        "order",
        "shop",
        "type",
        "reason",
        "amount",
        "description",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
