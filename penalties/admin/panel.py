"""The read-only penalties panel of the shop page (balance, ledger, bans, sanctions, rating trend) and its mixin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from config.admin_site import user_may_open
from config.labels import local_time, money
from orders.models import Shop

from ..models import DepositEntry, ProductBan, ShopRating, ShopSanction
from .common import _has_sanction_permission, _has_top_up_permission


def _items(template: str, rows: list[tuple]) -> str:
    return format_html_join("", template, rows) if rows else mark_safe("<li>—</li>")


def shop_penalties_panel(shop: Shop) -> str:
    """The shop page's penalties panel: balance, recent ledger, bans,
    sanctions, rating trend, each linking to the filtered list."""
    entries = DepositEntry.objects.filter(shop=shop).order_by("-id")[:10]
    bans = ProductBan.objects.filter(product__shop=shop).select_related("product").order_by("-id")[:10]
    sanctions = ShopSanction.objects.filter(shop=shop).select_related("by").order_by("-id")[:5]
    ratings = list(ShopRating.objects.filter(shop=shop).order_by("-day")[:30])

    def all_link(model, query: str) -> str:
        # "(all)" to the filtered list, only for someone who may open it.
        if not user_may_open(model):
            return ""
        url = reverse(f"admin:penalties_{model._meta.model_name}_changelist")
        return format_html(" (<a href='{}?{}'>{}</a>)", url, query, _("all"))

    return format_html(
        "<div><p><b>{}</b> {} · <b>{}</b> {}</p>"
        "<p><b>{}</b>{}</p><ul>{}</ul>"
        "<p><b>{}</b>{}</p><ul>{}</ul>"
        "<p><b>{}</b></p><ul>{}</ul>"
        "<p><b>{}</b>{}: {}</p></div>",
        _("Deposit balance:"),
        money(shop.deposit_balance),
        _("Rating:"),
        shop.rating_score if shop.rating_score is not None else "—",
        _("Recent ledger"),
        all_link(DepositEntry, f"shop__id__exact={shop.pk}"),
        format_html_join(
            "",
            "<li>{} {} {} → {}</li>",
            (
                (local_time(e.created_at), e.get_kind_display(), money(e.amount), money(e.balance_after))
                for e in entries
            ),
        )
        or mark_safe("<li>—</li>"),
        _("Banned products"),
        all_link(ProductBan, f"product__shop__id__exact={shop.pk}"),
        format_html_join("", "<li>{} ({})</li>", ((b.product.name, local_time(b.created_at)) for b in bans))
        or mark_safe("<li>—</li>"),
        _("Sanctions"),
        _items(
            "<li>{} {} · {}: {}</li>",
            [(local_time(x.created_at), x.get_action_display(), x.by, x.reason) for x in sanctions],
        ),
        _("Rating trend"),
        all_link(ShopRating, f"shop__id__exact={shop.pk}"),
        " · ".join(f"{r.day:%m-%d} {r.score}" for r in reversed(ratings)) or "—",
    )


class ShopPenaltiesAdminMixin:
    """For ``orders.admin.ShopAdmin``: add ``"penalties_panel"`` to its
    ``readonly_fields`` (and ``top_up_deposit`` etc. to its ``actions``)."""

    @admin.display(description=_("Penalties"))
    def penalties_panel(self, obj):
        return shop_penalties_panel(obj) if obj and obj.pk else "—"

    has_top_up_permission = _has_top_up_permission
    has_sanction_permission = _has_sanction_permission
