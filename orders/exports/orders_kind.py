"""The ``orders`` export kind (issue 6 point 1): the columns a merchant needs."""

from __future__ import annotations

from django.apps import apps
from django.db.models import CharField, Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext_lazy as _

from .. import privacy
from ..filters import OrderFilter
from ..models import Order, OrderItem
from ..selectors import scoped
from .columns import DATETIME, NUMBER, Column, JoinAgg, choice_label
from .registry import ExportKind, register
from .resources import ColumnResource


def _items_summary():
    """ "name × quantity; …" of the order's items, aggregated by the database."""
    line = Concat("name", Value(" × "), Cast("quantity", CharField()), output_field=CharField())
    return Subquery(
        OrderItem.objects.filter(order=OuterRef("pk")).values("order").annotate(s=JoinAgg(line)).values("s")[:1]
    )


def _violation_count():
    """Violations of the order, when the penalties app provides them. Looked up
    by name (``orders`` never imports ``penalties``)."""
    try:
        violation = apps.get_model("penalties", "Violation")
    except LookupError:
        return None
    return Coalesce(
        Subquery(
            violation.objects.filter(order=OuterRef("pk")).values("order").annotate(c=Count("pk")).values("c")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


class OrderExportResource(ColumnResource):
    class Meta:
        model = Order
        fields: tuple = ()

    def build_columns(self, user) -> list[Column]:
        if privacy.can_view_contact(user):
            phone = Column("x_phone", _("Buyer phone"), "buyer_phone_encrypted", convert=privacy.decrypt_phone)
        else:
            phone = Column("x_phone", _("Buyer phone"), "buyer_phone_masked")
        columns = [
            Column("x_order_no", _("Order number"), "order_no"),
            Column("x_shop", _("Shop"), "shop__name"),
            Column("x_status", _("Status"), choice_label("status", Order.Status.choices)),
            Column("x_placed_at", _("Placed at"), "placed_at", DATETIME),
            Column("x_paid_at", _("Paid at"), "paid_at", DATETIME),
            Column("x_ship_by", _("Ship by"), "ship_by", DATETIME),
            Column("x_shipped_at", _("Shipped at"), "shipped_at", DATETIME),
            Column("x_items", _("Products × quantity"), _items_summary()),
            Column("x_total", _("Amount"), "total_amount", NUMBER),
            Column("x_buyer", _("Buyer"), "buyer_name"),
            phone,
            Column("x_carrier", _("Carrier"), "carrier"),
            Column("x_tracking_no", _("Tracking number"), "tracking_no"),
        ]
        violations = _violation_count()
        if violations is not None:
            columns.append(Column("x_violations", _("Violations"), violations, NUMBER))
        return columns


def orders_scoped(user):
    return scoped(Order.objects.all(), user)


ORDERS = register(
    ExportKind(
        name="orders",
        model=Order,
        resource_class=OrderExportResource,
        filterset_class=OrderFilter,
        scoped_queryset=orders_scoped,
        ordering=("-placed_at", "-id"),
    )
)
