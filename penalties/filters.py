"""django-filter sets of the merchant API (applied to already scoped querysets)."""

from config.filters import BaseFilterSet, ChoiceFilter, CodeFilter, DateFilter, DateTimeFilter, IdFilter

from .models import Appeal, DepositEntry, ShopRating, Violation


class ViolationFilter(BaseFilterSet):
    shop = IdFilter(field_name="shop_id")
    order_no = CodeFilter(field_name="order__order_no")
    judged_after = DateTimeFilter(field_name="judged_at", lookup_expr="gte")
    judged_before = DateTimeFilter(field_name="judged_at", lookup_expr="lt")
    # W2: changed since T, oldest change first (config.sync).
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Violation
        fields = ["shop", "order_no", "judged_after", "judged_before", "updated_after"]


class DepositEntryFilter(BaseFilterSet):
    shop = IdFilter(field_name="shop_id")
    kind = ChoiceFilter(choices=DepositEntry.Kind.choices)
    # W2: the ledger is append-only: an entry changes only when it is written.
    updated_after = DateTimeFilter(field_name="created_at", lookup_expr="gt")

    class Meta:
        model = DepositEntry
        fields = ["shop", "kind", "updated_after"]


class ShopRatingFilter(BaseFilterSet):
    shop = IdFilter(field_name="shop_id")
    day_after = DateFilter(field_name="day", lookup_expr="gte")
    day_before = DateFilter(field_name="day", lookup_expr="lt")

    class Meta:
        model = ShopRating
        fields = ["shop", "day_after", "day_before"]


class AppealFilter(BaseFilterSet):
    status = ChoiceFilter(choices=Appeal.Status.choices)
    shop = IdFilter(field_name="shop_id")
    order_no = CodeFilter(field_name="order__order_no")

    class Meta:
        model = Appeal
        fields = ["status", "shop", "order_no"]
