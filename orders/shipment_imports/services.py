"""Rule W3: bulk shipping. The upload is read and checked at once (bad file,
too many rows); the run happens in the background and sends every row through
``orders_ship_bulk``, the shipping service's many-orders form (the same O3
checks as ``order_ship``, under the same row locks; the writes set-based: one
status move, one events insert and the ``order.shipped`` pushes per chunk of
rows), one transaction per chunk. A dry run calls the same service in a
transaction it rolls back, so it reports exactly what the real run would do.
Uploading the same file again ships nothing twice: an order already shipped
with the same carrier and tracking number is ``unchanged``.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Order, Shop
from ..serializers import ShipInput
from ..services.shipping import orders_ship_bulk
from . import dispatch
from .models import ShipmentImport, ShipmentImportRow
from .parsing import read_rows

logger = logging.getLogger(__name__)
I = ShipmentImport.Status  # noqa: E741
CHUNK = 500  # rows per transaction (progress is written after each)
STALE_RUNNING = timedelta(minutes=15)

# order_ship's refusals → the import's row codes (API.md).
CODES = {
    "already_shipped": "already_shipped",
    "cancellation_pending": "cancellation_pending",
    "carrier_required": "bad_tracking_no",
    "tracking_no_required": "bad_tracking_no",
}


class _DryRun(Exception):
    """Rolls a dry run's shipment back."""


@transaction.atomic
def shipment_import_create(
    *, shop: Shop, user, name: str, content: bytes, dry_run: bool, now: datetime
) -> ShipmentImport:
    """W3: record the upload (its rows) and queue the run after commit."""
    rows, sha = read_rows(name=name, content=content)
    imp = ShipmentImport.objects.create(
        shop=shop,
        created_by=user,
        dry_run=dry_run,
        filename=name[:200],
        sha256=sha,
        rows_data=rows,
        total_rows=len(rows),
        created_at=now,
    )
    dispatch.run_after_commit(imp.pk)
    return imp


def _ship(imp: ShipmentImport, rows: list[tuple[int, str, str]], now: datetime) -> dict:
    """The chunk's valid rows through ``orders_ship_bulk`` (O3, set-based);
    a dry run rolls its shipments back after reading the outcome."""
    out: dict = {}
    try:
        with transaction.atomic():
            out = orders_ship_bulk(shipments=rows, by=imp.created_by, now=now)
            if imp.dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return out


def _chunk_outcomes(imp: ShipmentImport, chunk: list, ids: dict[str, int], now: datetime) -> dict[int, tuple[str, str]]:
    """``{row number: ("shipped" | "unchanged" | <refusal code>, detail)}``."""
    decided: dict[int, tuple[str, str]] = {}
    valid_rows: dict[int, tuple[int, str, str]] = {}
    for n, (order_no, carrier, tracking_no), repeated in chunk:
        if repeated:
            decided[n] = ("duplicate_in_file", _("This order is already in an earlier row of the file."))
            continue
        order_id = ids.get(order_no)
        if order_id is None:
            # Another shop's order is not found, exactly like a missing one.
            decided[n] = ("not_found", _("No such order in this shop."))
            continue
        valid = ShipInput(data={"carrier": carrier, "tracking_no": tracking_no})
        if not valid.is_valid():
            detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in valid.errors.items())[:300]
            decided[n] = ("bad_tracking_no", detail)
            continue
        valid_rows[n] = (order_id, valid.validated_data["carrier"], valid.validated_data["tracking_no"])
    results = _ship(imp, list(valid_rows.values()), now) if valid_rows else {}
    shipped_before = {
        pk: (carrier, tracking_no)
        for pk, carrier, tracking_no in Order.objects.filter(
            pk__in=[oid for oid, exc in results.items() if exc is not None and exc.code == "already_shipped"]
        ).values_list("pk", "carrier", "tracking_no")
    }
    for n, (order_id, carrier, tracking_no) in valid_rows.items():
        exc = results.get(order_id)
        if exc is None:
            decided[n] = ("shipped", "")
        elif exc.code == "already_shipped" and shipped_before.get(order_id) == (carrier.strip(), tracking_no.strip()):
            decided[n] = ("unchanged", _("Already shipped with this carrier and tracking number."))
        else:
            decided[n] = (CODES.get(exc.code, "not_shippable"), str(exc.detail)[:300])
    return decided


def shipment_import_run(*, import_id: int, now: datetime) -> dict:
    """W3: the background run (or dry run) of one import; safe to run twice
    (a second worker finds it claimed; a rerun after a crash ships nothing twice)."""
    claimed = ShipmentImport.objects.filter(pk=import_id, status=I.QUEUED).update(status=I.RUNNING, started_at=now)
    if not claimed:
        return {"skipped": import_id}
    imp = ShipmentImport.objects.select_related("created_by").get(pk=import_id)
    try:
        summary = _run(imp, now)
    except Exception as exc:
        logger.exception("shipment import %s failed", import_id)
        ShipmentImport.objects.filter(pk=import_id).update(status=I.FAILED, finished_at=now, error=repr(exc)[:2000])
        return {"failed": import_id}
    return summary


def _run(imp: ShipmentImport, now: datetime) -> dict:
    rows = imp.rows_data
    ids: dict[str, int] = {}
    numbers = sorted({r[0] for r in rows if r[0]})
    for i in range(0, len(numbers), 1000):
        ids.update(
            Order.objects.filter(shop_id=imp.shop_id, order_no__in=numbers[i : i + 1000]).values_list("order_no", "pk")
        )
    ShipmentImportRow.objects.filter(shipment_import=imp).delete()  # a rerun after a crash starts over
    counts = {"shipped": 0, "unchanged": 0, "refused": 0}
    refused: list[ShipmentImportRow] = []
    results: list[list] = []
    seen: set[str] = set()
    # One transaction per chunk of rows: refused rows are decided before any
    # write (so they change nothing) and the chunk's shipments are a few
    # statements (``orders_ship_bulk``): 10,000 rows cost 20 commits and a few
    # hundred queries, not 10,000 transactions of ten queries each. Within a
    # chunk the orders are locked in primary-key order (no deadlock with
    # another transaction locking several orders); a repeated order is
    # decided in file order first (the first row wins).
    numbered = []
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        numbered.append((n, row, row[0] in seen))
        seen.add(row[0])
    for start in range(0, len(numbered), CHUNK):
        chunk = numbered[start : start + CHUNK]
        with transaction.atomic():
            decided = _chunk_outcomes(imp, chunk, ids, now)
        for n, (order_no, carrier, tracking_no), _repeated in chunk:
            code, detail = decided[n]
            if code in ("shipped", "unchanged"):
                counts[code] += 1
            else:
                counts["refused"] += 1
                refused.append(
                    ShipmentImportRow(shipment_import=imp, row=n, order_no=order_no[:64], code=code, detail=detail)
                )
            results.append([n, order_no, carrier, tracking_no, code, detail])
        ShipmentImport.objects.filter(pk=imp.pk).update(**counts)
    refused.sort(key=lambda r: r.row)
    results.sort(key=lambda r: r[0])
    ShipmentImportRow.objects.bulk_create(refused, batch_size=1000)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "order_no", "carrier", "tracking_no", "result", "detail"])
    writer.writerows(results)
    imp.result_file.save(f"import-{imp.pk}-result.csv", ContentFile(("\ufeff" + out.getvalue()).encode()), save=False)
    ShipmentImport.objects.filter(pk=imp.pk).update(
        **counts, status=I.DONE, finished_at=now, result_file=imp.result_file.name
    )
    summary = {"import": imp.pk, "dry_run": imp.dry_run, **counts}
    logger.info("shipment_import_run %s", summary)
    return summary


def shipment_imports_requeue(*, now: datetime) -> dict:
    """W3 sweeper: a queued import whose message was lost is sent again; one
    left running by a killed worker is queued again (a rerun ships nothing twice)."""
    stale = ShipmentImport.objects.filter(status=I.RUNNING, started_at__lt=now - STALE_RUNNING).update(status=I.QUEUED)
    queued = list(
        ShipmentImport.objects.filter(status=I.QUEUED, created_at__lt=now - timedelta(minutes=1)).values_list(
            "pk", flat=True
        )[:100]
    )
    for pk in queued:
        dispatch.run_now(pk)
    return {"requeued": len(queued), "stale": stale}


__all__ = ["shipment_import_create", "shipment_import_run", "shipment_imports_requeue"]
