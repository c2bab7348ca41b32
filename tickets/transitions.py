"""T2: the allowed moves of a ticket, in one table."""

from __future__ import annotations

from .errors import TicketError
from .models import Ticket

S = Ticket.Status

ALLOWED: dict[str, set[str]] = {
    S.PENDING: {S.IN_REVIEW, S.CLOSED},  # reply; agreed reply or timeout (T3) closes directly
    S.IN_REVIEW: {S.CLOSED, S.PENDING},  # support approves / rejects
    S.CLOSED: set(),
}


def assert_can_move(from_status: str, to_status: str) -> None:
    if to_status not in ALLOWED.get(from_status, set()):
        raise TicketError("illegal_transition", f"A ticket cannot go from {from_status} to {to_status}.")
