"""Reactions of the penalties app to the orders app's signals (``orders``
never imports ``penalties``): thin callers of the services."""

from __future__ import annotations

from datetime import datetime

from orders.overdue import ship_clock_resumed

from . import services


def _judgement_turn_resume(sender, *, order, held_from: datetime, held_until: datetime, **kwargs) -> None:
    services.judgement_turn_resume(order_id=order.pk, held_from=held_from, held_until=held_until)


def connect() -> None:
    ship_clock_resumed.connect(_judgement_turn_resume, dispatch_uid="penalties.judgement_turn_resume")
