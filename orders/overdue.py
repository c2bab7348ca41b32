"""P1: the one definition of "overdue", and the clock that stops while the
platform holds an order.

An order is **overdue** at ``now`` when it is

- awaiting shipment (paid, not shipped, not cancelled or closed),
- nothing refunded on it (a partly refunded order is not judged: the platform
  never penalises an order whose buyer is already being paid back),
- not held by the platform: no cancellation request waits for review
  (shipping is refused meanwhile, so the clock is stopped), and
- past its ship deadline: ``ship_by < now`` (at ``ship_by`` itself it is not
  yet late).

The judgement (``penalties.services.judgement``, as SQL), the merchant API
filter ``overdue`` and board ``ship_due_within_hours``, the reviewer's admin
filters, the sanction list and the workbench all read this module; none
writes its own predicate.

When a hold ends without cancelling the order (the request is rejected), the
held time is given back: every deadline still ahead at the start of the hold
(``ship_by``, the next judgement's turn) moves later by the time held
(``ship_clock_resume``). A deadline that had already passed when the hold
began stays where it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.dispatch import Signal

from .models import CancellationRequest, Order

S = Order.Status

# Sent inside the transaction that ends a hold, after ``ship_by`` moved:
# ``order`` (the locked row), ``held_from``, ``held_until``. The penalties app
# moves its next-judgement turns (``orders`` never imports ``penalties``).
ship_clock_resumed = Signal()


def held_q(prefix: str = "") -> Q:
    """Orders the platform holds (a cancellation waits for review), as a Q on
    an order reached through ``prefix`` (e.g. ``"order__"``)."""
    pending = CancellationRequest.objects.filter(
        order_id=OuterRef(f"{prefix}pk"), status=CancellationRequest.Status.PENDING_REVIEW
    )
    return Q(Exists(pending))


def clock_running_q(prefix: str = "") -> Q:
    """Orders whose ship clock runs: awaiting shipment, nothing refunded, not held."""
    return Q(**{f"{prefix}status": S.AWAITING_SHIPMENT, f"{prefix}refunded_amount": 0}) & ~held_q(prefix)


def overdue_q(now: datetime, prefix: str = "") -> Q:
    """P1: overdue at ``now`` (see the module docstring)."""
    return clock_running_q(prefix) & Q(**{f"{prefix}ship_by__lt": now})


def was_late_q(prefix: str = "") -> Q:
    """The orders P1 may have judged: paid, and unshipped past ``ship_by``
    (still unshipped, or shipped after it). A judgement needs the order
    unshipped past its deadline, and a hold never moves a deadline already
    passed (``resumed``), so an order shipped in time was never judged. For
    reads that need an order's judgements only where there can be some."""
    return Q(**{f"{prefix}ship_by__isnull": False}) & (
        Q(**{f"{prefix}shipped_at__isnull": True}) | Q(**{f"{prefix}shipped_at__gt": F(f"{prefix}ship_by")})
    )


def due_within_q(now: datetime, hours: float, prefix: str = "") -> Q:
    """O2's 24小时内发货 board: orders that become overdue within ``hours``
    unless shipped (their clock runs and ``now <= ship_by < now + hours``)."""
    return clock_running_q(prefix) & Q(
        **{f"{prefix}ship_by__gte": now, f"{prefix}ship_by__lt": now + timedelta(hours=hours)}
    )


# The same predicate in SQL, for an order aliased ``o`` (the judgement's
# set-based statement). The NOT EXISTS reads the partial unique index
# ``one_pending_cancellation_per_order`` (only pending requests are in it).
OVERDUE_SQL = (
    f"o.status = '{S.AWAITING_SHIPMENT}' AND o.refunded_amount = 0 AND o.ship_by < %(now)s"
    f" AND NOT EXISTS (SELECT 1 FROM {CancellationRequest._meta.db_table} hold"
    f" WHERE hold.order_id = o.id AND hold.status = '{CancellationRequest.Status.PENDING_REVIEW}')"
)


def with_hold(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """Annotate ``ship_held_since``: when the pending cancellation (if any)
    was asked, so a page of orders shows its frozen countdown in one query."""
    pending = CancellationRequest.objects.filter(
        order_id=OuterRef("pk"), status=CancellationRequest.Status.PENDING_REVIEW
    ).values("requested_at")[:1]
    return queryset.annotate(ship_held_since=Subquery(pending))


def held_since(order: Order) -> datetime | None:
    """When the platform's hold on ``order`` began (None if not held): the
    ``with_hold`` annotation when present, else one query."""
    if hasattr(order, "ship_held_since"):
        return order.ship_held_since
    return (
        CancellationRequest.objects.filter(order=order, status=CancellationRequest.Status.PENDING_REVIEW)
        .values_list("requested_at", flat=True)
        .first()
    )


def remaining_ship_seconds(order: Order, now: datetime) -> int | None:
    """Seconds left before ``ship_by`` on the clock that P1 judges by:
    frozen while held (the time left when the hold began), negative when
    late; None unless awaiting shipment."""
    if order.status != S.AWAITING_SHIPMENT or order.ship_by is None:
        return None
    since = held_since(order)
    clock = min(now, since) if since is not None else now
    return int((order.ship_by - clock).total_seconds())


def is_held(order: Order) -> bool:
    return CancellationRequest.objects.filter(order=order, status=CancellationRequest.Status.PENDING_REVIEW).exists()


def is_overdue(order: Order, now: datetime) -> bool:
    """``overdue_q`` for one order in hand (one query at most)."""
    if order.status != S.AWAITING_SHIPMENT or order.refunded_amount or order.ship_by is None:
        return False
    return order.ship_by < now and not is_held(order)


def resumed(deadline: datetime | None, *, held_from: datetime, held_until: datetime) -> datetime | None:
    """A deadline after a hold: moved by the time held if it was still ahead
    when the hold began, unchanged otherwise."""
    if deadline is None or deadline <= held_from:
        return deadline
    return deadline + (held_until - held_from)


def ship_clock_resume(*, order: Order, held_from: datetime, held_until: datetime) -> dict:
    """End a hold on ``order`` (locked by the caller, in its transaction):
    ``ship_by`` moves by the time held if it was still ahead, and the
    penalties app moves the next judgement's turn likewise. Returns what
    changed, for the order event."""
    before = order.ship_by
    after = resumed(before, held_from=held_from, held_until=held_until)
    if after != before:
        order.ship_by = after
        order.save(update_fields=["ship_by", "updated_at"])
    ship_clock_resumed.send(sender=Order, order=order, held_from=held_from, held_until=held_until)
    return {
        "held_seconds": int((held_until - held_from).total_seconds()),
        "ship_by_before": before.isoformat() if before else None,
        "ship_by": after.isoformat() if after else None,
    }
