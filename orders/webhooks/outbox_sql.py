"""Rule W1 for the set-based jobs: their events reach the outbox in the job's
own transaction, without a Python loop per row.

A job hands a ``SELECT shop_id, obj_id, data`` over the rows it changed
(``data``: the object as the API shows it, JSON text built by the database;
``obj_id``: the row's id, unique per event type, so a rerun writes nothing
twice). ``outbox_emit_select`` then

* asks which active endpoints subscribe to the type (one query on the small
  endpoint table): a job whose shops have no endpoint costs nothing more;
* on PostgreSQL, writes in **one statement** (data-modifying CTEs): bumps each
  listening shop's ``WebhookSequence`` once by its number of events, numbers
  the events ``last - n + row_number()`` per shop (no gap, no duplicate: the
  counter row stays locked to commit, as for a single event), inserts the
  events and one delivery per subscribed endpoint;
* elsewhere (SQLite) runs the same plan as a few statements
  (``outbox_emit_rows``, which the chunked order jobs also call with payloads
  their serializers built).

The deliveries are queued after commit in batches; the sweeper sends what a
lost message leaves behind.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from rest_framework import serializers

from . import dispatch
from .models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookSequence

DISPATCH_BATCH = 100  # deliveries per Celery message

T = {
    "event": WebhookEvent._meta.db_table,
    "delivery": WebhookDelivery._meta.db_table,
    "sequence": WebhookSequence._meta.db_table,
    "endpoint": WebhookEndpoint._meta.db_table,
}


def listening_endpoints(*, type: str, shop_ids: Iterable[int] | None = None) -> dict[int, list[int]]:
    """``{shop_id: [endpoint ids]}``: the active endpoints subscribed to ``type``."""
    qs = WebhookEndpoint.objects.filter(active=True).only("pk", "shop_id", "events").order_by("pk")
    if shop_ids is not None:
        qs = qs.filter(shop_id__in=list(set(shop_ids)))
    out: dict[int, list[int]] = defaultdict(list)
    for endpoint in qs:
        if endpoint.wants(type):
            out[endpoint.shop_id].append(endpoint.pk)
    return dict(out)


# -- building the payload in SQL --------------------------------------------------------------------------------


def api_time(value: datetime | None) -> str | None:
    """A time as the API writes it (DRF, ISO 8601 in the platform's zone)."""
    return None if value is None else serializers.DateTimeField().to_representation(value)


def json_object_sql(pairs: list[tuple[str, str]]) -> str:
    """A JSON object as text from ``(key, SQL expression)`` pairs."""
    args = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
    if connection.vendor == "postgresql":
        return f"json_build_object({args})::text"
    return f"json_object({args})"


def money_sql(expr: str) -> str:
    """A decimal column as the API's string with its two places."""
    if connection.vendor == "postgresql":
        return f"CAST({expr} AS text)"
    return f"printf('%%.2f', {expr})"


def day_sql(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST({expr} AS text)"
    return expr  # SQLite stores dates as ISO text


JSON_FALSE = {"postgresql": "false", "sqlite": "json('false')"}


def json_false() -> str:
    return JSON_FALSE[connection.vendor]


# -- writing ---------------------------------------------------------------------------------------------------


def _prefix(type: str, now: datetime) -> str:
    # The body's keys in the order ``outbox.webhook_event_emit`` writes them.
    return '{"type":' + json.dumps(type) + ',"timestamp":' + json.dumps(now.isoformat()) + ',"shop":'


def _body(prefix: str, shop_id: int, sequence: int, data: str) -> str:
    return f'{prefix}{shop_id},"sequence":{sequence},"data":{data}}}'


def _ints(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in values)


def outbox_emit_select(*, type: str, select_sql: str, params: dict, now: datetime) -> int:
    """W1: write the events of ``select_sql`` (columns ``shop_id``, ``obj_id``,
    ``data``; ``%(name)s`` parameters from ``params``) and their deliveries in
    the caller's transaction. Returns the number of events written."""
    assert type in EVENT_TYPES, type
    endpoints = listening_endpoints(type=type)
    if not endpoints:
        return 0
    src = f"""
        SELECT s.shop_id AS shop_id, s.obj_id AS obj_id, s.data AS data
          FROM ({select_sql}) s
         WHERE s.shop_id IN ({_ints(endpoints)})
           AND NOT EXISTS (SELECT 1 FROM {T["event"]} x WHERE x.type = %(wh_type)s AND x.source_id = s.obj_id)
    """
    params = {**params, "wh_type": type, "wh_now": now}
    if connection.vendor != "postgresql":
        with connection.cursor() as cur:
            cur.execute(src + " ORDER BY s.shop_id, s.obj_id", params)
            rows = cur.fetchall()
        return outbox_emit_rows(type=type, rows=rows, now=now, endpoints=endpoints)
    pairs = " UNION ALL ".join(f"SELECT {shop}, {ep}" for shop, eps in endpoints.items() for ep in eps)
    sql = f"""
        WITH src AS MATERIALIZED (
            SELECT shop_id, obj_id, data, ROW_NUMBER() OVER (PARTITION BY shop_id ORDER BY obj_id) AS rn
              FROM ({src}) q
        ),
        cnt AS (SELECT shop_id, COUNT(*) AS n FROM src GROUP BY shop_id),
        seq AS (
            INSERT INTO {T["sequence"]} AS c (shop_id, last)
            SELECT shop_id, n FROM cnt ORDER BY shop_id
            ON CONFLICT (shop_id) DO UPDATE SET last = c.last + EXCLUDED.last
            RETURNING c.shop_id, c.last
        ),
        ev AS (
            INSERT INTO {T["event"]} (msg_id, shop_id, type, sequence, body, created_at, source_id)
            SELECT 'msg_' || replace(CAST(gen_random_uuid() AS text), '-', ''), src.shop_id, %(wh_type)s,
                   seq.last - cnt.n + src.rn,
                   CAST(%(wh_prefix)s AS text) || src.shop_id || ',"sequence":' || (seq.last - cnt.n + src.rn)
                       || ',"data":' || src.data || '}}',
                   %(wh_now)s, src.obj_id
              FROM src JOIN cnt ON cnt.shop_id = src.shop_id JOIN seq ON seq.shop_id = src.shop_id
             ORDER BY src.shop_id, src.rn
            RETURNING id, shop_id
        )
        INSERT INTO {T["delivery"]} (endpoint_id, event_id, status, attempts, last_status_code, last_error,
                                     response_excerpt, next_attempt_at, give_up_at, created_at, delivered_at)
        SELECT ep.endpoint_id, ev.id, 'pending', 0, NULL, '', '', %(wh_now)s, %(wh_give_up)s, %(wh_now)s, NULL
          FROM ev JOIN ({pairs}) AS ep (shop_id, endpoint_id) ON ep.shop_id = ev.shop_id
        RETURNING id, event_id
    """
    params["wh_prefix"] = _prefix(type, now)
    params["wh_give_up"] = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    _dispatch(sorted(pk for pk, _event in rows))
    return len({event for _pk, event in rows})


def outbox_emit_rows(
    *,
    type: str,
    rows: Iterable[tuple[int, int, dict | str]],
    now: datetime,
    endpoints: dict[int, list[int]] | None = None,
) -> int:
    """W1: the same plan in a few statements: ``rows`` are ``(shop_id, obj_id,
    data)`` with ``data`` a dict (serialised here) or JSON text. Each shop's
    counter is bumped once for all its events; rows whose ``(type, obj_id)``
    event exists already are skipped. Returns the number of events written."""
    assert type in EVENT_TYPES, type
    rows = list(rows)
    if endpoints is None:
        endpoints = listening_endpoints(type=type, shop_ids=[shop for shop, _obj, _data in rows]) if rows else {}
    rows = [r for r in rows if r[0] in endpoints]
    if not rows:
        return 0
    done = set(
        WebhookEvent.objects.filter(type=type, source_id__in=[obj for _s, obj, _d in rows]).values_list(
            "source_id", flat=True
        )
    )
    per_shop: dict[int, list[tuple[int, dict | str]]] = defaultdict(list)
    for shop_id, obj_id, data in rows:
        if obj_id is None or obj_id not in done:  # None: no source to dedupe on
            done.add(obj_id)
            per_shop[shop_id].append((obj_id, data))
    if not per_shop:
        return 0
    prefix = _prefix(type, now)
    events: list[WebhookEvent] = []
    with connection.cursor() as cur:
        for shop_id in sorted(per_shop):  # counters locked in shop order (no deadlock between two jobs)
            items = sorted(per_shop[shop_id], key=lambda item: item[0] or 0)
            cur.execute(
                f"INSERT INTO {T['sequence']} (shop_id, last) VALUES (%s, %s)"
                f" ON CONFLICT (shop_id) DO UPDATE SET last = {T['sequence']}.last + excluded.last RETURNING last",
                [shop_id, len(items)],
            )
            first = cur.fetchone()[0] - len(items) + 1
            for offset, (obj_id, data) in enumerate(items):
                text = (
                    data
                    if isinstance(data, str)
                    else json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
                )
                events.append(
                    WebhookEvent(
                        msg_id=_msg_id(),
                        shop_id=shop_id,
                        type=type,
                        sequence=first + offset,
                        body=_body(prefix, shop_id, first + offset, text),
                        created_at=now,
                        source_id=obj_id,
                    )
                )
    WebhookEvent.objects.bulk_create(events, batch_size=1000)
    if events[0].pk is None:  # a backend without RETURNING on bulk insert
        ids = dict(WebhookEvent.objects.filter(msg_id__in=[e.msg_id for e in events]).values_list("msg_id", "pk"))
        for event in events:
            event.pk = ids[event.msg_id]
    give_up = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint_id=ep, event_id=event.pk, created_at=now, next_attempt_at=now, give_up_at=give_up)
            for event in events
            for ep in endpoints[event.shop_id]
        ],
        batch_size=1000,
    )
    ids = [d.pk for d in deliveries]
    if ids and ids[0] is None:
        ids = list(WebhookDelivery.objects.filter(event_id__in=[e.pk for e in events]).values_list("pk", flat=True))
    _dispatch(sorted(ids))
    return len(events)


# Payload builders of the apps above orders (tickets), registered in their
# ``AppConfig.ready`` so that orders' jobs can push their objects without
# importing them: ``builder(ids=…, shop_ids=…, now=…) -> {id: (shop_id, data)}``.
PAYLOADS: dict[str, Callable[..., dict[int, tuple[int, dict]]]] = {}


def payload_register(name: str, builder: Callable[..., dict[int, tuple[int, dict]]]) -> None:
    PAYLOADS[name] = builder


def outbox_emit_objects(*, type: str, name: str, ids: Iterable[int], now: datetime) -> int:
    """W1: events of ``type`` for the objects ``ids`` of a registered payload
    builder (one query for the listening shops' objects, nothing when none listens)."""
    ids = list(ids)
    endpoints = listening_endpoints(type=type) if ids else {}
    if not endpoints:
        return 0
    built = PAYLOADS[name](ids=ids, shop_ids=list(endpoints), now=now)
    rows = [(shop_id, pk, data) for pk, (shop_id, data) in built.items()]
    return outbox_emit_rows(type=type, rows=rows, now=now, endpoints=endpoints)


def _msg_id() -> str:
    import uuid

    return "msg_" + uuid.uuid4().hex


def _dispatch(delivery_ids: list[int]) -> None:
    for start in range(0, len(delivery_ids), DISPATCH_BATCH):
        dispatch.deliver_after_commit(delivery_ids[start : start + DISPATCH_BATCH])
