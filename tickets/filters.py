"""T4: the ticket FilterSet, shared by the list API and the export job."""

from __future__ import annotations

from config.filters import BaseFilterSet, ChoiceFilter, CodeFilter, DateTimeFilter, IdFilter

from .models import Ticket


class TicketFilter(BaseFilterSet):
    """Order number, ticket number (both exact), service type code, status,
    outcome, created time range, shop. Every filter is backed by an index."""

    shop = IdFilter(field_name="shop_id")
    order_no = CodeFilter(field_name="order__order_no")
    ticket_no = CodeFilter(field_name="ticket_no")
    service_type = CodeFilter(field_name="service_type__code")
    status = ChoiceFilter(choices=Ticket.Status.choices)
    outcome = ChoiceFilter(choices=Ticket.Outcome.choices)
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    # W2: changed since T, oldest change first (config.sync).
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Ticket
        fields: list[str] = []
