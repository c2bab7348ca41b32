"""Reads. Every merchant-facing queryset starts from ``shops_visible_to``."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Shop


def shops_visible_to(user) -> QuerySet[Shop]:
    """The one place that decides which shops a user may see as a merchant:
    the shops they are a member of. Staff see no shop here; they work in the
    admin or through the reviewer/support endpoints."""
    if not user or not user.is_authenticated:
        return Shop.objects.none()
    return Shop.objects.filter(memberships__user=user)


def shop_ids_visible_to(user) -> list[int]:
    cached = getattr(user, "_visible_shop_ids", None)
    if cached is None:
        cached = list(shops_visible_to(user).values_list("id", flat=True))
        if user is not None and user.is_authenticated:
            user._visible_shop_ids = cached
    return cached


def scoped(queryset: QuerySet, user, *, shop_field: str = "shop") -> QuerySet:
    """``queryset`` narrowed to the rows of the user's shops."""
    return queryset.filter(**{f"{shop_field}__in": shop_ids_visible_to(user)})


# --- merchant reads -----------------------------------------------------------


MAX_ID = 2**63 - 1


def _not_found(what: str):
    from django.utils.translation import gettext as _

    from .errors import OrderError

    return OrderError("not_found", _("%(what)s not found.") % {"what": what}, status=404)


def orders_for(user) -> QuerySet:
    from .models import Order

    return scoped(Order.objects.all(), user)


def order_detail_queryset(queryset: QuerySet) -> QuerySet:
    """Everything the order page shows, in a constant number of queries."""
    from django.db.models import Prefetch

    from .models import Order, OrderEvent

    lookups = [
        "items",
        "cancellations__order",
        "refunds",
        "after_sales__order",
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
    ]
    # Added by the penalties app (a reverse relation: no import of penalties here).
    if any(rel.get_accessor_name() == "violations" for rel in Order._meta.related_objects):
        lookups.append("violations")
    return queryset.select_related("shop").prefetch_related(*lookups)


def order_get_for(user, order_no: str):
    """The user's order by number; another shop's order is "not found" too."""
    from .models import Order

    try:
        return orders_for(user).get(order_no=order_no)
    except Order.DoesNotExist:
        raise _not_found("Order")


def order_detail_for(user, order_no: str):
    """The user's order with everything its page shows, found and loaded in
    one pass (the lookup is the detail query itself); "not found" as
    ``order_get_for``."""
    from .models import Order

    try:
        return order_detail_queryset(orders_for(user)).get(order_no=order_no)
    except Order.DoesNotExist:
        raise _not_found("Order")


def order_get_any(order_no: str):
    """Intake and reviewers address any order by number."""
    from .models import Order

    try:
        return Order.objects.get(order_no=order_no)
    except Order.DoesNotExist:
        raise _not_found("Order")


def products_for(user) -> QuerySet:
    from .models import Product

    return scoped(Product.objects.all(), user)


def after_sales_for(user) -> QuerySet:
    from .models import AfterSale

    return scoped(AfterSale.objects.select_related("order"), user)


def after_sale_get_for(user, pk: int):
    from .models import AfterSale

    try:
        if not 0 < pk <= MAX_ID:
            raise _not_found("After-sale")
        return after_sales_for(user).get(pk=pk)
    except AfterSale.DoesNotExist:
        raise _not_found("After-sale")


def notifications_for(user) -> QuerySet:
    from .models import Notification

    return scoped(Notification.objects.all(), user)


def notification_get_for(user, pk: int):
    from .models import Notification

    try:
        if not 0 < pk <= MAX_ID:
            raise _not_found("Notification")
        return notifications_for(user).get(pk=pk)
    except Notification.DoesNotExist:
        raise _not_found("Notification")


def cancellations_all() -> QuerySet:
    from .models import CancellationRequest

    return CancellationRequest.objects.select_related("order")


def cancellation_get(pk: int):
    from .models import CancellationRequest

    try:
        if not 0 < pk <= MAX_ID:
            raise _not_found("Cancellation request")
        return cancellations_all().get(pk=pk)
    except CancellationRequest.DoesNotExist:
        raise _not_found("Cancellation request")
