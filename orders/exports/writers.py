"""Streaming file writers (X3, issue 6 point 6). None holds the whole export
in memory: rows go from the database cursor to the file in chunks.

- CSV on PostgreSQL: ``COPY (<the filtered queryset's SQL>) TO STDOUT`` through
  psycopg 3's ``cursor.copy``: the database formats every value (JIT off, see
  :func:`_copy_session`).
- CSV elsewhere (SQLite) or when a column needs Python (a decrypted phone):
  ``values_list().iterator()`` + ``csv.writer``.
- XLSX: a server-side cursor (on PostgreSQL, times already Excel serial
  numbers) into XlsxWriter in ``constant_memory`` mode (rows are flushed as
  they are written; strings never become formulas or links).
Both CSV paths write the same text (UTF-8 with BOM for Excel, ``\\n`` lines);
a CSV "for Excel" (``Export.excel_text``) writes all-digit identifiers as ="…".
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import xlsxwriter
from django.db import connections, transaction
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..policy import PLATFORM_TZ
from .columns import DATETIME, NUMBER, Column, copy_expression, py_value, xlsx_expression
from .resources import ColumnResource

CHUNK = 2000
PROGRESS_EVERY = 5000
BOM = "\ufeff"
WRITE_BUFFER = 1 << 20

Progress = Callable[[int], None]


def _noop(_: int) -> None:
    pass


def can_copy(resource: ColumnResource, queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql" and not resource.needs_python


def write_csv(resource: ColumnResource, queryset: QuerySet, path: Path, progress: Progress = _noop) -> int:
    if can_copy(resource, queryset):
        return write_csv_copy(resource, queryset, path, progress)
    return write_csv_python(resource, queryset, path, progress)


def _rows(resource: ColumnResource, queryset: QuerySet, *, native: bool):
    columns = resource.columns
    for row in resource.values(queryset).iterator(chunk_size=CHUNK):
        for_excel = resource.excel_text and not native
        yield [py_value(c, v, native=native, for_excel=for_excel) for c, v in zip(columns, row, strict=True)]


def write_csv_python(resource: ColumnResource, queryset: QuerySet, path: Path, progress: Progress = _noop) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(BOM)
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(resource.headers)
        for row in _rows(resource, queryset, native=False):
            writer.writerow(row)
            n += 1
            if n % PROGRESS_EVERY == 0:
                progress(n)
    return n


def copy_sql(resource: ColumnResource, queryset: QuerySet) -> tuple[str, tuple]:
    """The filtered queryset's SQL, selecting each column as the text to write."""
    for_excel = resource.excel_text
    qs = queryset.annotate(**{c.key: copy_expression(c, for_excel=for_excel) for c in resource.columns}).values_list(
        *[c.key for c in resource.columns]
    )
    return qs.query.get_compiler(using=qs.db).as_sql()


@contextmanager
def copy_blocks(resource: ColumnResource, queryset: QuerySet) -> Iterator[Iterable[memoryview]]:
    """``COPY (<the export's SQL>) TO STDOUT (FORMAT csv)``: the CSV lines,
    one block per row (PostgreSQL sends one CopyData message per row), in a
    transaction of its own (or a savepoint) with :func:`_copy_session`."""
    sql, params = copy_sql(resource, queryset)
    with transaction.atomic(using=queryset.db), connections[queryset.db].cursor() as cursor:
        _copy_session(cursor)
        raw = cursor.cursor  # psycopg 3 ClientCursor: binds parameters client-side
        statement = raw.mogrify(sql, params) if params else sql
        with raw.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
            yield copy


def write_csv_copy(resource: ColumnResource, queryset: QuerySet, path: Path, progress: Progress = _noop) -> int:
    n = 0
    with open(path, "wb", buffering=WRITE_BUFFER) as f:
        f.write(BOM.encode())
        f.write(_csv_line(resource.headers).encode())
        with copy_blocks(resource, queryset) as blocks:
            for n, block in enumerate(blocks, start=1):
                f.write(block)
                if n % PROGRESS_EVERY == 0:
                    progress(n)
    return n


def _copy_session(cursor) -> None:
    """Settings for the export's ``COPY``, local to its transaction:

    - ``jit = off``: the ``LIMIT`` over a big plan (its total cost counts the
      whole table) makes PostgreSQL JIT-compile the statement, which costs more
      (~240 ms, more in a fresh backend) than the whole query without it;
    - ``DateStyle = ISO``: timestamps are written ``YYYY-MM-DD HH:MM:SS``
      (see ``columns.ShanghaiText``) whatever the server's default.
    Inside an outer transaction (a test, a request) they last until it ends."""
    cursor.execute("SELECT set_config('jit', 'off', true), set_config('DateStyle', 'ISO', true)")


def _csv_line(values: list[str]) -> str:
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def _cell(value):
    if isinstance(value, str):
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            value = "'" + value  # data, never a formula
    return value


def write_xlsx(resource: ColumnResource, queryset: QuerySet, path: Path, progress: Progress = _noop) -> int:
    """XLSX with XlsxWriter's constant-memory mode (rows are flushed to a
    temporary file as they are written; inline strings, no shared-string table).

    The work per cell is kept to XlsxWriter's own: each column's ``write_*``
    method is chosen once, PostgreSQL sends times as Excel serial numbers (a
    date cell *is* a number with a date format), and control characters
    (which XLSX cannot hold) are looked for once per row. Strings are written
    with ``write_string``: never a formula, a link or a number."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    n = 0
    try:
        sheet = workbook.add_worksheet("export")
        bold = workbook.add_format({"bold": True})
        when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for col, header in enumerate(resource.headers):
            sheet.write_string(0, col, header, bold)
        vendor = connections[queryset.db].vendor
        cells = [_xlsx_cell(sheet, c, vendor, when) for c in resource.columns]
        for n, row in enumerate(_xlsx_rows(resource, queryset, vendor), start=1):
            if _CONTROL.search("".join([v for v in row if type(v) is str])):
                row = [_clean(v) if isinstance(v, str) else v for v in row]
            for col, value in enumerate(row):
                if value is not None and value != "":
                    cells[col](n, col, value)
            if n % PROGRESS_EVERY == 0:
                progress(n)
    finally:
        workbook.close()
    return n


# What XLSX (XML 1.0) cannot hold: C0 controls but tab, newline, carriage return.
_CONTROL = ILLEGAL_CHARACTERS_RE


def _clean(value: str) -> str:
    return _CONTROL.sub("", value)


def _xlsx_cell(sheet, column: Column, vendor: str, when) -> Callable[..., object]:
    """The call that writes one cell of ``column``: ``f(row, col, value)``."""
    if column.convert is not None:
        convert = column.convert
        return lambda r, c, v: sheet.write_string(r, c, _clean(str(convert(v))))
    if column.type == DATETIME:
        if vendor == "postgresql":
            return partial(sheet.write_number, cell_format=when)  # already an Excel serial
        return lambda r, c, v: sheet.write_datetime(r, c, v.astimezone(PLATFORM_TZ).replace(tzinfo=None), when)
    if column.type == NUMBER:
        return sheet.write_number
    return _TextCell(sheet.write_string)


class _TextCell:
    """``write_string``, after ``str()`` for a value that is not one yet."""

    __slots__ = ("write",)

    def __init__(self, write):
        self.write = write

    def __call__(self, r: int, c: int, v) -> object:
        return self.write(r, c, v if type(v) is str else str(v))


def _xlsx_rows(resource: ColumnResource, queryset: QuerySet, vendor: str):
    """The rows as tuples (times as Excel serials on PostgreSQL), read through a
    server-side cursor in a transaction of its own. On PostgreSQL the values
    are psycopg's own (``str``, ``int``, ``float``, ``Decimal``): Django's
    per-value converters are skipped (a few % of the writer) and JIT is off
    (see :func:`_copy_session`); elsewhere ``values_list().iterator()``."""
    keys = [c.key for c in resource.columns]
    qs = queryset.annotate(**{c.key: xlsx_expression(c, vendor) for c in resource.columns}).values_list(*keys)
    with transaction.atomic(using=queryset.db):
        if vendor != "postgresql":
            yield from qs.iterator(chunk_size=CHUNK)
            return
        sql, params = qs.query.get_compiler(using=qs.db).as_sql()
        connection = connections[queryset.db]
        with connection.cursor() as cursor:
            _copy_session(cursor)
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(CHUNK):
                yield from rows


def write_xlsx_openpyxl(resource: ColumnResource, queryset: QuerySet, path: Path, progress: Progress = _noop) -> int:
    """The same with openpyxl's write-only workbook (kept for the benchmark: ~10× slower here)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="export")
    ws.append(resource.headers)
    n = 0
    for row in _rows(resource, queryset, native=True):
        ws.append([_cell(v) for v in row])
        n += 1
        if n % PROGRESS_EVERY == 0:
            progress(n)
    wb.save(path)
    return n


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}
