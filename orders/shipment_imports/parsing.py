"""Rule W3: read an uploaded CSV or XLSX of ``order_no, carrier, tracking_no``
(or 订单号, 物流公司, 运单号) with tablib (as django-import-export does)."""

from __future__ import annotations

import hashlib

import tablib
from django.conf import settings
from django.utils.translation import gettext as _

from ..errors import OrderError

HEADERS = {
    "order_no": "order_no",
    "订单号": "order_no",
    "carrier": "carrier",
    "物流公司": "carrier",
    "tracking_no": "tracking_no",
    "运单号": "tracking_no",
}
COLUMNS = ("order_no", "carrier", "tracking_no")
MAX_BYTES = 5 * 1024 * 1024


def _bad(reason: str) -> OrderError:
    return OrderError("bad_file", reason, status=400)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # a spreadsheet's number cell
        value = int(value)
    return str(value).strip()


def read_rows(*, name: str, content: bytes) -> tuple[list[list[str]], str]:
    """The file's rows as ``[order_no, carrier, tracking_no]`` and its SHA-256.
    ``bad_file`` (with the reason) or ``too_many_rows`` (400)."""
    if len(content) > MAX_BYTES:
        raise _bad(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    lower = name.lower()
    try:
        if lower.endswith(".csv"):
            text = content.decode("utf-8-sig")
            data = tablib.Dataset().load(text, format="csv")
        elif lower.endswith(".xlsx"):
            data = tablib.Dataset().load(content, format="xlsx")
        else:
            raise _bad(_("Upload a .csv or .xlsx file."))
    except OrderError:
        raise
    except UnicodeDecodeError:
        raise _bad(_("A CSV file must be UTF-8.")) from None
    except Exception as exc:  # tablib/openpyxl raise many kinds on a broken file
        raise _bad(_("The file cannot be read (%(error)s).") % {"error": type(exc).__name__}) from None
    headers = [HEADERS.get(_cell(h).lower() if _cell(h).isascii() else _cell(h)) for h in (data.headers or [])]
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        raise _bad(
            _("Missing columns: %(cols)s (order_no, carrier, tracking_no or 订单号, 物流公司, 运单号).")
            % {"cols": ", ".join(missing)}
        )
    index = [headers.index(c) for c in COLUMNS]
    rows = [[_cell(raw[i]) if i < len(raw) else "" for i in index] for raw in data]
    rows = [r for r in rows if any(r)]  # blank lines are not rows
    limit = settings.SHIPMENT_IMPORT_MAX_ROWS
    if len(rows) > limit:
        raise OrderError(
            "too_many_rows",
            _("%(count)s rows; one file holds at most %(max)s.") % {"count": len(rows), "max": limit},
            status=400,
            extra={"row_count": len(rows), "max_rows": limit},
        )
    if not rows:
        raise _bad(_("The file has no rows."))
    return rows, hashlib.sha256(content).hexdigest()
