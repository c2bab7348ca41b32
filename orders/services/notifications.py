"""In-site notifications (T5, P6, C3, F1): written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from ..models import Notification, NotificationRead, Shop


def notification_create(
    *, shop: Shop | int, kind: str, title: str, body: str = "", data: dict | None = None, dedupe_key: str | None = None
) -> Notification | None:
    """Notify a shop's members. With ``dedupe_key`` a second call is a no-op
    (returns ``None``): "notify once" is enforced by a unique index."""
    shop_id = shop if isinstance(shop, int) else shop.pk
    fields = {"shop_id": shop_id, "kind": kind, "title": title, "body": body, "data": data or {}}
    if dedupe_key is None:
        return Notification.objects.create(**fields)
    try:
        with transaction.atomic():
            return Notification.objects.create(dedupe_key=dedupe_key, **fields)
    except IntegrityError:
        return None


def notifications_bulk_create(rows: list[dict]) -> int:
    """Set-based insert for batch jobs; rows with a ``dedupe_key`` already
    present are skipped (``ON CONFLICT DO NOTHING``). Returns how many were
    written: ``bulk_create`` with ``ignore_conflicts`` returns every object
    it was given, so the keyed rows are counted on the unique index before
    and after (two index-only counts; a rerun of a job reports 0)."""
    keys = [row["dedupe_key"] for row in rows if row.get("dedupe_key")]
    present = Notification.objects.filter(dedupe_key__in=keys).count() if keys else 0
    Notification.objects.bulk_create([Notification(**row) for row in rows], ignore_conflicts=True, batch_size=1000)
    written = Notification.objects.filter(dedupe_key__in=keys).count() - present if keys else 0
    return written + len(rows) - len(keys)


def notification_mark_read(*, notification: Notification, user, now) -> datetime:
    """Mark read for ``user`` only (each member has their own read state; a
    colleague still sees it unread). Once: a second call keeps the first
    ``read_at``, which is returned."""
    NotificationRead.objects.bulk_create(
        [NotificationRead(notification_id=notification.pk, user_id=user.pk, read_at=now)], ignore_conflicts=True
    )
    return NotificationRead.objects.values_list("read_at", flat=True).get(notification_id=notification.pk, user=user)
