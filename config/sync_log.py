"""Rule W2 through a change log of id ranges, for a table whose change time is
not indexed (``penalties.models.ViolationChange``: an index there would make
every row of a night's batch update write a new row version and an entry in
each index).

The log says where to look, the row says what is true. An entry
``(changed_at, first_id, last_id)`` means "rows with an id in this range may
have changed at ``changed_at``"; a row is listed at ``changed_at`` only if its
own change time still equals it (an entry of a row changed again later is
superseded and skipped). Every change writes an entry: a row trigger one per
row (``first_id = last_id``), a set-based statement one for all its rows.
So the walk lists exactly the rows an index on ``(change time, id)`` would,
in the same order, each once, at its last change.

One page: the next entries in ``(changed_at, first_id)`` order; per change
time, the single-row entries' rows (two queries for all of them: their keys,
then the rows still at that time) and, per range
entry, its first rows in id order at that time (one query each, stopping at
the page size, and no more entries once the page's rows all come before the
next entry's ids); merged by id. A page reads at most ``MAX_ENTRIES`` entries:
when the caller's rows are rare among them (another shop's batch), it ends
early with a cursor at the last change time it read completely, and the
client's next request resumes there (nothing is skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from .limits import MAX_ID

BATCH = 500  # entries read per query
MAX_ENTRIES = 5_000  # entries read per page at most


@dataclass
class Page:
    rows: list
    has_more: bool
    resume: tuple[datetime, int] | None  # where the next page starts when it ended before its size


def walk(queryset, log, *, field: str, position, settled: datetime, size: int) -> Page:
    """The first ``size + 1`` rows of ``queryset`` after ``position`` (``(time,
    id)``, exclusive; ``None``: from the start) in ``(field, id)`` order, found
    through ``log``'s entries up to ``settled``."""
    # The log and the rows from one database: on a replica an entry and its
    # rows arrive with the same commit, but an entry read on the primary could
    # point at rows the replica has not replayed yet, and the walk would pass them.
    alias = queryset.db
    queryset = queryset.using(alias)
    log_rows = log.objects.using(alias)
    rows: list = []
    need = size + 1
    read = 0
    at, after_id = position if position is not None else (None, 0)
    while read < MAX_ENTRIES:
        entries = _entries(log_rows, at, after_id, settled)
        if not entries:
            return Page(rows, False, None)
        read += len(entries)
        singles = _singles(queryset, entries, field)
        for changed_at, group in groupby(entries, key=lambda e: e[0]):
            floor = after_id if changed_at == at else 0
            found = {pk: row for pk, row in singles.get(changed_at, {}).items() if pk > floor}
            for _at, first, last in group:  # in ``first_id`` order
                if first == last:
                    continue
                if sum(1 for pk in found if pk < first) >= need:
                    break  # every later entry's rows come after the page's
                ranged = queryset.filter(
                    **{field: changed_at, "pk__gte": max(first, floor + 1), "pk__lte": last}
                ).order_by("pk")[:need]
                found.update((row.pk, row) for row in ranged)
            for pk in sorted(found)[:need]:
                rows.append(found[pk])
            need = size + 1 - len(rows)
            if need <= 0:
                return Page(rows[: size + 1], True, None)
            # Every row of this change time after the position is read.
            at, after_id = changed_at, MAX_ID
    return Page(rows, True, (at, after_id))


def _entries(log_rows, at, after_id, settled) -> list[tuple]:
    """The next entries after ``(at, after_id)``, and every entry of the last
    change time read (its rows are merged by id, so none may be left out)."""
    columns = ("changed_at", "first_id", "last_id")
    qs = log_rows.filter(changed_at__lte=settled)
    if at is not None:
        qs = qs.filter(changed_at__gte=at).exclude(changed_at=at, last_id__lte=after_id)
    entries = list(qs.order_by(*columns).values_list(*columns)[:BATCH])
    if len(entries) == BATCH:
        last_at, last_first, last_last = entries[-1]
        rest = qs.filter(changed_at=last_at, first_id__gte=last_first).exclude(
            first_id=last_first, last_id__lte=last_last
        )
        entries += list(rest.order_by(*columns).values_list(*columns))
    return entries


def _singles(queryset, entries, field) -> dict[datetime, dict]:
    """The rows of the single-row entries, by change time, each row only at
    its current one: their keys first (no joins), then the rows kept."""
    wanted = {(at, first) for at, first, last in entries if first == last}
    if not wanted:
        return {}
    keys = queryset.filter(pk__in={pk for _at, pk in wanted}).values_list(field, "pk")
    kept = {pk: at for at, pk in keys if (at, pk) in wanted}
    out: dict[datetime, dict] = {}
    for row in queryset.filter(pk__in=kept) if kept else ():
        out.setdefault(kept[row.pk], {})[row.pk] = row
    return out
