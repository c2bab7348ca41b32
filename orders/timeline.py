"""The order's timeline as people read it (API ``events``, the admin's
Timeline, an appeal's case): the order's own events (``OrderEvent``, one row
per change the orders app makes) and the entries other apps keep in tables of
their own, merged by time.

The penalties app's judgements are such entries: the violation row already
records who (the system), when and which judgement, so the judgement writes no
second row per order into the event log (at 1,000,000 judgements in one run
that second row was a third of the job; see "Performance" in the README).
Other apps register a source at start-up (``timeline_source_register``, from
their ``AppConfig.ready``); this app imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .models import Order, OrderEvent

TimelineSource = Callable[[Order], Iterable[OrderEvent]]
_SOURCES: list[TimelineSource] = []


def timeline_source_register(source: TimelineSource) -> None:
    """Add a source of timeline entries: ``source(order)`` gives unsaved
    ``OrderEvent`` objects (kind, actor, from → to, data, ``created_at``)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def order_timeline(order: Order, *, limit: int | None = None) -> list[OrderEvent]:
    """The order's events and the registered sources' entries, oldest first
    (an order's own event before a composed entry of the same instant).
    Reads ``order.events`` (prefetched by ``order_detail_queryset``)."""
    prefetched = "events" in getattr(order, "_prefetched_objects_cache", {})
    rows = list(order.events.all() if prefetched else order.events.select_related("actor"))
    for source in _SOURCES:
        rows.extend(source(order))
    rows.sort(key=lambda e: (e.created_at, e.pk is None, e.pk or 0))
    return rows[:limit] if limit is not None else rows
