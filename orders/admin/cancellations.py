"""The cancellation review queue (C3)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from config.admin_actions import run_per_row

from .. import services
from ..models import CancellationRequest
from .common import ReasonForm, _confirm


@admin.register(CancellationRequest)
class CancellationRequestAdmin(ModelAdmin):
    list_display = ["order", "shop", "reason", "detail", "status", "requested_by", "requested_at", "decided_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["order", "shop", "requested_by"]
    search_fields = ["=order__order_no"]
    list_per_page = 100
    show_full_result_count = False
    ordering = ["-requested_at"]
    actions = ["approve", "reject"]
    readonly_fields = [
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

    @admin.action(description=_("Approve: cancel the order and refund in full"), permissions=["review"])
    def approve(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            return _confirm(
                self,
                request,
                queryset,
                action="approve",
                title=gettext("Approve cancellations"),
                intro=gettext("These orders will be cancelled and refunded in full to the original payment route."),
                button=gettext("Yes, approve"),
            )
        now = timezone.now()
        run_per_row(
            self, request, queryset, lambda c: services.cancellation_approve(cancellation=c, by=request.user, now=now)
        )
        return None

    @admin.action(description=_("Reject (asks for a reason)"), permissions=["review"])
    def reject(self, request, queryset):
        form = ReasonForm(request.POST if request.POST.get("confirm") == "yes" else None)
        if not form.is_bound or not form.is_valid():
            return _confirm(
                self,
                request,
                queryset,
                action="reject",
                title=gettext("Reject cancellations"),
                intro=gettext("The orders stay as they are; the merchant is told the reason."),
                button=gettext("Reject"),
                form=form,
            )
        now = timezone.now()
        reason = form.cleaned_data["reason"]
        run_per_row(
            self,
            request,
            queryset,
            lambda c: services.cancellation_reject(cancellation=c, reason=reason, by=request.user, now=now),
        )
        return None
