"""Small helpers for the raw, set-based statements of the batch jobs."""

from __future__ import annotations

import zlib
from datetime import date, datetime

from django.db import connection

from ..models import ViolationChange


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def p_dt(value: datetime):
    """A datetime parameter in the form the backend stores (SQLite compares text)."""
    return connection.ops.adapt_datetimefield_value(value)


def p_day(value: date):
    return connection.ops.adapt_datefield_value(value)


def advisory_lock(name: str) -> None:
    """PostgreSQL: serialise a job across workers until the transaction ends.
    SQLite serialises writers already (IMMEDIATE transactions)."""
    if is_postgres():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"penalties.{name}".encode())])


# W2: the violations' change log (``models.ViolationChange``). Row triggers
# write one entry per row changed; a set-based statement that writes its rows'
# entries itself (``change_log_entries``: ``(now, lowest id, highest id)`` per
# span of ids, from its ``RETURNING``) runs between these two, so the triggers skip its rows
# (``models.CHANGE_LOG_SKIP``; a statement that fails rolls the setting back
# with it).
CHANGE_LOG_WRITTEN = "SET LOCAL penalties.change_log = 'written'"
CHANGE_LOG_BY_TRIGGERS = "SET LOCAL penalties.change_log = ''"

# The entries of a statement's rows, all changed at ``%(now)s``. The walk reads
# a range entry through the primary key, so an entry must be dense. A new
# night's judgements and the rows the batch settles are (fresh ids, and every
# pending id from the mark): one entry, ``(now, lowest id, highest id)``. A
# re-judgement's closed turns are not (predecessors from any earlier day):
# one entry per ``CHANGE_LOG_SPAN`` ids holding any, so a range query reads at
# most that many index entries. (One entry per span for all would cost the
# walk a query per span wherever a night's entries are superseded.)
CHANGE_LOG_SPAN = 10_000


def change_log_entries(source: str, *, sparse: bool = False) -> str:
    """``INSERT`` of the change-log entries of the rows in ``source`` (a CTE with ``id``)."""
    group = f" GROUP BY id / {CHANGE_LOG_SPAN}" if sparse else " HAVING COUNT(*) > 0"
    return f"""
  INSERT INTO {ViolationChange._meta.db_table} (changed_at, first_id, last_id)
  SELECT %(now)s, MIN(id), MAX(id) FROM {source}{group}
  ON CONFLICT DO NOTHING"""


# A set-based statement that gave this many rows one new change time
# refreshes the table's statistics before it commits: W2's walk reads those
# rows by ``updated_at = <that time>`` in a primary-key range, and with
# statistics that have never seen the value the planner expects one row and
# reads a shop's every violation instead (200 ms a page at 10M orders, 8 ms
# with them; autovacuum would catch up only a minute or so later).
ANALYZE_AFTER_ROWS = 10_000
