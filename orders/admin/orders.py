"""Reviewer admin of orders (O2, O5) and of the contact-reveal audit log."""

from __future__ import annotations

from contextvars import ContextVar

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from config.admin_filters import DayRangeFilter
from config.admin_site import current_request, user_may_open
from config.labels import local_time, money, time_left

from .. import privacy, selectors
from ..exports.admin import BackgroundExportMixin
from ..models import AlternativeRouteRefund, ContactReveal, Order
from .common import (
    AfterSaleInline,
    CancellationInline,
    EstimatedCountPaginator,
    OrderChangeList,
    OrderEventInline,
    OrderItemInline,
    OverdueFilter,
    ProductSearchPaginator,
    RefundInline,
    SearchPaginator,
    ShipDueFilter,
    ShopAutocompleteFilter,
    search_route,
)

# O5: the orders whose full phone the page being rendered shows (OrderAdmin._audited).
_PHONES_SHOWN: ContextVar[list | None] = ContextVar("orders_admin_phones_shown", default=None)


@admin.register(Order)
class OrderAdmin(BackgroundExportMixin, ModelAdmin):
    export_kind = "orders"  # X1–X3: background export of the filtered list
    # The same table as Django's, its rows built by columns compiled once per
    # page (orders/admin_list.py): most of the list's server time was per-cell
    # work repeated 1,100 times.
    change_list_template = "admin/orders/order/change_list.html"
    list_display = [
        "order_no",
        "shop",
        "status",
        "buyer_name",
        "buyer_phone",
        "total",
        "placed_at",
        "ship_by",
        "ship_time_left",
        "in_after_sale",
        "logistics_abnormal",
    ]
    list_select_related = ["shop"]
    list_per_page = 100
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # A product search counts its matches up to here, then shows "5,000+".
    search_count_cap = 5000
    search_fields = ["=order_no"]  # shows the box; get_search_results routes the term
    search_help_text = _("Order number, buyer phone, or part of a product name.")
    list_filter = [
        "status",
        ShopAutocompleteFilter,
        ("placed_at", DayRangeFilter),
        OverdueFilter,
        ShipDueFilter,
        "in_after_sale",
        "logistics_abnormal",
    ]
    ordering = ["-placed_at", "-id"]
    date_hierarchy = None
    inlines = [OrderItemInline, CancellationInline, RefundInline, AfterSaleInline, OrderEventInline]
    fieldsets = [
        (None, {"fields": ["order_no", "shop", "status", "placed_at", "paid_at", "ship_by", "related_links"]}),
        (_("Buyer"), {"fields": ["buyer_name", "buyer_phone", "address"]}),
        (_("Money"), {"fields": ["total", "refunded_paid", "refunds_open"]}),
        (
            _("Fulfilment"),
            {
                "fields": [
                    "carrier",
                    "tracking_no",
                    "shipped_at",
                    "last_tracking_at",
                    "logistics_abnormal",
                    "in_after_sale",
                    "completed_at",
                    "cancelled_at",
                    "closed_at",
                ]
            },
        ),
    ]

    class Media:
        css = {"all": ["admin/css/vendor/select2/select2.css", "admin/css/autocomplete.css"]}
        js = [
            "admin/js/vendor/jquery/jquery.js",
            "admin/js/vendor/select2/select2.full.js",
            "admin/js/jquery.init.js",
            "admin/js/autocomplete.js",
            "orders/shop_filter.js",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [f for _name, opts in self.get_fieldsets(request, obj) for f in opts["fields"]]

    # O5: the full number only for holders of orders.view_buyer_contact. The
    # choice is made per request by swapping the column name (the admin
    # instance is shared between requests, so it must hold no per-user state).
    def _phone_field(self, request) -> str:
        return "buyer_phone_full" if privacy.can_view_contact(request.user) else "buyer_phone"

    def get_list_display(self, request):
        phone = self._phone_field(request)
        return [phone if name == "buyer_phone" else name for name in self.list_display]

    def get_fieldsets(self, request, obj=None):
        phone = self._phone_field(request)
        return [
            (title, {**opts, "fields": [phone if f == "buyer_phone" else f for f in opts["fields"]]})
            for title, opts in self.fieldsets
        ]

    # Links to what other apps hold about this order, by admin URL name only
    # (orders imports neither tickets nor penalties).
    RELATED = [
        ("admin:tickets_ticket_changelist", _("Service tickets"), "tickets.view_ticket"),
        ("admin:tickets_ticket_add", _("Open a ticket"), "tickets.add_ticket"),
        ("admin:penalties_violation_changelist", _("Violations"), "penalties.view_violation"),
    ]

    @admin.display(description=_("related"))
    def related_links(self, obj: Order) -> str:
        links = []
        request = current_request.get()
        for url_name, label, perm in self.RELATED:
            if request is None or not request.user.has_perm(perm):
                continue  # only links the user can open
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            param = "order_no" if url_name.endswith("_add") else "q"
            links.append(format_html('<a href="{}?{}={}">{}</a>', url, param, obj.order_no, label))
        return format_html_join(" · ", "{}", ((link,) for link in links)) if links else "-"

    @admin.display(description=_("total amount"), ordering="total_amount")
    def total(self, obj: Order) -> str:
        return money(obj.total_amount)  # ¥1,940.00

    # Issue 15: 「已退款金额」 is what reached the buyer; a refund still being
    # tried or refused by the original route is listed as such, never counted.
    @admin.display(description=_("refunded amount"))
    def refunded_paid(self, obj: Order) -> str:
        paid, _open = selectors.order_refunds_paid_and_open(obj)
        return money(paid)

    @admin.display(description=_("refunds not paid yet"))
    def refunds_open(self, obj: Order) -> str:
        _paid, open_refunds = selectors.order_refunds_paid_and_open(obj)
        if not open_refunds:
            return "—"
        lines = []
        for refund in open_refunds:
            attempts = gettext("%(n)s attempts") % {"n": refund.attempts}
            if selectors.refund_state(refund) == selectors.REFUND_FAILED:
                line = format_html(
                    '<li data-refund-state="failed"><strong style="color:#b91c1c">{}</strong> {} · {} · {}{}</li>',
                    gettext("Refund failed"),
                    money(refund.amount),
                    attempts,
                    gettext("refused by the original route; waiting to be paid on an alternative route"),
                    format_html(
                        ' · <a href="{}">{}</a>',
                        reverse("admin:orders_alternativerouterefund_change", args=[refund.pk]),
                        gettext("Pay it on an alternative route"),
                    )
                    if user_may_open(AlternativeRouteRefund, refund)
                    else "",
                )
            else:
                line = format_html(
                    '<li data-refund-state="pending"><strong style="color:#b45309">{}</strong> {} · {} · {}</li>',
                    gettext("Refund in progress"),
                    money(refund.amount),
                    attempts,
                    gettext("next retry %(time)s") % {"time": local_time(refund.next_attempt_at)},
                )
            lines.append(line)
        return format_html("<ul>{}</ul>", format_html_join("", "{}", ((line,) for line in lines)))

    @admin.display(description=_("time left to ship"), ordering="ship_by")
    def ship_time_left(self, obj: Order) -> str:
        """Issue 15: remaining time to the ship-by deadline, coloured by urgency
        (only while the order waits for shipment)."""
        if obj.status != Order.Status.AWAITING_SHIPMENT or obj.ship_by is None:
            return "—"
        return time_left(obj.ship_by, timezone.now())

    @admin.display(description=_("buyer phone"))
    def buyer_phone(self, obj: Order) -> str:
        return obj.buyer_phone_masked

    @admin.display(description=_("buyer phone"))
    def buyer_phone_full(self, obj: Order) -> str:
        shown = _PHONES_SHOWN.get()
        if shown is not None:
            shown.append(obj)
        return privacy.decrypt_phone(obj.buyer_phone_encrypted)

    # O5: every order whose full phone a page showed is audited (one row per
    # order, written once the page is rendered).
    def _audited(self, view, request, *args, **kwargs):
        if not privacy.can_view_contact(request.user):
            return view(request, *args, **kwargs)
        shown: list[Order] = []
        token = _PHONES_SHOWN.set(shown)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        finally:
            _PHONES_SHOWN.reset(token)
        privacy.record_reveals(user=request.user, orders=shown, channel="admin")
        return response

    def changelist_view(self, request, extra_context=None):
        return self._audited(super().changelist_view, request, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._audited(super().change_view, request, object_id, form_url, extra_context=extra_context)

    def get_changelist(self, request, **kwargs):
        return OrderChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        term = request.GET.get(SEARCH_VAR, "").strip()
        if not term:
            return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        try:
            page_number = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            page_number = 1
        args = (queryset, per_page, orphans, allow_empty_first_page)
        if search_route(term)[0] in ("order_no", "phone"):
            return SearchPaginator(*args, page_number=page_number)
        return ProductSearchPaginator(
            *args,
            page_number=page_number,
            cap=self.search_count_cap,
            rows_queryset=self.get_queryset(request).select_related(*self.list_select_related),
            unfiltered_term=getattr(request, "_order_search_unfiltered", None),
        )

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        route, condition = search_route(search_term)
        if route == "product" and not queryset.query.where:
            # No list filter applies: the paginator may read the page from the items' index.
            request._order_search_unfiltered = search_term.strip()
        return queryset.filter(condition), False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContactReveal)
class ContactRevealAdmin(ModelAdmin):
    """O5: who was shown which buyer's full phone, when. Read-only for everyone."""

    list_display = ["revealed_at", "user_name", "channel", "order", "export", "rows"]
    list_filter = ["channel", ("revealed_at", admin.DateFieldListFilter)]
    list_select_related = ["user", "order"]
    search_fields = ["=order__order_no", "=user__username"]
    readonly_fields = ["revealed_at", "user_name", "channel", "order", "export", "rows"]
    fields = readonly_fields
    ordering = ["-revealed_at", "-id"]

    @admin.display(description=_("User"), ordering="user__username")
    def user_name(self, obj):
        return str(obj.user)

    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
