"""Shop sanctions (suspend / clear / lift actions), product bans and sanction candidates."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Max
from django.utils.translation import gettext_lazy as _
from unfold.enums import ActionVariant

from config.admin_confirm import Button, DetailButtonsMixin, step_action

from .. import confirmations, selectors
from ..models import ProductBan, SanctionCandidate, ShopSanction
from ..services.sanctions import TRANSITIONS
from .common import ReadOnlyAdmin
from .panel import ShopPenaltiesAdminMixin
from .topups import top_up_deposit

# --- shop actions (sanction list; also for the orders app's ShopAdmin) ----------


# P5 with issue 15: one confirmation page (shop, status before → after, deposit,
# reason required) for the list actions and the buttons on the shop's page.
suspend_shops = step_action(
    confirmations.suspend_shop, permissions=["sanction"], description=_("Suspend (停业) with a reason")
)
clear_shops = step_action(
    confirmations.clear_shop, permissions=["sanction"], description=_("Clear (清退) with a reason")
)
lift_shops = step_action(
    confirmations.lift_shop, permissions=["sanction"], description=_("Lift the suspension with a reason")
)


def sanction_buttons() -> list[Button]:
    """The sanction buttons of a shop's page, each shown while the shop's status allows it."""

    def allowed(action):
        return lambda shop: shop.status in TRANSITIONS[action][0]

    perm = "penalties.sanction_shop"
    return [
        Button(confirmations.suspend_shop, perm, allowed("suspend"), label=_("Suspend…"), variant=ActionVariant.DANGER),
        Button(confirmations.clear_shop, perm, allowed("clear"), label=_("Clear…"), variant=ActionVariant.DANGER),
        Button(confirmations.lift_shop, perm, allowed("lift"), label=_("Lift the suspension…")),
    ]


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
class SanctionCandidateAdmin(DetailButtonsMixin, ShopPenaltiesAdminMixin, ReadOnlyAdmin):
    """P5: shops with an order judged 3 times and still not shipped, and
    shops already sanctioned. Suspend / clear / lift with a reason."""

    list_display = ["name", "status", "maxed_orders", "deposit_balance", "rating_score", "last_sanction"]
    list_filter = ["status"]
    search_fields = ["name"]
    fields = ["name", "status", "deposit_balance", "rating_score", "penalties_panel"]
    readonly_fields = fields
    actions = [suspend_shops, clear_shops, lift_shops, top_up_deposit]
    detail_buttons = sanction_buttons()

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
