"""The shop page: the orders app's ShopAdmin plus the penalties panel and actions."""

from __future__ import annotations

from django.contrib import admin

from config.admin_confirm import DetailButtonsMixin
from orders.admin import ShopAdmin as OrdersShopAdmin  # penalties may import orders
from orders.models import Shop

from .panel import ShopPenaltiesAdminMixin
from .sanctions import clear_shops, lift_shops, sanction_buttons, suspend_shops
from .topups import top_up_deposit

admin.site.unregister(Shop)


@admin.register(Shop)
class ShopAdmin(DetailButtonsMixin, ShopPenaltiesAdminMixin, OrdersShopAdmin):
    """The orders app's shop page, with balance, bans, sanctions and rating
    trend (issue 5, point 4) and the top-up / sanction actions (P5, P8)."""

    readonly_fields = [*OrdersShopAdmin.readonly_fields, "penalties_panel"]
    actions = [top_up_deposit, suspend_shops, clear_shops, lift_shops]
    detail_buttons = sanction_buttons()  # issue 15: on the shop's page too, confirmed
