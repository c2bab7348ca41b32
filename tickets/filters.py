"""T4: the ticket FilterSet, shared by the list API and the export job."""

from __future__ import annotations

import django_filters

from .models import Ticket


class TicketFilter(django_filters.FilterSet):
    """Order number, ticket number (both exact), service type code, status,
    outcome, created time range, shop. Every filter is backed by an index."""

    shop = django_filters.NumberFilter(field_name="shop_id")
    order_no = django_filters.CharFilter(field_name="order__order_no", max_length=32)
    ticket_no = django_filters.CharFilter(field_name="ticket_no", max_length=32)
    service_type = django_filters.CharFilter(field_name="service_type__code", max_length=32)
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    outcome = django_filters.ChoiceFilter(choices=Ticket.Outcome.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields: list[str] = []
