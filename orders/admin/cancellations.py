"""The cancellation review queue (C3)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.enums import ActionVariant

from config.admin_confirm import Button, DetailButtonsMixin

from .. import confirmations
from ..models import CancellationRequest


def _pending(c: CancellationRequest) -> bool:
    return c.status == CancellationRequest.Status.PENDING_REVIEW


@admin.register(CancellationRequest)
class CancellationRequestAdmin(DetailButtonsMixin, ModelAdmin):
    list_display = ["order", "shop", "reason", "detail", "status", "requested_by", "requested_at", "decided_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["order", "shop", "requested_by"]
    search_fields = ["=order__order_no"]
    list_per_page = 100
    show_full_result_count = False
    ordering = ["-requested_at"]
    actions = ["approve", "reject"]
    detail_buttons = [
        Button(
            confirmations.approve_cancellation,
            "orders.review_cancellation",
            _pending,
            label=_("Approve and refund"),
            variant=ActionVariant.PRIMARY,
        ),
        Button(
            confirmations.reject_cancellation,
            "orders.review_cancellation",
            _pending,
            label=_("Reject…"),
            variant=ActionVariant.DANGER,
        ),
    ]
    readonly_fields = [
        "decision_context",
        "order",
        "shop",
        "reason",
        "detail",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the C5 record: decided only through the actions, never edited (superusers too)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("orders.review_cancellation")

    # C3 with issue 15: the list actions and the buttons on the request's page
    # lead to one confirmation page (order, refund amount, route, balance).
    @admin.action(description=_("Approve: cancel the order and refund in full"), permissions=["review"])
    def approve(self, request, queryset):
        return confirmations.approve_cancellation.list_action(self, request, queryset)

    @admin.action(description=_("Reject (asks for a reason)"), permissions=["review"])
    def reject(self, request, queryset):
        return confirmations.reject_cancellation.list_action(self, request, queryset)

    @admin.display(description=_("Decision"))
    def decision_context(self, obj):
        """What the reviewer needs: order, refund amount and route, when it was asked, the reason."""
        return self.detail_context(obj, confirmations.approve_cancellation)
