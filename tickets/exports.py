"""The ``tickets`` export kind (T4), registered with the export framework in
``orders.exports`` (discovered at start-up by ``autodiscover_modules("exports")``
in ``OrdersConfig.ready``). Same FilterSet and scoping as the ticket list."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from orders.exports.columns import DATETIME, Column, choice_label
from orders.exports.registry import ExportKind, register
from orders.exports.resources import ColumnResource

from .filters import TicketFilter
from .models import Ticket, TicketReply
from .selectors import tickets_visible_to


def _last_reply():
    return Subquery(
        TicketReply.objects.filter(ticket=OuterRef("pk")).order_by("-created_at", "-id").values("message")[:1]
    )


class TicketExportResource(ColumnResource):
    class Meta:
        model = Ticket
        fields: tuple = ()

    def build_columns(self, user) -> list[Column]:
        return [
            Column("x_ticket_no", _("Ticket number"), "ticket_no", identifier=True),
            Column("x_order_no", _("Order number"), "order__order_no", identifier=True),
            Column("x_shop", _("Shop"), "shop__name", typed=True),
            Column("x_type", _("Service type"), "service_type__name", typed=True),
            Column("x_status", _("Status"), choice_label("status", Ticket.Status.choices)),
            Column("x_created_at", _("Created at"), "created_at", DATETIME),
            Column("x_deadline", _("Handle by"), "handle_deadline", DATETIME),
            Column("x_outcome", _("Outcome"), choice_label("outcome", Ticket.Outcome.choices)),
            Column("x_closed_at", _("Closed at"), "closed_at", DATETIME),
            Column("x_last_reply", _("Last reply"), _last_reply(), typed=True),
        ]


TICKETS = register(
    ExportKind(
        name="tickets",
        model=Ticket,
        resource_class=TicketExportResource,
        filterset_class=TicketFilter,
        scoped_queryset=tickets_visible_to,
        ordering=("-created_at", "-id"),
    )
)
