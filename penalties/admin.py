"""Reviewer admin of the penalties app. Everything is read-only; money and
shop status move only through actions with a reason on an intermediate page,
which call the same services as the jobs.

For the shop page (``orders.admin.ShopAdmin``, owned by the orders app) this
module offers ``ShopPenaltiesAdminMixin`` (a read-only "penalties" panel:
balance, recent ledger, bans, sanctions, rating trend) and the
``top_up_deposit`` / ``suspend_shops`` / ``clear_shops`` / ``lift_shops``
actions, usable on any admin whose rows are shops.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from config.admin_actions import run_per_row
from config.admin_site import user_may_open
from config.labels import COUNT_LABELS, counts_summary, job_label, labelled_values_filter, local_time, money
from orders.models import Shop
from orders.policy import business_day

from . import selectors, services
from .errors import PenaltyError
from .models import (
    DepositEntry,
    JobRun,
    ProductBan,
    SanctionCandidate,
    ShopRating,
    ShopSanction,
    TopUpApproval,
    Violation,
)


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


# --- shop actions (sanction list; also for the orders app's ShopAdmin) ----------


def _sanction_action(action: str, name: str, *, title, done, description):
    def run(modeladmin, request, queryset):
        return _with_reason(
            modeladmin,
            request,
            queryset,
            call=lambda shop, reason, now: services.shop_sanction(
                shop=shop, action=action, by=request.user, reason=reason, now=now
            ),
            done=done,
            action=name,
            title=title,
        )

    run.__name__ = name
    return admin.action(description=description, permissions=["sanction"])(run)


def _has_sanction_permission(self, request):
    return request.user.has_perm("penalties.sanction_shop")


def _has_top_up_permission(self, request):
    return request.user.has_perm("penalties.top_up_deposit")


suspend_shops = _sanction_action(
    "suspend",
    "suspend_shops",
    title=_("Suspend shops (P5)"),
    done=_("%(n)d shop(s) suspended."),
    description=_("Suspend (停业) with a reason"),
)
clear_shops = _sanction_action(
    "clear",
    "clear_shops",
    title=_("Clear shops (P5)"),
    done=_("%(n)d shop(s) cleared."),
    description=_("Clear (清退) with a reason"),
)
lift_shops = _sanction_action(
    "lift",
    "lift_shops",
    title=_("Lift suspensions (P5)"),
    done=_("%(n)d suspension(s) lifted."),
    description=_("Lift the suspension with a reason"),
)


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


# --- models ------------------------------------------------------------------------


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
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
    list_filter = ["charge_status", "judgement_no", "waive_reason", "judgement_day", "shop"]
    search_fields = ["=order__order_no"]
    list_select_related = ["order", "shop"]
    date_hierarchy = "judged_at"
    actions = ["reverse_deductions"]

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
        return _with_reason(
            self,
            request,
            queryset,
            call=lambda v, reason, now: services.deposit_reverse(violation=v, by=request.user, reason=reason, now=now),
            done=_("%(n)d deduction(s) reversed."),
            action="reverse_deductions",
            title=_("Reverse deductions (appeal granted)"),
            note=_("Each charged deduction gets a reversal entry in the ledger; nothing is edited."),
        )

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
        return _with_reason(
            self,
            request,
            queryset,
            rows=lambda qs: qs.filter(kind=DepositEntry.Kind.DEDUCTION).select_related("violation"),
            call=lambda e, reason, now: services.deposit_reverse(
                violation=e.violation, by=request.user, reason=reason, now=now
            ),
            done=_("%(n)d deduction(s) reversed."),
            action="reverse_entries",
            title=_("Reverse deductions (appeal granted)"),
            note=_("Only deduction entries are reversed; each gets a reversal entry."),
        )

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


@admin.register(ProductBan)
class ProductBanAdmin(ReadOnlyAdmin):
    list_display = ["product", "shop", "order", "violation", "created_at"]
    list_filter = [("product__shop", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=order__order_no", "product__name"]
    list_select_related = ["product__shop", "order", "violation"]

    @admin.display(description=_("shop"))
    def shop(self, obj):
        return obj.product.shop


@admin.register(ShopSanction)
class ShopSanctionAdmin(ReadOnlyAdmin):
    list_display = ["shop", "action", "reason", "by", "created_at"]
    list_filter = ["action"]
    search_fields = ["shop__name"]
    list_select_related = ["shop", "by"]


@admin.register(SanctionCandidate)
class SanctionCandidateAdmin(ShopPenaltiesAdminMixin, ReadOnlyAdmin):
    """P5: shops with an order judged 3 times and still not shipped, and
    shops already sanctioned. Suspend / clear / lift with a reason."""

    list_display = ["name", "status", "maxed_orders", "deposit_balance", "rating_score", "last_sanction"]
    list_filter = ["status"]
    search_fields = ["name"]
    fields = ["name", "status", "deposit_balance", "rating_score", "penalties_panel"]
    readonly_fields = fields
    actions = [suspend_shops, clear_shops, lift_shops, top_up_deposit]

    def get_queryset(self, request):
        return selectors.sanction_list(super().get_queryset(request)).annotate(
            last_sanction_at=Max("sanctions__created_at")
        )

    @admin.display(description=_("orders at 3 judgements, still overdue"), ordering="maxed_orders")
    def maxed_orders(self, obj):
        return obj.maxed_orders

    @admin.display(description=_("last sanction"), ordering="last_sanction_at")
    def last_sanction(self, obj):
        return obj.last_sanction_at or "—"


@admin.register(ShopRating)
class ShopRatingAdmin(ReadOnlyAdmin):
    list_display = ["shop", "day", "score", "overdue", "cancellation", "quality", "tickets"]
    list_filter = ["day", "shop"]
    list_select_related = ["shop"]
    fields = ["shop", "day", "score", "components_table", "computed_at"]
    readonly_fields = fields

    def _rate(self, obj, name):
        c = obj.components.get(name) or {}
        return f"{c.get('numerator', 0)}/{c.get('denominator', 0)}"

    @admin.display(description=_("overdue shipment"))
    def overdue(self, obj):
        return self._rate(obj, "overdue_shipment")

    @admin.display(description=_("merchant cancellation"))
    def cancellation(self, obj):
        return self._rate(obj, "merchant_cancellation")

    @admin.display(description=_("quality returns"))
    def quality(self, obj):
        return self._rate(obj, "quality_return")

    @admin.display(description=_("ticket timeouts"))
    def tickets(self, obj):
        return self._rate(obj, "ticket_timeout")

    @admin.display(description=_("components"))
    def components_table(self, obj):
        window = obj.components.get("window") or {}
        rows = [(name, c) for name, c in obj.components.items() if name != "window"]
        violations = reverse("admin:penalties_violation_changelist")
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>"
            "<p>{} {} – {} · <a href='{}?shop__id__exact={}&judgement_no__exact=1'>{}</a></p>",
            _("component"),
            _("numerator"),
            _("denominator"),
            _("rate"),
            _("weight"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (COUNT_LABELS.get(n, n), c.get("numerator"), c.get("denominator"), c.get("rate"), c.get("weight"))
                    for n, c in rows
                ),
            ),
            _("Window:"),
            local_time(window.get("since")),
            local_time(window.get("until")),
            violations,
            obj.shop_id,
            _("the shop's judged orders"),
        )


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job_name", "business_day", "started_at", "finished_at", "counts_text", "error"]
    list_filter = [("job", labelled_values_filter(job_label)), "business_day"]
    fields = ["job_name", "business_day", "daily", "started_at", "finished_at", "attempts", "counts_text", "error"]
    readonly_fields = fields

    @admin.display(description=_("job"), ordering="job")
    def job_name(self, obj):
        return job_label(obj.job)

    @admin.display(description=_("counts"))
    def counts_text(self, obj):
        return counts_summary(obj.counts)


# --- the shop page: orders' ShopAdmin plus the penalties panel and actions -------
from orders.admin import ShopAdmin as OrdersShopAdmin  # noqa: E402  (penalties may import orders)

admin.site.unregister(Shop)


@admin.register(Shop)
class ShopAdmin(ShopPenaltiesAdminMixin, OrdersShopAdmin):
    """The orders app's shop page, with balance, bans, sanctions and rating
    trend (issue 5, point 4) and the top-up / sanction actions (P5, P8)."""

    readonly_fields = [*OrdersShopAdmin.readonly_fields, "penalties_panel"]
    actions = [top_up_deposit, suspend_shops, clear_shops, lift_shops]


from . import admin_appeals  # noqa: E402,F401  (V2: the appeals admin, its own module)
