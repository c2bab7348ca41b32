"""Refunds and refunds the original route refused (F1)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.enums import ActionVariant

from config.admin_confirm import Button, DetailButtonsMixin
from config.labels import cause_label, money

from .. import confirmations, selectors
from ..models import AlternativeRouteRefund, Refund


def _awaiting_alternative(refund: Refund) -> bool:
    return refund.route == Refund.Route.ALTERNATIVE and refund.status == Refund.Status.PENDING


class RefundAdminBase(DetailButtonsMixin, ModelAdmin):
    list_display = [
        "order",
        "cause_text",
        "shop",
        "amount_text",
        "route",
        "status",
        "attempts",
        "failure",
        "created_at",
    ]
    list_select_related = ["order", "shop"]
    search_fields = ["=cause", "=order__order_no"]
    # F1 with issue 15: "mark paid" on a refund's page too, while it waits for another route
    detail_buttons = [
        Button(
            confirmations.settle_refund,
            "orders.settle_refund",
            _awaiting_alternative,
            label=_("Mark paid…"),
            variant=ActionVariant.PRIMARY,
        )
    ]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [
        "order",
        "shop",
        "cause_text",
        "amount_text",
        "route",
        "status",
        "attempts",
        "gateway_ref",
        "failure",
        "created_at",
        "settled_at",
        "settled_by",
        "settlement_note",
    ]

    def get_fields(self, request, obj=None):
        return self.readonly_fields  # all read-only: never the raw cause code

    @admin.display(description=_("why the original route failed"))
    def failure(self, obj: Refund) -> str:
        return selectors.refund_failure_text(obj) or "—"

    @admin.display(description=_("for"), ordering="cause")
    def cause_text(self, obj):
        return cause_label(obj.cause)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_text(self, obj):
        return money(obj.amount)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(RefundAdminBase):
    list_filter = ["route", "status"]
    ordering = ["-created_at"]


@admin.register(AlternativeRouteRefund)
class AlternativeRouteRefundAdmin(RefundAdminBase):
    """F1: refunds the original route refused, oldest first, until settled."""

    ordering = ["created_at"]
    actions = ["mark_settled"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(route=Refund.Route.ALTERNATIVE, status=Refund.Status.PENDING)

    def has_settle_permission(self, request) -> bool:
        return request.user.has_perm("orders.settle_refund")

    @admin.action(description=_("Mark settled (paid on an alternative route)"), permissions=["settle"])
    def mark_settled(self, request, queryset):
        """F1 with issue 15: a confirmation page with order, amount, route."""
        return confirmations.settle_refund.list_action(self, request, queryset)
