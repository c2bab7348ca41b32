"""django-filter FilterSets of the orders API (O2). The export job validates
its filters with the same classes, so a list and its export always agree."""

from __future__ import annotations

from django.utils import timezone

from config.filters import (
    BaseFilterSet,
    BooleanFilter,
    ChoiceFilter,
    CodeFilter,
    DateTimeFilter,
    IdFilter,
    NumberFilter,
    TextFilter,
)

from . import overdue, privacy
from .models import AfterSale, CancellationRequest, Notification, Order, Product


class OrderFilter(BaseFilterSet):
    """O2: exact order number, buyer phone (by its keyed hash), product name
    substring, status, placed time range, shop, ship deadline within N hours,
    overdue, in after-sale. Every filter is backed by an index."""

    shop = IdFilter(field_name="shop_id")
    order_no = CodeFilter(field_name="order_no")
    phone = TextFilter(method="filter_phone", max_length=32)
    product = TextFilter(field_name="product_names", lookup_expr="icontains", max_length=100)
    status = ChoiceFilter(choices=Order.Status.choices)
    placed_after = DateTimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = DateTimeFilter(field_name="placed_at", lookup_expr="lt")
    ship_due_within_hours = NumberFilter(method="filter_ship_due", min_value=1, max_value=720)
    overdue = BooleanFilter(method="filter_overdue")
    in_after_sale = BooleanFilter(field_name="in_after_sale")
    logistics_abnormal = BooleanFilter(field_name="logistics_abnormal")
    # W2: changed since T, oldest change first (config.sync).
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Order
        fields: list[str] = []

    def filter_phone(self, queryset, name, value):
        return queryset.filter(buyer_phone_hash=privacy.phone_hash(value))

    def filter_ship_due(self, queryset, name, value):
        """The 24小时内发货 board: orders that become overdue (P1,
        ``orders.overdue``) within N h unless shipped."""
        return queryset.filter(overdue.due_within_q(timezone.now(), float(value)))

    def filter_overdue(self, queryset, name, value):
        """P1: overdue exactly as the judgement sees it (``orders.overdue``)."""
        predicate = overdue.overdue_q(timezone.now())
        return queryset.filter(predicate) if value else queryset.exclude(predicate)


class ProductFilter(BaseFilterSet):
    shop = IdFilter(field_name="shop_id")
    status = ChoiceFilter(choices=Product.Status.choices)

    class Meta:
        model = Product
        fields: list[str] = []


class AfterSaleFilter(BaseFilterSet):
    shop = IdFilter(field_name="shop_id")
    order_no = CodeFilter(field_name="order__order_no")
    status = ChoiceFilter(choices=AfterSale.Status.choices)
    type = ChoiceFilter(choices=AfterSale.Type.choices)
    # W2: changed since T, oldest change first (config.sync).
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = AfterSale
        fields: list[str] = []


class CancellationFilter(BaseFilterSet):
    shop = IdFilter(field_name="shop_id")
    order_no = CodeFilter(field_name="order__order_no")
    status = ChoiceFilter(choices=CancellationRequest.Status.choices)

    class Meta:
        model = CancellationRequest
        fields: list[str] = []


class NotificationFilter(BaseFilterSet):
    shop = IdFilter(field_name="shop_id")
    unread = BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields: list[str] = []
