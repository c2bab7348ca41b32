"""Reviewer admin for orders (O2, O5, C3, F1).

Money and status are read-only here: they change only through actions that
call ``orders.services``. The order list is built for millions of rows: no
full count, an estimated count for the unfiltered list, 100 rows in a
constant number of queries, and a search box that routes what is typed to an
index (order number → unique index, phone → keyed hash, anything else →
product names, a trigram index on PostgreSQL). A product search counts up to
``search_count_cap`` ("5,000+") and reads its page with that count.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery, Window
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from config.admin_actions import run_per_row
from config.admin_site import current_request
from config.labels import (
    TimelineInlineMixin,
    cause_label,
    data_summary,
    event_label,
    labelled_values_filter,
    money,
    time_left,
)

from . import overdue, privacy, selectors, services
from .exports.admin import BackgroundExportMixin
from .models import (
    AfterSale,
    AlternativeRouteRefund,
    CancellationRequest,
    ContactReveal,
    Notification,
    NotificationRead,
    Order,
    OrderEvent,
    OrderItem,
    Product,
    Refund,
    Shop,
    ShopMembership,
)

ORDER_NO_RE = re.compile(r"^\d{15,32}$")  # 19 digits in practice; never phone-shaped


def search_route(term: str) -> tuple[str, Q]:
    """Route an admin search term to an indexed lookup: (route name, filter)."""
    term = term.strip()
    compact = privacy.normalize_phone(term)
    if ORDER_NO_RE.match(term):
        return "order_no", Q(order_no=term)
    if privacy.looks_like_phone(compact):
        return "phone", Q(buyer_phone_hash=privacy.phone_hash(compact))
    # Intake may send alphanumeric order numbers: an exact hit on the unique
    # index, or a product-name substring (trigram GIN on UPPER(product_names)).
    return "product", Q(order_no=term) | Q(product_names__icontains=term)


# O5: the orders whose full phone the page being rendered shows (OrderAdmin._audited).
_PHONES_SHOWN: ContextVar[list | None] = ContextVar("orders_admin_phones_shown", default=None)


class EstimatedCountPaginator(Paginator):
    """The unfiltered list counts from PostgreSQL's statistics (reltuples)
    instead of scanning millions of rows; a filtered list counts exactly
    (its filters are indexed). SQLite always counts."""

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if connection.vendor == "postgresql" and query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] and row[0] > 0:
                return int(row[0])
        return super().count


class _PageReadWithCount(Paginator):
    """A paginator whose ``count`` may already have read the requested page
    (``rows``); ``page()`` then serves it without another query."""

    def __init__(self, *args, page_number: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.page_number = page_number
        self.rows: list | None = None

    def page(self, number):
        number = self.validate_number(number)
        if self.rows is not None and number == self.page_number:
            return self._get_page(self.rows, number, self)
        return super().page(number)


class SearchPaginator(_PageReadWithCount):
    """A list searched by order number or phone reads its page and the number
    of matches in one query (``COUNT(*) OVER ()``): the index is searched once
    instead of once for the count and once for the rows, and a one-page result
    is not read again (``OrderChangeList``). Those matches are few by nature
    (one order; one buyer's orders).

    Not for product-name searches (``ProductSearchPaginator``): a common word
    matches tens of thousands of orders, and a windowed query makes
    PostgreSQL walk the whole (placed_at, id) index through 1M rows
    (measured: "notebook", 64k matches, 2.7–3.4 s)."""

    @cached_property
    def count(self) -> int:
        bottom = (self.page_number - 1) * self.per_page
        if bottom < 0:
            return super().count
        rows = list(self.object_list.annotate(_matches=Window(Count("*")))[bottom : bottom + self.per_page])
        if rows:
            self.rows = rows
            return rows[0]._matches
        if self.page_number == 1:
            self.rows = []
            return 0
        return super().count  # past the end: count exactly (the page is invalid)


class ProductSearchPaginator(_PageReadWithCount):
    """A product-name search counts its matches up to ``cap`` and shows
    "5,000+" beyond (``capped``; ``cap`` ÷ ``per_page`` pages), so its cost
    does not grow with the number of matches.

    The count and the page come from one pass over at most ``cap + 1``
    matches (``selectors.order_search_page_ids``), the page's rows then by
    primary key from ``rows_queryset`` (same select_related, no search
    condition for the planner to re-run). Past the cap the matches are
    plentiful, and Django's ordinary page query (the planner walks the
    (placed_at, id) index and stops after one page) is cheap: one more query.
    A column sort on a related field counts the same way and reads the page
    the ordinary way."""

    def __init__(self, *args, cap: int, rows_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap
        self.rows_queryset = rows_queryset
        self.capped = False

    @cached_property
    def count(self) -> int:
        ordering = selectors.order_search_ordering(self.object_list)
        bottom = (self.page_number - 1) * self.per_page
        read_page = ordering is not None and 0 <= bottom < self.cap
        matches, ids = selectors.order_search_page_ids(
            queryset=self.object_list,
            ordering=ordering or [("pk", False)],
            cap=self.cap,
            offset=max(bottom, 0),
            limit=self.per_page if read_page else 0,
        )
        if matches > self.cap:
            self.capped = True
            if 0 <= bottom and (bottom + self.per_page) * 10 <= self.cap:  # near the top: walking is cheap
                self.rows = selectors.order_search_page_walk(
                    queryset=self.object_list, offset=bottom, limit=self.per_page
                )
            return self.cap
        if read_page:
            by_id = self.rows_queryset.order_by().in_bulk(ids)
            self.rows = [by_id[pk] for pk in ids if pk in by_id]
        return matches


class OrderChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        rows = getattr(self.paginator, "rows", None)
        # A result of one page: Django re-reads it as a fresh queryset; the
        # search query already returned all of it.
        if rows is not None and not self.multi_page and self.paginator.page_number == 1 and not self.show_all:
            self.result_list = rows
        # "5,000+": the search counted up to the cap (search_form.html, pagination.html).
        self.result_count_capped = getattr(self.paginator, "capped", False)
        self.result_count_display = formats.number_format(self.result_count, force_grouping=True)


# --- list filters ----------------------------------------------------------------


class ShopAutocompleteFilter(admin.SimpleListFilter):
    """Filter by shop with the admin's autocomplete (thousands of shops)."""

    title = _("shop")
    parameter_name = "shop__id__exact"
    template = "admin/orders/shop_autocomplete_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.model_name = model._meta.model_name
        self.autocomplete_url = reverse("admin:autocomplete")
        value = self.value()
        self.selected = Shop.objects.filter(pk=value).first() if value and value.isdigit() else None

    def lookups(self, request, model_admin):
        return [("", gettext("All"))]

    def choices(self, changelist):
        self.clear_url = changelist.get_query_string(remove=[self.parameter_name])
        yield {
            "selected": self.value() is None,
            "query_string": self.clear_url,
            "display": gettext("All"),
        }

    def has_output(self) -> bool:
        return True

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(shop_id=int(value))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue (past ship by, not shipped)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue.overdue_q(timezone.now()))  # P1: the one definition
        return queryset


class ShipDueFilter(admin.SimpleListFilter):
    title = _("ship deadline")
    parameter_name = "ship_due"

    def lookups(self, request, model_admin):
        return [("24h", _("Within the next 24 h"))]

    def queryset(self, request, queryset):
        if self.value() == "24h":
            return queryset.filter(overdue.due_within_q(timezone.now(), 24))  # the API's board, same rule
        return queryset


# --- read-only inlines ---------------------------------------------------------------


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = ["product", "name", "unit_price", "quantity"]


class OrderEventInline(TimelineInlineMixin, ReadOnlyInline):
    """The order's event log as a timeline (who, what, from → to, note)."""

    model = OrderEvent
    ordering = ["created_at", "id"]
    verbose_name_plural = _("Timeline")
    status_choices = dict(Order.Status.choices)
    data_choices = {"reason": dict(CancellationRequest.Reason.choices)}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["cause_text", "amount_text", "route", "status", "attempts", "last_error", "created_at", "settled_at"]

    @admin.display(description=_("for"))
    def cause_text(self, obj):
        return cause_label(obj.cause)

    @admin.display(description=_("amount"))
    def amount_text(self, obj):
        return money(obj.amount)


class CancellationInline(ReadOnlyInline):
    model = CancellationRequest
    fields = [
        "reason",
        "detail",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]


class AfterSaleInline(ReadOnlyInline):
    model = AfterSale
    fields = ["type", "reason", "amount", "status", "created_at", "decided_at", "decision_note"]


# --- orders --------------------------------------------------------------------------------


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
        "total_amount",
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
        ("placed_at", admin.DateFieldListFilter),
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
        (_("Money"), {"fields": ["total_amount", "refunded_amount"]}),
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
        )

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        _route, condition = search_route(search_term)
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


# --- cancellation review queue (C3) --------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False)


def _confirm(modeladmin, request, queryset, *, action, title, intro, button, form=None):
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "intro": intro,
        "button": button,
        "objects": list(queryset),
        "action": action,
        "form": form,
    }
    return TemplateResponse(request, "admin/orders/confirm_action.html", context)


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


# --- refunds (F1) ---------------------------------------------------------------------------


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


# --- shops, products, after-sales, notifications ------------------------------------------------


class MembershipInline(TabularInline):
    model = ShopMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Shop)
class ShopAdmin(ModelAdmin):
    list_display = ["name", "status", "deposit_balance", "rating_score", "ship_hours", "daily_cancel_cap"]
    list_filter = ["status"]
    search_fields = ["name"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = ["status", "deposit_balance", "rating_score", "created_at"]
    inlines = [MembershipInline]


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ["name", "sku", "shop", "price", "stock", "status"]
    list_filter = ["status"]
    list_select_related = ["shop"]
    search_fields = ["name", "=sku"]
    autocomplete_fields = ["shop"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = ["status"]


@admin.register(AfterSale)
class AfterSaleAdmin(ModelAdmin):
    list_display = ["order", "shop", "type", "reason", "amount", "status", "created_at", "decided_at"]
    list_filter = ["status", "type", "reason"]
    list_select_related = ["order", "shop"]
    search_fields = ["=order__order_no"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [
        "order",
        "shop",
        "type",
        "reason",
        "amount",
        "description",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NotificationReadInline(ReadOnlyInline):
    """Who of the shop's members has read it (read state is per user)."""

    model = NotificationRead
    fields = ["member", "read_at"]
    ordering = ["read_at", "id"]

    verbose_name = _("read by")
    verbose_name_plural = _("read by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    @admin.display(description=_("user"))
    def member(self, obj) -> str:
        return obj.user.get_username()

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_notification")


@admin.register(Notification)
class NotificationAdmin(ModelAdmin):
    list_display = ["title", "shop", "kind_text", "created_at", "read_by"]
    list_filter = [("kind", labelled_values_filter(event_label))]
    list_select_related = ["shop"]
    list_per_page = 100
    show_full_result_count = False
    fields = ["shop", "kind_text", "title", "body", "data_text", "created_at"]
    readonly_fields = fields
    inlines = [NotificationReadInline]

    def get_queryset(self, request):
        # A correlated count per listed row (a page of 100), not a GROUP BY over the table.
        reads = (
            NotificationRead.objects.filter(notification=OuterRef("pk"))
            .order_by()
            .values("notification")
            .annotate(n=Count("*"))
            .values("n")
        )
        return super().get_queryset(request).annotate(read_count=Coalesce(Subquery(reads), 0))

    @admin.display(description=_("read by"))
    def read_by(self, obj) -> str:
        """How many of the shop's members have read it (each member has their own read state)."""
        return gettext("%(n)d member(s)") % {"n": obj.read_count}

    @admin.display(description=_("kind"), ordering="kind")
    def kind_text(self, obj):
        return event_label(obj.kind)

    @admin.display(description=_("details"))
    def data_text(self, obj):
        return data_summary(obj.data) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from .verification import admin as verification_admin  # noqa: E402,F401  (K1: registered phones)
