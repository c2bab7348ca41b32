"""Reads. Merchant-facing querysets go through ``orders.selectors.scoped``."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from config.api import SUPPORT_GROUP, in_group
from orders.selectors import scoped

from .models import Ticket


def is_support(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and in_group(user, SUPPORT_GROUP))


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """Merchants see their shops' tickets; support staff (staff in the support
    group) see every ticket, since they open and review them for all shops."""
    qs = Ticket.objects.select_related("order", "shop", "service_type")
    if is_support(user):
        return qs
    return scoped(qs, user)


def ticket_get_visible(*, user, ticket_no: str) -> Ticket | None:
    """A ticket the user may see, or ``None`` (another shop's ticket and a
    missing one look the same)."""
    return tickets_visible_to(user).filter(ticket_no=ticket_no).first()


def ticket_timeout_counts(*, since: datetime, until: datetime) -> dict[int, tuple[int, int]]:
    """R1 input (T3): ``{shop_id: (timed_out, closed_total)}`` over tickets
    created in ``[since, until)``; ``closed_total`` counts every closed ticket
    (approved, agreed or timed out). One aggregate query."""
    rows = (
        Ticket.objects.filter(created_at__gte=since, created_at__lt=until, status=Ticket.Status.CLOSED)
        .order_by()
        .values("shop_id")
        .annotate(timed_out=Count("id", filter=Q(outcome=Ticket.Outcome.TIMED_OUT)), total=Count("id"))
    )
    return {row["shop_id"]: (row["timed_out"], row["total"]) for row in rows}
