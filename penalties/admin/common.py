"""Shared parts of the penalties admin: the reason / top-up forms, the money
confirmation page, the read-only base admin and the intermediate-page helpers of
actions.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from config.admin_actions import run_per_row
from config.labels import money
from orders.models import Shop

from .. import services


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=True)


class TopUpForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=True)
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=64,
        required=False,
        help_text=_("The transfer's reference; required above the four-eyes limit."),
    )


class TopUpShopForm(TopUpForm):
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=Shop.objects.order_by("name"))
    field_order = ["shop", "amount", "reason", "reference"]


def money_confirm(
    request, modeladmin, *, title, facts, button, cancel_url, hidden, warning="", rows=None, headers=None
):
    """Issue 15: the confirmation page of a money-moving step (shop, amount,
    balance before → after …); its button posts ``hidden`` + ``confirm=yes``."""
    return TemplateResponse(
        request,
        "admin/money_confirm.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "facts": facts,
            "button": button,
            "cancel_url": cancel_url,
            "hidden": hidden,
            "warning": warning,
            "rows": rows or [],
            "row_headers": headers or [],
            "opts": modeladmin.model._meta,
        },
    )


def top_up_facts(shop: Shop, amount: Decimal, reason: str, reference: str) -> list[tuple]:
    after = shop.deposit_balance + amount
    facts = [
        (_("Shop"), shop.name),
        (_("Amount"), money(amount)),
        (_("Balance before → after"), f"{money(shop.deposit_balance)} → {money(after)}"),
        (_("Reason"), reason),
    ]
    if reference:
        facts.append((_("Reference number"), reference))
    return facts


def four_eyes_warning(amount: Decimal) -> str:
    if not services.needs_second_reviewer(amount):
        return ""
    return _("Above %(limit)s: a second reviewer must approve it before it is posted to the ledger.") % {
        "limit": money(services.four_eyes_limit())
    }


class ReadOnlyAdmin(ModelAdmin):
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _intermediate(modeladmin, request, queryset, *, action: str, title, form, note=""):
    """The confirmation page of an action: the rows, a form, and the hidden
    fields that post the same action again with ``apply``."""
    return render(
        request,
        "admin/penalties/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "note": note,
            "queryset": queryset,
            "form": form,
            "action": action,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )


def _with_reason(modeladmin, request, queryset, *, call, done, action: str, title, note="", rows=None):
    """An action that needs a reason: its confirmation page first, then, on
    ``apply``, ``call(row, reason, now)`` for each row (``rows(queryset)`` if given)."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        now, reason = timezone.now(), form.cleaned_data["reason"]
        targets = queryset if rows is None else rows(queryset)
        run_per_row(modeladmin, request, targets, lambda row: call(row, reason, now), done)
        return None
    return _intermediate(modeladmin, request, queryset, action=action, title=title, form=form, note=note)


def _has_sanction_permission(self, request):
    return request.user.has_perm("penalties.sanction_shop")


def _has_top_up_permission(self, request):
    return request.user.has_perm("penalties.top_up_deposit")
