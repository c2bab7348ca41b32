"""An export's progress (``rows_written``), reported while its file is written.

The writers stream from the job's own database connection: on PostgreSQL a
``COPY … TO STDOUT`` (CSV) or a server-side cursor in a transaction (XLSX).
The progress update must not touch that connection: inside ``COPY`` the
connection cannot run another statement (the worker hung at row 5,000, issue
14), and inside the read transaction the update would only become visible
when the file is done. So on PostgreSQL progress goes through a second
connection of its own, in autocommit: each update is committed, and seen by
every other connection (the API's poll, the admin page) at once.

SQLite (development) keeps a single connection: its cursor reads do not block
a write on the same connection, and a second connection would wait for the
job's write lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

from .models import Export

Progress = Callable[[int], None]

_UPDATE = f"UPDATE {Export._meta.db_table} SET rows_written = %s WHERE id = %s AND status = %s"


@contextmanager
def progress_reporter(*, export_id: int, using: str = DEFAULT_DB_ALIAS) -> Iterator[Progress]:
    """``report(n)``: record that ``n`` rows are written, visible to others now."""
    if connections[using].vendor != "postgresql":

        def same_connection(n: int) -> None:
            Export.objects.using(using).filter(pk=export_id, status=Export.Status.RUNNING).update(rows_written=n)

        yield same_connection
        return
    side = connections.create_connection(using)  # a wrapper of its own: autocommit, not shared with the job

    def side_connection(n: int) -> None:
        with side.cursor() as cursor:
            cursor.execute(_UPDATE, [n, export_id, Export.Status.RUNNING])

    try:
        yield side_connection
    finally:
        side.close()
