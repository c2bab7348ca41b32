"""Refunds and refunds the original route refused (F1)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from config.admin_actions import run_per_row
from config.labels import cause_label, money

from .. import services
from ..models import AlternativeRouteRefund, Refund
from .common import NoteForm, _confirm


class RefundAdminBase(ModelAdmin):
    list_display = [
        "order",
        "cause_text",
        "shop",
        "amount_text",
        "route",
        "status",
        "attempts",
        "last_error",
        "created_at",
    ]
    list_select_related = ["order", "shop"]
    search_fields = ["=cause", "=order__order_no"]
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
        "last_error",
        "created_at",
        "settled_at",
        "settled_by",
        "settlement_note",
    ]

    def get_fields(self, request, obj=None):
        return self.readonly_fields  # all read-only: never the raw cause code

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
        form = NoteForm(request.POST if request.POST.get("confirm") == "yes" else None)
        if not form.is_bound or not form.is_valid():
            return _confirm(
                self,
                request,
                queryset,
                action="mark_settled",
                title=gettext("Mark refunds settled"),
                intro=gettext("Confirm that these refunds were paid to the buyer on another route."),
                button=gettext("Mark settled"),
                form=form,
            )
        now = timezone.now()
        note = form.cleaned_data["note"]
        run_per_row(
            self,
            request,
            queryset,
            lambda r: services.refund_settle_alternative(refund=r, by=request.user, note=note, now=now),
        )
        return None
