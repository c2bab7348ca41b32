"""After-sale requests. The merchant decides (A2); a reviewer may decide in
the merchant's stead (issue 15, platform intervention) from the list or the
request's page, through the same services and confirmation page."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.enums import ActionVariant

from config.admin_confirm import Button, DetailButtonsMixin

from .. import confirmations
from ..models import AfterSale

DECIDE = "orders.decide_aftersale"


def _pending(after_sale: AfterSale) -> bool:
    return after_sale.status == AfterSale.Status.PENDING


@admin.register(AfterSale)
class AfterSaleAdmin(DetailButtonsMixin, ModelAdmin):
    list_display = ["order", "shop", "type", "reason", "amount", "status", "created_at", "decided_at"]
    list_filter = ["status", "type", "reason"]
    list_select_related = ["order", "shop"]
    search_fields = ["=order__order_no"]
    list_per_page = 100
    show_full_result_count = False
    actions = ["approve_after_sale", "reject_after_sale"]
    detail_buttons = [
        Button(confirmations.approve_after_sale, DECIDE, _pending, label=_("Approve"), variant=ActionVariant.PRIMARY),
        Button(confirmations.reject_after_sale, DECIDE, _pending, label=_("Reject…"), variant=ActionVariant.DANGER),
    ]
    readonly_fields = [
        "decision_context",
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

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm(DECIDE)

    @admin.action(description=_("Approve in the merchant's stead"), permissions=["decide"])
    def approve_after_sale(self, request, queryset):
        return confirmations.approve_after_sale.list_action(self, request, queryset)

    @admin.action(description=_("Reject in the merchant's stead (asks for a reason)"), permissions=["decide"])
    def reject_after_sale(self, request, queryset):
        return confirmations.reject_after_sale.list_action(self, request, queryset)

    @admin.display(description=_("Decision"))
    def decision_context(self, obj):
        """Order, amount and route of the refund it would issue, the buyer's reason, its age."""
        return self.detail_context(obj, confirmations.approve_after_sale)
