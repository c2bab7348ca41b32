"""Small helpers for the raw, set-based statements of the batch jobs."""

from __future__ import annotations

import zlib
from datetime import date, datetime

from django.db import connection


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
