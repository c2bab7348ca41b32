"""Reactions of the penalties app to the orders app's signals (``orders``
never imports ``penalties``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from orders.overdue import ship_clock_resumed

from .models import Violation


def _judgement_turn_resume(sender, *, order, held_from: datetime, held_until: datetime, **kwargs) -> None:
    """P1/P2: the clock stopped while the platform held the order, so the
    next judgement's turn, if it was still ahead when the hold began, moves
    later by the time held (as ``orders.overdue.resumed`` moves ``ship_by``)."""
    Violation.objects.filter(order_id=order.pk, next_judgement_at__gt=held_from).update(
        next_judgement_at=F("next_judgement_at") + (held_until - held_from)
    )


def connect() -> None:
    ship_clock_resumed.connect(_judgement_turn_resume, dispatch_uid="penalties.judgement_turn_resume")
