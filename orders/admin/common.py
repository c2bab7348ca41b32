"""Shared parts of the orders admin: the search router, the paginators and change list
built for millions of rows, list filters, read-only inlines and the confirmation
page of actions.
"""

from __future__ import annotations

import re

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q, Window
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from config.labels import TimelineInlineMixin, cause_label, local_time, money

from .. import overdue, privacy, selectors
from ..models import AfterSale, CancellationRequest, Order, OrderEvent, OrderItem, Refund, Shop
from ..timeline import order_timeline

ORDER_NO_RE = re.compile(r"^\d{15,32}$")  # 19 digits in practice; never phone-shaped


def search_route(term: str) -> tuple[str, Q]:
    """Route an admin search term to an indexed lookup: (route name, filter)."""
    term = term.strip()
    compact = privacy.normalize_phone(term)
    if ORDER_NO_RE.match(term):
        # 008613812345678 is order-number shaped but also a phone spelt with
        # the international prefix: search both unique/hash indexes.
        if compact != term and privacy.looks_like_phone(compact):
            return "order_no", Q(order_no=term) | Q(buyer_phone_hash=privacy.phone_hash(compact))
        return "order_no", Q(order_no=term)
    if privacy.looks_like_phone(compact):
        return "phone", Q(buyer_phone_hash=privacy.phone_hash(compact))
    # Intake may send alphanumeric order numbers: an exact hit on the unique
    # index, or an item sold under a name containing the term (the names from
    # ``SoldName``, trigram GIN on PostgreSQL; the orders by the items' index).
    return "product", Q(pk__in=selectors.orders_with_product_named(term))


class EstimatedCountPaginator(Paginator):
    """The unfiltered list counts from PostgreSQL's statistics (reltuples)
    instead of scanning millions of rows; a filtered list counts exactly
    (its filters are indexed). SQLite always counts."""

    template_name = "admin/orders/order/pagination_count.html"  # the theme includes it

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

    template_name = "admin/orders/order/pagination_count.html"  # the theme includes it

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

    def __init__(self, *args, cap: int, rows_queryset, unfiltered_term: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap
        self.rows_queryset = rows_queryset
        self.capped = False
        # The term, when the search is the list's only condition: the page can
        # come straight from the items' index (``order_product_search_page``).
        self.unfiltered_term = unfiltered_term

    @cached_property
    def count(self) -> int:
        ordering = selectors.order_search_ordering(self.object_list)
        bottom = (self.page_number - 1) * self.per_page
        read_page = ordering is not None and 0 <= bottom < self.cap
        if (
            self.unfiltered_term is not None
            and connection.vendor == "postgresql"
            and ordering == [("placed_at", True), ("pk", True)]
            and bottom >= 0
        ):
            found = selectors.order_product_search_page(
                term=self.unfiltered_term,
                offset=bottom,
                limit=self.per_page if read_page else 0,
                cap=self.cap,
                using=self.object_list.db,
            )
            if found is not None:
                matches, ids = found
                self.capped = matches > self.cap
                if read_page:
                    by_id = self.rows_queryset.order_by().in_bulk(ids)
                    self.rows = [by_id[pk] for pk in ids if pk in by_id]
                return min(matches, self.cap)
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
        # "5,000+": the search counted up to the cap (shown in the page header,
        # config/templates/unfold/helpers/welcomemsg.html, and pagination_count.html).
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
    """The order's timeline (who, what, from → to, note): its events and the
    entries other apps keep, e.g. the judgements (``orders.timeline``). The
    rows are read-only: the formset shows the composed list instead of the
    event queryset (composed entries have no primary key and are never saved)."""

    model = OrderEvent
    ordering = ["created_at", "id"]
    verbose_name_plural = _("Timeline")
    status_choices = dict(Order.Status.choices)
    data_choices = {"reason": dict(CancellationRequest.Reason.choices)}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def get_formset(self, request, obj=None, **kwargs):
        base = super().get_formset(request, obj, **kwargs)

        class TimelineFormSet(base):
            def get_queryset(self):
                if not hasattr(self, "_timeline"):
                    self._timeline = order_timeline(self.instance) if self.instance.pk else []
                return self._timeline

        return TimelineFormSet


REFUND_STATE_LABELS = {
    selectors.REFUND_SUCCEEDED: _("Refund succeeded"),
    selectors.REFUND_SETTLED: _("Refund settled on the alternative route"),
    selectors.REFUND_PENDING: _("Refund in progress"),
    selectors.REFUND_FAILED: _("Refund failed (waiting for an alternative route)"),
}


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["cause_text", "amount_text", "state_text", "attempts", "next_retry", "created_at", "settled_at"]

    @admin.display(description=_("for"))
    def cause_text(self, obj):
        return cause_label(obj.cause)

    @admin.display(description=_("refund state"))
    def state_text(self, obj):
        """Issue 15: refunded, in progress (original route), failed (waiting
        for an alternative route) or paid on the alternative route."""
        return REFUND_STATE_LABELS[selectors.refund_state(obj)]

    @admin.display(description=_("next retry"))
    def next_retry(self, obj):
        if selectors.refund_state(obj) != selectors.REFUND_PENDING:
            return "—"
        return local_time(obj.next_attempt_at)

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
