"""Rule W1: the outbox. ``webhook_event_emit`` is called inside the
transaction of the change it describes: the event, its per-shop ``sequence``
and one delivery per subscribed endpoint commit with the change or not at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F

from . import dispatch
from .models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookSequence


def _next_sequence(shop_id: int) -> int:
    """The shop's next sequence, under the counter row's lock (held to commit)."""
    for _attempt in range(2):
        updated = WebhookSequence.objects.filter(shop_id=shop_id).update(last=F("last") + 1)
        if updated:
            return WebhookSequence.objects.values_list("last", flat=True).get(shop_id=shop_id)
        try:
            with transaction.atomic():
                WebhookSequence.objects.create(shop_id=shop_id, last=1)
            return 1
        except IntegrityError:  # a racing first event of the shop made the row
            continue
    raise RuntimeError("webhook sequence")


def webhook_event_emit(
    *, shop_id: int, type: str, data: dict | Callable[[], dict], now: datetime
) -> WebhookEvent | None:
    """W1: write the event and its deliveries in the caller's transaction
    (nothing when no active endpoint of the shop subscribes to ``type``)."""
    assert type in EVENT_TYPES, type
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(shop_id=shop_id, active=True).only("pk", "events") if e.wants(type)
    ]
    if not endpoints:
        return None
    if callable(data):  # built only when someone listens
        data = data()
    with transaction.atomic():
        sequence = _next_sequence(shop_id)
        msg_id = "msg_" + uuid.uuid4().hex
        body = json.dumps(
            {"type": type, "timestamp": now.isoformat(), "shop": shop_id, "sequence": sequence, "data": data},
            cls=DjangoJSONEncoder,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        event = WebhookEvent.objects.create(
            msg_id=msg_id, shop_id=shop_id, type=type, sequence=sequence, body=body, created_at=now
        )
        give_up = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(endpoint=e, event=event, created_at=now, next_attempt_at=now, give_up_at=give_up)
                for e in endpoints
            ]
        )
    ids = [d.pk for d in deliveries]
    if ids[0] is None:  # a backend without RETURNING on bulk insert
        ids = list(event.deliveries.values_list("pk", flat=True))
    dispatch.deliver_after_commit(ids)
    return event
