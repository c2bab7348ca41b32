"""Shipping, tracking and completion (O3, O4)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import OrderError
from ..models import CancellationRequest, Order, OrderEvent
from ..policy import rule
from ..transitions import order_move, orders_move, require_status
from .batch import claim_chunk
from .events import actor_role_of, order_event_record, order_events_push_bulk
from .notifications import notifications_bulk_create
from .placement import CLOCK_SKEW

logger = logging.getLogger(__name__)
S = Order.Status
LOGISTICS_CHUNK = 5000


def _clean(carrier: str, tracking_no: str) -> tuple[str, str]:
    carrier, tracking_no = (carrier or "").strip(), (tracking_no or "").strip()
    if not carrier:
        raise OrderError("carrier_required", _("A carrier is required."), status=400)
    if not tracking_no:
        raise OrderError("tracking_no_required", _("A tracking number is required."), status=400)
    return carrier, tracking_no


def _cancellation_pending() -> OrderError:
    """O3/C3: shipping is refused while a cancellation request waits for review."""
    return OrderError("cancellation_pending", _("A cancellation request for this order waits for review."))


@transaction.atomic
def order_ship(*, order: Order, carrier: str, tracking_no: str, by, now: datetime) -> Order:
    """Rule O3: ship with a carrier and tracking number. Refused when not paid
    (``not_paid``), already shipped (``already_shipped``), cancelled or closed
    (``order_cancelled`` / ``order_closed``), or while a cancellation request
    waits for review (``cancellation_pending``)."""
    carrier, tracking_no = _clean(carrier, tracking_no)
    order = Order.objects.select_for_update().get(pk=order.pk)
    require_status(order, S.AWAITING_SHIPMENT)
    if CancellationRequest.objects.filter(order=order, status=CancellationRequest.Status.PENDING_REVIEW).exists():
        raise _cancellation_pending()
    order_move(order, S.SHIPPED)
    order.carrier = carrier
    order.tracking_no = tracking_no
    order.shipped_at = now
    order.last_tracking_at = now  # O4 counts 72 h from shipping until the first carrier update
    order.save(update_fields=["status", "carrier", "tracking_no", "shipped_at", "last_tracking_at", "updated_at"])
    order_event_record(
        order=order,
        kind="shipped",
        by=by,
        now=now,
        from_status=S.AWAITING_SHIPMENT,
        to_status=S.SHIPPED,
        data={"carrier": carrier, "tracking_no": tracking_no},
    )
    return order


@transaction.atomic
def orders_ship_bulk(*, shipments: list[tuple[int, str, str]], by, now: datetime) -> dict[int, OrderError | None]:
    """Rule O3 for many orders at once (W3 bulk shipping): each
    ``(order_id, carrier, tracking_no)`` is checked exactly as ``order_ship``
    checks one (same refusals, under the same row locks, taken in primary-key
    order), and the accepted ones are written set-based: one conditional
    status move, one insert of their ``shipped`` events, their
    ``order.shipped`` pushes in this transaction. Returns ``{order_id: None
    (shipped) | the OrderError order_ship would raise}``; a refused row
    changes nothing. An order given twice is decided by its first row."""
    out: dict[int, OrderError | None] = {}
    wanted: dict[int, tuple[str, str]] = {}
    for order_id, carrier, tracking_no in shipments:
        if order_id in out or order_id in wanted:
            continue
        try:
            wanted[order_id] = _clean(carrier, tracking_no)
        except OrderError as exc:
            out[order_id] = exc
    orders = {o.pk: o for o in Order.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk")}
    held = set(
        CancellationRequest.objects.filter(
            order_id__in=list(orders), status=CancellationRequest.Status.PENDING_REVIEW
        ).values_list("order_id", flat=True)
    )
    accepted: list[int] = []
    for order_id in wanted:
        try:
            order = orders.get(order_id)
            if order is None:
                raise OrderError("not_found", _("No such order."), status=404)
            require_status(order, S.AWAITING_SHIPMENT)
            if order_id in held:
                raise _cancellation_pending()
        except OrderError as exc:
            out[order_id] = exc
            continue
        accepted.append(order_id)
        out[order_id] = None
    if not accepted:
        return out
    orders_move(
        Order.objects.filter(pk__in=accepted),
        S.AWAITING_SHIPMENT,
        S.SHIPPED,
        shipped_at=now,
        last_tracking_at=now,  # O4 counts 72 h from shipping until the first carrier update
        updated_at=timezone.now(),
    )
    # Each order's own carrier and tracking number: one UPDATE … FROM VALUES
    # (the rows are locked and just moved by this transaction).
    table = connection.ops.quote_name(Order._meta.db_table)
    values = ", ".join(["(%s, %s, %s)"] * len(accepted))
    with connection.cursor() as cur:
        cur.execute(
            f"WITH v (id, carrier, tracking_no) AS (VALUES {values})"
            f" UPDATE {table} SET carrier = v.carrier, tracking_no = v.tracking_no FROM v WHERE {table}.id = v.id",
            [x for pk in accepted for x in (pk, *wanted[pk])],
        )
    actor = by if getattr(by, "is_authenticated", False) else None
    role = actor_role_of(by)
    events = [
        OrderEvent(
            order_id=pk,
            kind="shipped",
            actor=actor,
            actor_role=role,
            from_status=S.AWAITING_SHIPMENT,
            to_status=S.SHIPPED,
            data={"carrier": wanted[pk][0], "tracking_no": wanted[pk][1]},
            created_at=now,
        )
        for pk in accepted
    ]
    OrderEvent.objects.bulk_create(events, batch_size=1000)
    order_events_push_bulk(rows=[(e.order_id, e.kind, e.order_id, e.note, e.data) for e in events], now=now)  # W1
    return out


@transaction.atomic
def order_tracking_correct(*, order: Order, carrier: str, tracking_no: str, by, now: datetime, note: str = "") -> Order:
    """Rule O3: correcting the tracking number of a shipped order is its own,
    logged action (before → after in the event)."""
    carrier, tracking_no = _clean(carrier, tracking_no)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != S.SHIPPED:
        raise OrderError("not_shipped", _("Only a shipped order's tracking number can be corrected."))
    before = {"carrier": order.carrier, "tracking_no": order.tracking_no}
    order.carrier, order.tracking_no = carrier, tracking_no
    order.save(update_fields=["carrier", "tracking_no", "updated_at"])
    order_event_record(
        order=order,
        kind="tracking_corrected",
        by=by,
        now=now,
        note=note,
        data={"before": before, "after": {"carrier": carrier, "tracking_no": tracking_no}},
    )
    return order


@transaction.atomic
def order_tracking_update(*, order: Order, event_at: datetime, description: str, by=None, now: datetime) -> Order:
    """Rule O4: a carrier's tracking update.

    An event dated in the future (beyond ``CLOCK_SKEW``) is refused
    (``tracking_in_future``, 400): accepted, it would hold the 72 h clock
    open forever. An event older than the last one seen (out of order) is
    recorded but neither moves the clock nor clears ``logistics_abnormal``;
    nor does an event that is itself older than the abnormal window (the
    next job run would flag the order again and notify the shop twice).
    Only a newer, fresh event clears the flag."""
    if event_at > now + CLOCK_SKEW:
        raise OrderError("tracking_in_future", _("The tracking event is dated in the future."), status=400)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in (S.SHIPPED, S.COMPLETED):
        raise OrderError("not_shipped", _("The order is not shipped."))
    fields = ["updated_at"]
    newer = order.last_tracking_at is None or event_at > order.last_tracking_at
    if newer:
        order.last_tracking_at = event_at
        fields.append("last_tracking_at")
    fresh = event_at >= now - timedelta(hours=rule("LOGISTICS_ABNORMAL_HOURS"))
    cleared = order.logistics_abnormal and newer and fresh
    if cleared:
        order.logistics_abnormal = False
        fields.append("logistics_abnormal")
    order.save(update_fields=fields)
    order_event_record(
        order=order,
        kind="tracking_update",
        by=by,
        now=now,
        note=description,
        data={"event_at": event_at.isoformat(), "cleared_abnormal": cleared, "out_of_order": not newer},
    )
    return order


@transaction.atomic
def order_complete(*, order: Order, by=None, now: datetime) -> Order:
    """O1: shipped → completed (the buyer confirmed receipt)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != S.SHIPPED:
        raise OrderError("not_shipped", _("Only a shipped order can be completed."))
    order_move(order, S.COMPLETED)
    order.completed_at = now
    order.save(update_fields=["status", "completed_at", "updated_at"])
    order_event_record(order=order, kind="completed", by=by, now=now, from_status=S.SHIPPED, to_status=S.COMPLETED)
    return order


def orders_flag_logistics_abnormal(*, now: datetime, chunk: int = LOGISTICS_CHUNK) -> dict:
    """Rule O4: shipped orders without a tracking update for
    ``LOGISTICS_ABNORMAL_HOURS`` are flagged, set-based (a conditional UPDATE
    per chunk, events INSERT … SELECT, one notification per shop per run)."""
    cutoff = now - timedelta(hours=rule("LOGISTICS_ABNORMAL_HOURS"))
    stale = Q(last_tracking_at__lt=cutoff) | Q(last_tracking_at__isnull=True, shipped_at__lt=cutoff)
    # O6: a delivered order has no more carrier events to wait for.
    eligible = Order.objects.filter(stale, status=S.SHIPPED, logistics_abnormal=False, delivered_at__isnull=True)
    event_t = connection.ops.quote_name(OrderEvent._meta.db_table)
    order_t = connection.ops.quote_name(Order._meta.db_table)
    flagged = 0
    per_shop: dict[int, int] = {}
    while True:
        with transaction.atomic():
            ids = claim_chunk(eligible, chunk)
            if not ids:
                break
            n = Order.objects.filter(pk__in=ids, status=S.SHIPPED, logistics_abnormal=False).update(
                logistics_abnormal=True, updated_at=now
            )
            flagged += n
            marks = ", ".join(["%s"] * len(ids))
            with connection.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {event_t} (order_id, kind, actor_id, actor_role, from_status, to_status, note,"
                    f" data, created_at) SELECT o.id, 'logistics_abnormal', NULL, 'system', '', '', %s, '{{}}', %s"
                    f" FROM {order_t} o WHERE o.id IN ({marks})",
                    [
                        _("No tracking update for %(h)s hours (O4).") % {"h": rule("LOGISTICS_ABNORMAL_HOURS")},
                        now,
                        *ids,
                    ],
                )
            for row in Order.objects.filter(pk__in=ids).values("shop_id").annotate(n=Count("id")):
                per_shop[row["shop_id"]] = per_shop.get(row["shop_id"], 0) + row["n"]
        if len(ids) < chunk:
            break
    if per_shop:
        stamp = now.strftime("%Y%m%d%H%M%S")
        notifications_bulk_create(
            [
                {
                    "shop_id": shop_id,
                    "kind": "logistics_abnormal",
                    "title": _("%(n)s shipped orders have had no tracking update for %(h)s hours")
                    % {"n": n, "h": rule("LOGISTICS_ABNORMAL_HOURS")},
                    "body": _("Filter your orders by logistics abnormal and chase the carrier."),
                    "data": {"count": n},
                    "dedupe_key": f"logistics_abnormal:{shop_id}:{stamp}",
                    "created_at": now,
                }
                for shop_id, n in per_shop.items()
            ]
        )
    summary = {"flagged": flagged, "shops": len(per_shop)}
    logger.info("orders_flag_logistics_abnormal %s", summary)
    return summary
