"""The append-only deposit ledger and its reversal action."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.labels import money

from .. import confirmations, services
from ..errors import PenaltyError
from ..models import DepositEntry
from .common import ReadOnlyAdmin, TopUpShopForm, four_eyes_warning, money_confirm, top_up_facts

# the reversal step, posted back to this list's action
REVERSE_ENTRIES = replace(confirmations.reverse_deduction, name="reverse_entries")


@admin.register(DepositEntry)
class DepositEntryAdmin(ReadOnlyAdmin):
    change_list_template = "admin/penalties/depositentry/change_list.html"
    list_display = [
        "id",
        "shop",
        "kind",
        "amount",
        "balance_after",
        "created_at",
        "business_day",
        "violation",
        "by",
        "reason",
    ]
    list_filter = ["kind", "shop"]
    search_fields = ["=violation__order__order_no"]
    list_select_related = ["shop", "violation", "by"]
    date_hierarchy = "created_at"
    actions = ["reverse_entries"]

    def has_reverse_permission(self, request):
        return request.user.has_perm("penalties.reverse_deduction")

    @admin.action(description=_("Reverse these deductions (appeal granted)"), permissions=["reverse"])
    def reverse_entries(self, request, queryset):
        """P8 with issue 15: only deduction entries, each with its order, amount and balance."""
        return REVERSE_ENTRIES.list_action(self, request, queryset)

    def get_urls(self):
        return [
            path("top-up/", self.admin_site.admin_view(self.top_up_view), name="penalties_deposit_top_up"),
            *super().get_urls(),
        ]

    def top_up_view(self, request):
        """P8: a top-up, with a reason, through the ledger service; issue 15:
        confirmed on a page showing the balance before → after, and above
        the limit sent for a second reviewer's approval."""
        if not request.user.has_perm("penalties.top_up_deposit"):
            raise PermissionDenied
        form = TopUpShopForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            shop, amount = form.cleaned_data["shop"], form.cleaned_data["amount"]
            reason, reference = form.cleaned_data["reason"], form.cleaned_data["reference"]
            if request.POST.get("confirm") != "yes":
                return money_confirm(
                    request,
                    self,
                    title=_("Confirm the top-up"),
                    facts=top_up_facts(shop, amount, reason, reference),
                    warning=four_eyes_warning(amount),
                    button=_("Confirm the top-up"),
                    cancel_url=request.path,
                    hidden=[("shop", shop.pk), ("amount", amount), ("reason", reason), ("reference", reference)],
                )
            try:
                outcome = services.top_up_request(
                    shop=shop, amount=amount, by=request.user, reason=reason, reference=reference, now=timezone.now()
                )
            except PenaltyError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                from django.shortcuts import redirect

                if outcome.approval is not None:
                    self.message_user(
                        request,
                        _("The top-up of %(amount)s waits for a second reviewer's approval.")
                        % {"amount": money(amount)},
                        messages.WARNING,
                    )
                    return redirect("admin:penalties_topupapproval_changelist")
                entry = outcome.entry
                self.message_user(
                    request,
                    _("Topped up %(amount)s; balance %(balance)s.")
                    % {"amount": money(entry.amount), "balance": money(entry.balance_after)},
                    messages.SUCCESS,
                )
                return redirect("admin:penalties_depositentry_changelist")
        return TemplateResponse(
            request,
            "admin/penalties/top_up.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Top up a deposit"),
                "form": form,
                "opts": self.model._meta,
            },
        )
