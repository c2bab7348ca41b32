"""Violations (P1–P3), read-only, with their reversal action."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.admin_confirm import Button, DetailButtonsMixin
from config.admin_filters import DayRangeFilter
from orders.policy import business_day

from .. import confirmations, selectors, services
from ..models import Violation
from .common import ReadOnlyAdmin


@admin.register(Violation)
class ViolationAdmin(DetailButtonsMixin, ReadOnlyAdmin):
    change_list_template = "admin/penalties/violation/change_list.html"
    list_display = [
        "id",
        "order_link",
        "shop",
        "judgement_no",
        "judged_at",
        "judgement_day",
        "charge_status",
        "charged_amount",
        "waive_reason",
        "next_judgement",
    ]
    list_filter = ["charge_status", ("judged_at", DayRangeFilter), "judgement_no", "waive_reason", "shop"]
    search_fields = ["=order__order_no"]
    list_select_related = ["order", "shop"]
    date_hierarchy = "judged_at"
    actions = ["reverse_deductions"]
    detail_buttons = [
        Button(
            confirmations.reverse_deduction,
            "penalties.reverse_deduction",
            lambda v: v.charge_status == Violation.ChargeStatus.CHARGED,
            label=_("Reverse the deduction…"),
        )
    ]

    @admin.display(description=_("order"), ordering="order__order_no")
    def order_link(self, obj):
        try:
            url = reverse("admin:orders_order_change", args=[obj.order_id])
        except NoReverseMatch:  # the orders admin is not registered
            return obj.order.order_no
        return format_html("<a href='{}'>{}</a>", url, obj.order.order_no)

    @admin.display(description=_("next judgement"))
    def next_judgement(self, obj):
        return selectors.next_judgement_at(obj) or "—"

    def has_reverse_permission(self, request):
        return request.user.has_perm("penalties.reverse_deduction")

    @admin.action(description=_("Reverse the deduction (appeal granted)"), permissions=["reverse"])
    def reverse_deductions(self, request, queryset):
        """P8 with issue 15: order, amount, balance before → after, reason required."""
        return confirmations.reverse_deduction.list_action(self, request, queryset)

    def get_urls(self):
        return [
            path(
                "deduction-preview/",
                self.admin_site.admin_view(self.deduction_preview_view),
                name="penalties_deduction_preview",
            ),
            *super().get_urls(),
        ]

    def deduction_preview_view(self, request):
        """P3, before the money moves: tomorrow's batch per shop."""
        if not request.user.has_perm("penalties.preview_deductions"):
            raise PermissionDenied
        now = timezone.now()
        day = business_day(now) + timedelta(days=1)
        rows = services.deductions_preview(day=day)
        return TemplateResponse(
            request,
            "admin/penalties/deduction_preview.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Deductions of the next batch (%(day)s 00:30)") % {"day": day},
                "opts": self.model._meta,
                "rows": rows,
                "day": day,
                "totals": {
                    "judgements": sum(r["judgements"] for r in rows),
                    "charge": sum((r["charge"] for r in rows), Decimal("0.00")),
                    "waived_cap": sum(r["waived_cap"] for r in rows),
                    "waived_order_limit": sum(r["waived_order_limit"] for r in rows),
                },
            },
        )
