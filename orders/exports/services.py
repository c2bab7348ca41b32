"""Export jobs (rules X1–X3, T4): request, run, re-queue, expire."""

from __future__ import annotations

import logging
import math
import secrets
import time
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Now
from django.utils.translation import gettext as _

from config.db_routing import export_read_alias
from config.errors import DomainError

from .. import privacy
from ..policy import rule
from ..selectors import shop_ids_visible_to
from .models import Export
from .progress import progress_reporter
from .registry import ExportKind, get_kind, kind_names
from .writers import WRITERS

logger = logging.getLogger(__name__)

STALE_QUEUED = timedelta(minutes=2)  # a queued job older than this was probably never sent
STALE_RUNNING = timedelta(hours=1)  # a running job older than this lost its worker
EXPORT_DIR = "exports"


class ExportError(DomainError):
    """An export refused; ``code`` is stable (API.md)."""


def _invalid(errors: dict) -> ExportError:
    return ExportError("invalid", _("Invalid input."), status=400, extra={"errors": errors})


# --- selection ---------------------------------------------------------------
def export_selection(*, kind: ExportKind, filters: dict, user) -> QuerySet:
    """The rows an export of ``kind`` with ``filters`` holds for ``user``: the
    list endpoint's FilterSet over the list endpoint's scoping (so a merchant's
    export holds only its shops' rows whatever it sends). Bad filters → 400."""
    if not isinstance(filters, dict):
        raise _invalid({"filters": [_("Must be an object.")]})
    declared = kind.filterset_class.base_filters
    errors: dict = {}
    for key, value in filters.items():
        if key not in declared:
            errors[key] = [_("Unknown filter.")]
        elif isinstance(value, dict | list):
            errors[key] = [_("Must be a single value.")]
    if errors:
        raise _invalid(errors)
    # An empty or null filter is a 400, as on the list (config.filters.BaseFilterSet).
    filterset = kind.filterset_class(data=dict(filters), queryset=kind.scoped_queryset(user))
    if not filterset.is_valid():
        raise _invalid({k: [str(m) for m in v] for k, v in filterset.errors.items()})
    shop_key = kind.shop_filter
    if shop_key and filterset.form.cleaned_data.get(shop_key) is not None:
        if int(filterset.form.cleaned_data[shop_key]) not in shop_ids_visible_to(user):
            raise _invalid({shop_key: [_("Unknown shop.")]})
    return filterset.qs


def admin_selection(*, kind: ExportKind, query: str, user) -> QuerySet:
    """The rows of the admin change list at ``?query`` as ``user`` sees them."""
    from django.contrib import admin
    from django.http import HttpRequest, QueryDict

    model_admin = admin.site._registry.get(kind.model)
    if model_admin is None or not hasattr(model_admin, "get_export_queryset"):
        raise ExportError("invalid", _("This list cannot be exported from the admin."), status=400)
    # The change list reads only the query string and the user from its request.
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(query)
    request.user = user
    return model_admin.get_export_queryset(request)


# --- O5: filters at rest --------------------------------------------------------
HASH_SUFFIX = "__hmac"  # ``phone`` → ``phone__hmac``: the keyed hash, never the number
MASK_SUFFIX = "__masked"  # ``phone__masked``: shown on the exports page


def filters_at_rest(*, kind: ExportKind, filters: dict) -> dict:
    """O5: the filters as the job record keeps them: a private filter's value
    (the buyer's phone) becomes its keyed hash and its masked form."""
    stored = {}
    for key, value in filters.items():
        if key in kind.private_filters and value not in (None, ""):
            stored[key + HASH_SUFFIX] = privacy.phone_hash(str(value))
            stored[key + MASK_SUFFIX] = privacy.mask_phone(str(value))
        else:
            stored[key] = value
    return stored


def admin_filters_at_rest(*, kind: ExportKind, query: str) -> dict:
    """O5: an admin change list's query string as the job keeps it: a search
    term that is a phone (the admin routes it to the keyed hash) is stored as
    that hash, the rest of the query as is."""
    from django.http import QueryDict

    params = QueryDict(query, mutable=True)
    term = params.get("q", "")
    stored: dict = {}
    if kind.private_filters and privacy.looks_like_phone(term):
        name = next(iter(kind.private_filters))
        params.pop("q")
        stored[name + HASH_SUFFIX] = privacy.phone_hash(term)
        stored[name + MASK_SUFFIX] = privacy.mask_phone(term)
    return {"admin_query": params.urlencode(), **stored}


def _private_lookups(kind: ExportKind, stored: dict) -> tuple[dict, dict]:
    """Split stored filters into (plain filters, {hash field: hash})."""
    plain, lookups = {}, {}
    for key, value in stored.items():
        name, sep, suffix = key.rpartition("__")
        if sep and name in kind.private_filters and f"__{suffix}" in (HASH_SUFFIX, MASK_SUFFIX):
            if f"__{suffix}" == HASH_SUFFIX:
                lookups[kind.private_filters[name]] = str(value)
            continue
        plain[key] = value
    return plain, lookups


def _selection_for(export: Export, kind: ExportKind) -> QuerySet:
    plain, lookups = _private_lookups(kind, export.filters)
    if export.source == Export.Source.ADMIN:
        selection = admin_selection(kind=kind, query=plain.get("admin_query", ""), user=export.created_by)
    else:
        selection = export_selection(kind=kind, filters=plain, user=export.created_by)
    return selection.filter(**lookups) if lookups else selection


def export_kind_get(name) -> ExportKind:
    kind = get_kind(name) if isinstance(name, str) else None
    if kind is None:
        raise _invalid({"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(kind_names())}]})
    return kind


# --- request -------------------------------------------------------------------
def export_request(
    *,
    user,
    kind: ExportKind,
    fmt: str,
    filters: dict,
    selection: QuerySet,
    now: datetime,
    source: str = Export.Source.API,
    excel_text: bool = False,
) -> Export:
    """Rules X1–X3 / T4: record an export job and queue it (a retried
    ``Idempotency-Key`` is answered by ``orders.idempotency`` around the view).

    X1: more than ``EXPORT_MAX_ROWS`` rows → 400 ``too_many_rows`` with the count.
    X2: another export by the same user within ``EXPORT_INTERVAL_SECONDS``
    (failed ones do not count) → 429 ``export_rate_limited`` with the seconds
    left. The check and the insert happen under a lock on the user's row, so
    it holds across processes and under a double click. The minute is read on
    the database's clock (``Now()``, read with the lock), never a web host's:
    ``created_at`` is stamped with it and compared with it, so two hosts
    whose clocks disagree still allow one export a minute.
    """
    if fmt not in Export.Format.values:
        raise _invalid({"format": [_("Choose csv or xlsx.")]})
    max_rows = rule("EXPORT_MAX_ROWS")
    count = selection.count()
    if count > max_rows:
        raise ExportError(
            "too_many_rows",
            _("%(count)s rows match; one export holds at most %(max)s. Narrow the filters.")
            % {"count": count, "max": max_rows},
            status=400,
            extra={"row_count": count, "max_rows": max_rows},
        )
    interval = rule("EXPORT_INTERVAL_SECONDS")
    with transaction.atomic():
        # The user's row is the lock: every export request of this user waits
        # here. The database's clock is read with it (one clock for every host).
        db_now = (
            get_user_model()
            .objects.select_for_update()
            .filter(pk=user.pk)
            .annotate(db_now=Now())
            .values_list("db_now", flat=True)
            .first()
        )
        last = (
            Export.objects.filter(created_by=user, created_at__gt=db_now - timedelta(seconds=interval))
            .exclude(status=Export.Status.FAILED)
            .order_by("-created_at")
            .first()
        )
        if last is not None:
            retry_after = max(1, math.ceil(interval - (db_now - last.created_at).total_seconds()))
            raise ExportError(
                "export_rate_limited",
                _("One export per minute: try again in %(seconds)s s.") % {"seconds": retry_after},
                status=429,
                extra={"retry_after": retry_after},
            )
        export = Export.objects.create(
            kind=kind.name,
            format=fmt,
            excel_text=bool(excel_text) and fmt == Export.Format.CSV,  # XLSX cells are typed text already
            source=source,
            filters=filters if source == Export.Source.ADMIN else filters_at_rest(kind=kind, filters=filters),
            created_by=user,
            row_count=count,
            created_at=db_now,  # X2 counts on the database's clock
            enqueued_at=now,
            enqueue_attempts=1,
        )
        transaction.on_commit(partial(export_enqueue, export_id=export.pk))
    logger.info("export %s queued: %s.%s, %s rows, user %s", export.pk, kind.name, fmt, count, user.pk)
    return export


def export_enqueue(*, export_id: int) -> bool:
    """Send the job to the broker. A broker outage is logged, not raised: the
    job row is recorded and the sweeper (``exports_requeue_stale``) sends it later."""
    from .tasks import run_export

    try:
        run_export.apply_async(args=[export_id], retry=False)
    except Exception:  # kombu/redis connection errors vary by transport
        logger.exception("export %s: broker unavailable, left queued for the sweeper", export_id)
        return False
    return True


# --- run -------------------------------------------------------------------------
def export_file_path(export: Export) -> Path:
    return Path(settings.MEDIA_ROOT) / export.file


def export_run(*, export_id: int, now: datetime) -> dict:
    """X3: write the file by streaming the selection, recording progress,
    size, duration and the finish time, or the error. Runs once per job
    (conditional ``queued → running``), so a duplicate message is harmless."""
    entered = time.monotonic()  # ``now`` is this call's start: the finish time counts from here
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING, started_at=now
    )
    if not claimed:
        return {"export": export_id, "skipped": True}
    export = Export.objects.select_related("created_by").get(pk=export_id)
    started = time.monotonic()
    relative = f"{EXPORT_DIR}/{now:%Y%m%d}/{export.kind}-{export.pk}-{secrets.token_hex(8)}.{export.format}"
    path = Path(settings.MEDIA_ROOT) / relative
    tmp = path.with_name(path.name + ".part")

    try:
        kind = export_kind_get(export.kind)
        # Issue 18: from the replica when there is one (once it has caught up with the primary).
        selection = (
            _selection_for(export, kind).using(export_read_alias()).order_by(*kind.ordering)[: rule("EXPORT_MAX_ROWS")]
        )
        resource = kind.resource_class(user=export.created_by, excel_text=export.excel_text)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Progress from a connection of its own: never the one inside COPY (orders.exports.progress).
        with progress_reporter(export_id=export_id) as progress:
            rows = WRITERS[export.format](resource, selection, tmp, progress)
        tmp.replace(path)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        error = exc.detail if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        logger.exception("export %s failed", export_id)
        elapsed = time.monotonic() - started
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.FAILED,
            error=privacy.redact(str(error))[:2000],
            duration_ms=int(elapsed * 1000),
            finished_at=now + timedelta(seconds=time.monotonic() - entered),
        )
        return {"export": export_id, "failed": privacy.redact(str(error))[:200]}
    elapsed = time.monotonic() - started
    Export.objects.filter(pk=export_id).update(
        status=Export.Status.DONE,
        file=relative,
        rows_written=rows,
        size_bytes=path.stat().st_size,
        duration_ms=int(elapsed * 1000),
        finished_at=now + timedelta(seconds=time.monotonic() - entered),
    )
    summary = {"export": export_id, "rows": rows, "bytes": path.stat().st_size, "seconds": round(elapsed, 3)}
    logger.info("export done %s", summary)
    return summary


# --- batch jobs ----------------------------------------------------------------------
def exports_requeue_stale(*, now: datetime, limit: int = 200) -> dict:
    """Jobs left ``queued`` (broker down when they were requested, message
    lost) are sent again; jobs ``running`` far too long lost their worker and
    fail. Two sweepers at once claim disjoint rows (SKIP LOCKED)."""
    with transaction.atomic():
        ids = list(
            Export.objects.select_for_update(skip_locked=True)
            .filter(status=Export.Status.QUEUED, enqueued_at__lt=now - STALE_QUEUED)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        Export.objects.filter(pk__in=ids).update(enqueued_at=now, enqueue_attempts=F("enqueue_attempts") + 1)
    sent = sum(1 for pk in ids if export_enqueue(export_id=pk))
    lost = Export.objects.filter(status=Export.Status.RUNNING, started_at__lt=now - STALE_RUNNING).update(
        status=Export.Status.FAILED, error="The worker stopped before the file was written.", finished_at=now
    )
    summary = {"requeued": sent, "not_sent": len(ids) - sent, "lost": lost}
    logger.info("exports sweep %s", summary)
    return summary


def export_expires_at(export: Export) -> datetime:
    """X3: the last instant the file may be downloaded (created + ``EXPORT_TTL_DAYS``)."""
    return export.created_at + timedelta(days=rule("EXPORT_TTL_DAYS"))


def export_is_expired(export: Export, now: datetime) -> bool:
    """X3 at the moment of the act: expired once past ``export_expires_at``,
    whether or not the hourly job has marked it yet (the same instant as
    ``exports_expire``: ``created_at < now - TTL``)."""
    return export.status == Export.Status.EXPIRED or now > export_expires_at(export)


def export_expire_now(*, export: Export, now: datetime) -> bool:
    """X3: a download found the file past its time: delete it and mark the
    record expired then and there, as the hourly job would (conditional, so
    the job and a download never both act). True if this call expired it."""
    if not now > export_expires_at(export) or export.status in (Export.Status.EXPIRED, Export.Status.RUNNING):
        return False
    changed = (
        Export.objects.filter(pk=export.pk, status=export.status)
        .exclude(status=Export.Status.RUNNING)
        .update(status=Export.Status.EXPIRED, file="")
    )
    if changed and export.file:
        export_file_path(export).unlink(missing_ok=True)
    export.status, export.file = Export.Status.EXPIRED, ""
    return bool(changed)


def exports_expire(*, now: datetime, limit: int = 1000) -> dict:
    """X3: files older than ``EXPORT_TTL_DAYS`` are deleted and their records
    marked ``expired``; expired records are purged after another TTL."""
    ttl = timedelta(days=rule("EXPORT_TTL_DAYS"))
    old = list(
        Export.objects.filter(created_at__lt=now - ttl)
        .exclude(status=Export.Status.EXPIRED)
        .exclude(status=Export.Status.RUNNING)
        .values_list("pk", "file")[:limit]
    )
    for _pk, relative in old:
        if relative:
            (Path(settings.MEDIA_ROOT) / relative).unlink(missing_ok=True)
    expired = Export.objects.filter(pk__in=[pk for pk, _f in old]).update(status=Export.Status.EXPIRED, file="")
    purged, _ = Export.objects.filter(status=Export.Status.EXPIRED, created_at__lt=now - 2 * ttl).delete()
    summary = {"expired": expired, "purged": purged}
    logger.info("exports expiry %s", summary)
    return summary
