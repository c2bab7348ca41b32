"""Shop sanctions (suspend / clear / lift actions), product bans and sanction candidates."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from .. import selectors, services
from ..models import ProductBan, SanctionCandidate, ShopSanction
from .common import ReadOnlyAdmin, _with_reason
from .panel import ShopPenaltiesAdminMixin
from .topups import top_up_deposit

# --- shop actions (sanction list; also for the orders app's ShopAdmin) ----------


def _sanction_action(action: str, name: str, *, title, done, description):
    def run(modeladmin, request, queryset):
        return _with_reason(
            modeladmin,
            request,
            queryset,
            call=lambda shop, reason, now: services.shop_sanction(
                shop=shop, action=action, by=request.user, reason=reason, now=now
            ),
            done=done,
            action=name,
            title=title,
        )

    run.__name__ = name
    return admin.action(description=description, permissions=["sanction"])(run)


suspend_shops = _sanction_action(
    "suspend",
    "suspend_shops",
    title=_("Suspend shops (P5)"),
    done=_("%(n)d shop(s) suspended."),
    description=_("Suspend (停业) with a reason"),
)
clear_shops = _sanction_action(
    "clear",
    "clear_shops",
    title=_("Clear shops (P5)"),
    done=_("%(n)d shop(s) cleared."),
    description=_("Clear (清退) with a reason"),
)
lift_shops = _sanction_action(
    "lift",
    "lift_shops",
    title=_("Lift suspensions (P5)"),
    done=_("%(n)d suspension(s) lifted."),
    description=_("Lift the suspension with a reason"),
)


@admin.register(ProductBan)
class ProductBanAdmin(ReadOnlyAdmin):
    list_display = ["product", "shop", "order", "violation", "created_at"]
    list_filter = [("product__shop", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=order__order_no", "product__name"]
    list_select_related = ["product__shop", "order", "violation"]

    @admin.display(description=_("shop"))
    def shop(self, obj):
        return obj.product.shop


@admin.register(ShopSanction)
class ShopSanctionAdmin(ReadOnlyAdmin):
    list_display = ["shop", "action", "reason", "by", "created_at"]
    list_filter = ["action"]
    search_fields = ["shop__name"]
    list_select_related = ["shop", "by"]


@admin.register(SanctionCandidate)
class SanctionCandidateAdmin(ShopPenaltiesAdminMixin, ReadOnlyAdmin):
    """P5: shops with an order judged 3 times and still not shipped, and
    shops already sanctioned. Suspend / clear / lift with a reason."""

    list_display = ["name", "status", "maxed_orders", "deposit_balance", "rating_score", "last_sanction"]
    list_filter = ["status"]
    search_fields = ["name"]
    fields = ["name", "status", "deposit_balance", "rating_score", "penalties_panel"]
    readonly_fields = fields
    actions = [suspend_shops, clear_shops, lift_shops, top_up_deposit]

    def get_queryset(self, request):
        return selectors.sanction_list(super().get_queryset(request)).annotate(
            last_sanction_at=Max("sanctions__created_at")
        )

    @admin.display(description=_("orders at 3 judgements, still overdue"), ordering="maxed_orders")
    def maxed_orders(self, obj):
        return obj.maxed_orders

    @admin.display(description=_("last sanction"), ordering="last_sanction_at")
    def last_sanction(self, obj):
        return obj.last_sanction_at or "—"
