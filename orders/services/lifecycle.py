"""The ends of an order's life (O6, P7): the carrier's delivery confirmation,
completion after the buyer's window, closing unpaid orders, and resolving
whatever was still pending on an order that closes (P7 clarified).

The beat jobs are set-based, in chunks: lock a chunk of ids (SKIP LOCKED on
PostgreSQL, so two workers share the work), move them with
``transitions.orders_move`` (a conditional UPDATE), write their events."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import OrderError
from ..models import Actor, AfterSale, CancellationRequest, Order, OrderEvent
from ..policy import rule
from ..transitions import orders_move
from ..webhooks.outbox_sql import outbox_emit_objects
from .batch import claim_chunk
from .events import order_event_record, order_events_push_bulk
from .placement import CLOCK_SKEW

logger = logging.getLogger(__name__)
S = Order.Status
LIFECYCLE_CHUNK = 2000


@transaction.atomic
def order_delivered(*, order: Order, delivered_at: datetime, by=None, now: datetime) -> Order:
    """O6: the carrier confirms delivery of a shipped order. The buyer's
    confirmation window (``CONFIRM_RECEIPT_DAYS``) runs from ``delivered_at``;
    delivery is the last carrier event, so it also ends the O4 watch
    (``logistics_abnormal`` cleared, no more flagging). A repeated confirmation
    answers the order unchanged (carriers retry); a time in the future
    (beyond ``CLOCK_SKEW``) or before shipping is a 400."""
    if delivered_at > now + CLOCK_SKEW:
        raise OrderError("delivered_in_future", _("The delivery time is in the future."), status=400)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.delivered_at is not None:
        return order
    if order.status != S.SHIPPED:
        raise OrderError("not_shipped", _("The order is not shipped."))
    if delivered_at < order.shipped_at:
        raise OrderError(
            "delivered_before_shipped", _("The delivery time is before the order was shipped."), status=400
        )
    order.delivered_at = delivered_at
    fields = ["delivered_at", "updated_at"]
    if order.last_tracking_at is None or delivered_at > order.last_tracking_at:
        order.last_tracking_at = delivered_at
        fields.append("last_tracking_at")
    if order.logistics_abnormal:
        order.logistics_abnormal = False
        fields.append("logistics_abnormal")
    order.save(update_fields=fields)
    order_event_record(order=order, kind="delivered", by=by, now=now, data={"delivered_at": delivered_at.isoformat()})
    return order


def _move_in_chunks(
    eligible: QuerySet, from_status: str, to_status: str, *, now: datetime, kind: str, note: str, chunk: int, **fields
) -> tuple[int, list[int]]:
    moved_ids: list[int] = []
    while True:
        with transaction.atomic():
            ids = claim_chunk(eligible, chunk)
            if not ids:
                break
            # W2: the change time is the wall clock of the write, like every other change.
            orders_move(Order.objects.filter(pk__in=ids), from_status, to_status, updated_at=timezone.now(), **fields)
            # The chunk is locked, so every id moved (SQLite has one writer).
            moved = list(Order.objects.filter(pk__in=ids, status=to_status).values_list("pk", flat=True))
            OrderEvent.objects.bulk_create(
                [
                    OrderEvent(
                        order_id=pk,
                        kind=kind,
                        actor_role=Actor.SYSTEM,
                        from_status=from_status,
                        to_status=to_status,
                        note=note,
                        created_at=now,
                    )
                    for pk in moved
                ]
            )
            order_events_push_bulk(rows=[(pk, kind, pk, note, {}) for pk in moved], now=now)  # W1
            if to_status == S.CLOSED:
                pending_resolve(order_ids=moved, now=now, why=note)
            moved_ids += moved
        if len(ids) < chunk:
            break
    return len(moved_ids), moved_ids


def orders_complete_delivered(*, now: datetime, chunk: int = LIFECYCLE_CHUNK) -> dict:
    """O6: a shipped order delivered ``CONFIRM_RECEIPT_DAYS`` ago or more is
    ``completed`` (at the instant the window ends), unless an after-sale is
    open on it; it completes at the first run after that after-sale is decided."""
    cutoff = now - timedelta(days=rule("CONFIRM_RECEIPT_DAYS"))
    open_after_sale = AfterSale.objects.filter(order=OuterRef("pk"), status=AfterSale.Status.PENDING)
    eligible = Order.objects.filter(status=S.SHIPPED, delivered_at__lte=cutoff, in_after_sale=False).filter(
        ~Exists(open_after_sale)
    )
    note = _("Delivered %(days)s days ago without an open after-sale: completed (O6).") % {
        "days": rule("CONFIRM_RECEIPT_DAYS")
    }
    n, _ids = _move_in_chunks(
        eligible, S.SHIPPED, S.COMPLETED, now=now, kind="completed", note=note, chunk=chunk, completed_at=now
    )
    summary = {"completed": n}
    logger.info("orders_complete_delivered %s", summary)
    return summary


def orders_close_unpaid(*, now: datetime, chunk: int = LIFECYCLE_CHUNK) -> dict:
    """O6: an order left ``pending_payment`` for ``UNPAID_CLOSE_MINUTES``
    (from placement; at that exact instant) is ``closed`` as unpaid; whatever
    was pending on it is resolved (P7)."""
    cutoff = now - timedelta(minutes=rule("UNPAID_CLOSE_MINUTES"))
    eligible = Order.objects.filter(status=S.PENDING_PAYMENT, placed_at__lte=cutoff)
    note = _("Not paid within %(minutes)s minutes: closed (O6).") % {"minutes": rule("UNPAID_CLOSE_MINUTES")}
    n, _ids = _move_in_chunks(
        eligible, S.PENDING_PAYMENT, S.CLOSED, now=now, kind="closed_unpaid", note=note, chunk=chunk, closed_at=now
    )
    summary = {"closed": n}
    logger.info("orders_close_unpaid %s", summary)
    return summary


def pending_resolve(*, order_ids: list[int], now: datetime, why: str) -> dict:
    """P7 clarified: an order that closes leaves no queue with a dead item.
    Its pending cancellation request and after-sale become ``closed`` (with
    the order), its open tickets close with outcome ``order_closed`` (not a
    timeout: nothing counts against the shop), each recorded on the order's
    and the ticket's timeline. Set-based; runs in the caller's transaction."""
    from tickets.models import Ticket, TicketEvent

    summary = {"cancellations": 0, "after_sales": 0, "tickets": 0}
    if not order_ids:
        return summary
    events: list[OrderEvent] = []

    def close(model, pending: Q, kind: str, key: str, **fields) -> list[tuple[int, int]]:
        rows = list(model.objects.filter(pending, order_id__in=order_ids).values_list("pk", "order_id"))
        if rows:
            model.objects.filter(pending, pk__in=[pk for pk, _o in rows]).update(**fields)
            events.extend(
                OrderEvent(
                    order_id=order_id,
                    kind=kind,
                    actor_role=Actor.SYSTEM,
                    note=why,
                    data={key: pk},
                    created_at=now,
                )
                for pk, order_id in rows
            )
        return rows

    C, A, T = CancellationRequest, AfterSale, Ticket
    summary["cancellations"] = len(
        close(
            C,
            Q(status=C.Status.PENDING_REVIEW),
            "cancellation_closed",
            "cancellation_id",
            status=C.Status.CLOSED,
            decided_at=now,
            decision_reason=why,
        )
    )
    after_sales = close(
        A,
        Q(status=A.Status.PENDING),
        "after_sale_closed",
        "after_sale_id",
        status=A.Status.CLOSED,
        decided_at=now,
        decision_note=why,
        updated_at=timezone.now(),
    )
    summary["after_sales"] = len(after_sales)
    if after_sales:
        Order.objects.filter(pk__in={o for _pk, o in after_sales}).update(in_after_sale=False)
    open_tickets = list(
        T.objects.filter(order_id__in=order_ids, status__in=[T.Status.PENDING, T.Status.IN_REVIEW]).values_list(
            "pk", "order_id", "status"
        )
    )
    if open_tickets:
        T.objects.filter(
            pk__in=[pk for pk, _o, _s in open_tickets], status__in=[T.Status.PENDING, T.Status.IN_REVIEW]
        ).update(status=T.Status.CLOSED, outcome=T.Outcome.ORDER_CLOSED, closed_at=now, updated_at=timezone.now())
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket_id=pk,
                kind="order_closed",
                actor_role=TicketEvent.ActorRole.SYSTEM,
                from_status=status,
                to_status=T.Status.CLOSED,
                note=why,
                created_at=now,
            )
            for pk, _o, status in open_tickets
        )
        # W1: a ticket the order's closing closed is a ``ticket.closed`` event.
        outbox_emit_objects(type="ticket.closed", name="ticket", ids=[pk for pk, _o, _s in open_tickets], now=now)
        events.extend(
            OrderEvent(
                order_id=order_id,
                kind="ticket_closed",
                actor_role=Actor.SYSTEM,
                note=why,
                data={"ticket_id": pk},
                created_at=now,
            )
            for pk, order_id, _s in open_tickets
        )
    summary["tickets"] = len(open_tickets)
    OrderEvent.objects.bulk_create(events)
    if events:  # W2: a new timeline entry is a change of the order
        Order.objects.filter(pk__in={e.order_id for e in events}).update(updated_at=timezone.now())
    # W1: a closed cancellation or after-sale is decided by the rule (P7).
    order_events_push_bulk(rows=[(e.order_id, e.kind, *e.data.values(), e.note, e.data) for e in events], now=now)
    return summary
