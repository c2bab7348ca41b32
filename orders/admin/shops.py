"""Shops (with their members) and products."""

from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from ..models import Product, Shop, ShopMembership


class MembershipInline(TabularInline):
    model = ShopMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Shop)
class ShopAdmin(ModelAdmin):
    list_display = ["name", "status", "deposit_balance", "rating_score", "ship_hours", "daily_cancel_cap"]
    list_filter = ["status"]
    search_fields = ["name"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = ["status", "deposit_balance", "rating_score", "created_at"]
    inlines = [MembershipInline]


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ["name", "sku", "shop", "price", "stock", "status"]
    list_filter = ["status"]
    list_select_related = ["shop"]
    search_fields = ["name", "=sku"]
    autocomplete_fields = ["shop"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = ["status"]
