"""Deposit top-ups: the shop action and the four-eyes approval queue."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.admin_actions import run_per_row
from config.labels import money

from .. import services
from ..models import TopUpApproval
from .common import ReadOnlyAdmin, TopUpForm, _intermediate, _with_reason, four_eyes_warning, money_confirm


@admin.action(description=_("Top up the deposit (with a reason)"), permissions=["top_up"])
def top_up_deposit(modeladmin, request, queryset):
    """P8 with issue 15's confirmation: the form, then a page showing each
    shop's balance before → after; only its button posts (through the
    four-eyes service above the limit)."""
    if "apply" in request.POST:
        form = TopUpForm(request.POST)
        if form.is_valid():
            amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
            reference = form.cleaned_data["reference"]
            if request.POST.get("confirm") != "yes":
                shops = list(queryset)
                hidden = [(admin.helpers.ACTION_CHECKBOX_NAME, shop.pk) for shop in shops]
                hidden += [("action", "top_up_deposit"), ("apply", "1"), ("amount", amount)]
                hidden += [("reason", reason), ("reference", reference)]
                return money_confirm(
                    request,
                    modeladmin,
                    title=_("Confirm the top-up"),
                    facts=[
                        (_("Amount"), money(amount)),
                        (_("Reason"), reason),
                        (_("Reference number"), reference or "—"),
                    ],
                    rows=[
                        (shop.name, money(shop.deposit_balance), money(shop.deposit_balance + amount)) for shop in shops
                    ],
                    headers=[_("Shop"), _("Balance before"), _("Balance after")],
                    warning=four_eyes_warning(amount),
                    button=_("Confirm the top-up"),
                    cancel_url=request.get_full_path(),
                    hidden=hidden,
                )
            now = timezone.now()
            run_per_row(
                modeladmin,
                request,
                queryset,
                lambda shop: services.top_up_request(
                    shop=shop, amount=amount, by=request.user, reason=reason, reference=reference, now=now
                ),
                _("%(n)d top-up(s) done or sent for a second reviewer's approval."),
            )
            return None
    else:
        form = TopUpForm()
    return _intermediate(
        modeladmin, request, queryset, action="top_up_deposit", title=_("Top up deposits (P8)"), form=form
    )


@admin.register(TopUpApproval)
class TopUpApprovalAdmin(ReadOnlyAdmin):
    """Issue 15 (four eyes): large top-ups waiting for a second reviewer."""

    list_display = ["shop", "amount_text", "reference", "status", "requested_by", "requested_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["shop", "requested_by", "decided_by"]
    fields = [
        "shop",
        "amount_text",
        "reason",
        "reference",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    readonly_fields = fields
    actions = ["approve_top_ups", "reject_top_ups"]

    @admin.display(description=_("amount"), ordering="amount")
    def amount_text(self, obj):
        return money(obj.amount)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("penalties.top_up_deposit") or super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_top_up_permission(self, request):
        return request.user.has_perm("penalties.top_up_deposit")

    @admin.action(description=_("Approve and post (second reviewer)"), permissions=["top_up"])
    def approve_top_ups(self, request, queryset):
        pending = list(queryset.filter(status=TopUpApproval.Status.PENDING).select_related("shop", "requested_by"))
        if request.POST.get("confirm") != "yes":
            hidden = [(admin.helpers.ACTION_CHECKBOX_NAME, a.pk) for a in pending] + [("action", "approve_top_ups")]
            return money_confirm(
                request,
                self,
                title=_("Approve large top-ups"),
                facts=[(_("Top-ups"), len(pending))],
                rows=[
                    (
                        a.shop.name,
                        money(a.amount),
                        f"{money(a.shop.deposit_balance)} → {money(a.shop.deposit_balance + a.amount)}",
                        a.reference,
                        a.requested_by,
                        a.reason,
                    )
                    for a in pending
                ],
                headers=[
                    _("Shop"),
                    _("Amount"),
                    _("Balance before → after"),
                    _("Reference number"),
                    _("Requested by"),
                    _("Reason"),
                ],
                button=_("Approve and post"),
                cancel_url=request.get_full_path(),
                hidden=hidden,
            )
        now = timezone.now()
        run_per_row(
            self,
            request,
            queryset.filter(pk__in=[a.pk for a in pending]),
            lambda approval: services.top_up_approve(approval=approval, by=request.user, now=now),
            _("%(n)d top-up(s) approved and posted."),
        )
        return None

    @admin.action(description=_("Reject (with a reason)"), permissions=["top_up"])
    def reject_top_ups(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            call=lambda approval, reason, now: services.top_up_reject(
                approval=approval, by=request.user, reason=reason, now=now
            ),
            done=_("%(n)d top-up(s) rejected."),
            action="reject_top_ups",
            title=_("Reject large top-ups"),
        )
