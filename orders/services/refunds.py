"""Refunds (F1, F2) and the P7 auto-close batch.

F2 is a database fact: ``Refund.cause`` is unique, so a second call, a retry
or a racing worker finds the existing refund and never pays twice.
F1: a refusal moves the refund to the alternative route (a reviewer queue); no
answer (timeout, connection error) is retried with exponential backoff, and
24 h after the first call the refund moves to the alternative route too. The
attempt count and the next attempt's time are committed before the call
(claim → commit → call → record in a new transaction), so they are never
rolled back, no lock is held across the network, and a refund without an
answer waits its turn instead of blocking the others.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ..errors import OrderError
from ..models import Actor, Order, OrderEvent, Refund
from ..policy import rule
from ..transitions import can_move, order_move, orders_move
from .batch import claim_chunk
from .events import order_event_record, order_events_push_bulk
from .lifecycle import pending_resolve
from .notifications import notification_create

logger = logging.getLogger(__name__)
S = Order.Status
AUTO_CLOSE_CHUNK = 5000


def _queue_processing(refund_ids: list[int]) -> None:
    """After commit, ask a worker to pay. With the broker down the refund stays
    recorded as pending (never lost, never a 500 for the decision that issued
    it) and the sweeper ``orders.process_refunds`` sends it on its next run."""
    from kombu.exceptions import OperationalError as BrokerError

    from ..tasks import process_refund, process_refunds

    def send() -> None:
        try:
            if len(refund_ids) == 1:
                process_refund.delay(refund_ids[0])
            else:
                process_refunds.delay(refund_ids)
        except (BrokerError, OSError):
            logger.warning("broker unreachable: refunds %s left pending for the sweeper", refund_ids, exc_info=True)

    if refund_ids:
        transaction.on_commit(send)


@transaction.atomic
def refund_issue(*, order: Order, cause: str, amount: Decimal, by=None, now: datetime) -> Refund:
    """Rules F1/F2: issue the refund for ``cause`` once, to the original route.

    Increments ``order.refunded_amount``; a fully refunded order that is not
    cancelled is closed (O1). The gateway is called after commit
    (task ``orders.process_refund``)."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount <= 0:
        raise OrderError("invalid_amount", _("A refund amount must be positive."), status=400)
    order = Order.objects.select_for_update().get(pk=order.pk)
    # Read under the order lock: a racing worker that got here first has committed.
    existing = Refund.objects.filter(cause=cause).first()
    if existing is not None:
        return existing
    remaining = order.total_amount - order.refunded_amount
    if amount > remaining:
        raise OrderError(
            "refund_exceeds_total", _("The refund exceeds what is left to refund (%(left)s).") % {"left": remaining}
        )
    try:
        with transaction.atomic():
            refund = Refund.objects.create(
                order=order, shop_id=order.shop_id, cause=cause, amount=amount, created_at=now, next_attempt_at=now
            )
    except IntegrityError:
        return Refund.objects.get(cause=cause)
    order.refunded_amount += amount
    fields = ["refunded_amount", "updated_at"]
    before = order.status
    if order.refunded_amount >= order.total_amount and can_move(order.status, S.CLOSED):
        order_move(order, S.CLOSED)
        order.closed_at = now
        fields += ["status", "closed_at"]
    order.save(update_fields=fields)
    order_event_record(
        order=order,
        kind="refund_issued",
        by=by,
        now=now,
        from_status=before if before != order.status else "",
        to_status=order.status if before != order.status else "",
        data={"refund_id": refund.pk, "cause": cause, "amount": str(amount)},
    )
    _queue_processing([refund.pk])
    return refund


def _backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th unanswered call: base, ×2 each time, capped."""
    seconds = rule("REFUND_RETRY_BASE_SECONDS") * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, rule("REFUND_RETRY_MAX_SECONDS")))


def _claim(*, now: datetime, refund_ids: list[int] | None = None) -> Refund | None:
    """Take the most overdue original-route refund due for a call (among
    ``refund_ids`` if given), in a short transaction committed before the call:
    one more attempt, and ``next_attempt_at`` moves a lease ahead so no other
    worker calls it meanwhile. SKIP LOCKED on PostgreSQL: a refund another
    worker is claiming is passed over, never waited for."""
    due = Refund.objects.filter(
        status=Refund.Status.PENDING, route=Refund.Route.ORIGINAL, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    if refund_ids is not None:
        due = due.filter(pk__in=refund_ids)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        refund = due.first()
        if refund is None:
            return None
        first = refund.first_attempt_at or now
        lease = now + timedelta(seconds=rule("REFUND_CALL_LEASE_SECONDS"))
        # Conditional on the attempt count read: a racing claim (SQLite has no
        # row locks) makes this one a no-op instead of a second call.
        claimed = Refund.objects.filter(pk=refund.pk, attempts=refund.attempts, next_attempt_at__lte=now).update(
            attempts=F("attempts") + 1, first_attempt_at=first, next_attempt_at=lease
        )
        if not claimed:
            return None
    refund.attempts, refund.first_attempt_at, refund.next_attempt_at = refund.attempts + 1, first, lease
    return refund


def _to_alternative_route(*, refund: Refund, error: str, unreachable: bool, now: datetime) -> None:
    """Rule F1: move to the reviewers' queue, record it and tell the merchant (once)."""
    with transaction.atomic():
        moved = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING, route=Refund.Route.ORIGINAL).update(
            route=Refund.Route.ALTERNATIVE, last_error=error[:1000]
        )
        if not moved:
            return
        order = Order.objects.get(pk=refund.order_id)
        order_event_record(
            order=order,
            kind="refund_failed",
            now=now,
            note=error[:1000],
            data={"refund_id": refund.pk, "route": Refund.Route.ALTERNATIVE, "unreachable": unreachable},
            actor_role=Actor.SYSTEM,
        )
        if unreachable:
            body = _(
                "The original payment route could not be reached for %(hours)s hours; the platform will pay the"
                " refund of %(amount)s another way."
            ) % {"hours": rule("REFUND_UNREACHABLE_HOURS"), "amount": refund.amount}
        else:
            body = _(
                "The original payment route refused the refund of %(amount)s; the platform will pay it another way."
            ) % {"amount": refund.amount}
        notification_create(
            shop=refund.shop_id,
            kind="refund_alternative_route",
            title=_("Refund for order %(no)s moved to an alternative route") % {"no": order.order_no},
            body=body,
            data={"order_no": order.order_no, "refund_id": refund.pk},
            dedupe_key=f"refund_alternative:{refund.pk}",
        )


def _unanswered(*, refund: Refund, error: str, now: datetime) -> None:
    """Rule F1: no answer. Within 24 h of the first call: the next call after
    the backoff (never later than the 24 h mark); at or after it: the
    alternative route. Only the latest claim writes (a stale one is ignored)."""
    give_up_at = refund.first_attempt_at + timedelta(hours=rule("REFUND_UNREACHABLE_HOURS"))
    if now >= give_up_at:
        _to_alternative_route(refund=refund, error=error, unreachable=True, now=now)
        return
    Refund.objects.filter(
        pk=refund.pk, status=Refund.Status.PENDING, route=Refund.Route.ORIGINAL, attempts=refund.attempts
    ).update(next_attempt_at=min(now + _backoff(refund.attempts), give_up_at), last_error=error[:1000])


def _succeeded(*, refund: Refund, gateway_ref: str, now: datetime) -> None:
    """Rule F1: paid. Recorded once, whichever call's answer comes first."""
    with transaction.atomic():
        paid = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.SUCCEEDED, gateway_ref=gateway_ref[:64], settled_at=now
        )
        if paid:
            order_event_record(
                order=Order.objects.get(pk=refund.order_id),
                kind="refund_succeeded",
                now=now,
                data={"refund_id": refund.pk, "gateway_ref": gateway_ref[:64]},
                actor_role=Actor.SYSTEM,
            )


def _call(*, refund: Refund, gateway, now: datetime) -> None:
    """One gateway call for a claimed refund, no transaction open (no row lock
    is held while the network is waited on); the answer is recorded in a new,
    short transaction."""
    from ..gateways import UNREACHABLE, GatewayError

    order_no = Order.objects.filter(pk=refund.order_id).values_list("order_no", flat=True).get()
    try:
        ref = gateway.refund(idempotency_key=refund.cause, order_no=order_no, amount=refund.amount)
    except GatewayError as exc:
        _to_alternative_route(refund=refund, error=str(exc), unreachable=False, now=now)
    except UNREACHABLE as exc:
        logger.warning("refund %s: gateway unreachable (attempt %s): %r", refund.pk, refund.attempts, exc)
        _unanswered(refund=refund, error=f"{type(exc).__name__}: {exc}", now=now)
    else:
        _succeeded(refund=refund, gateway_ref=ref, now=now)


def refund_process(*, refund_id: int, now: datetime, gateway=None) -> Refund:
    """Rule F1: call the gateway for one pending original-route refund if it is
    due (see ``_claim``). Paid → ``succeeded``. Refused → route
    ``alternative``, still ``pending``, in the reviewer queue, the merchant
    told. No answer (timeout, connection error) → retried later with backoff,
    the attempt counted for good; 24 h after the first call without an answer
    → alternative route. Anything else (paid, moved, not yet due, being called
    by another worker) is left as it is."""
    from ..gateways import get_gateway

    refund = _claim(now=now, refund_ids=[refund_id])
    if refund is not None:
        _call(refund=refund, gateway=gateway or get_gateway(), now=now)
    return Refund.objects.get(pk=refund_id)


@transaction.atomic
def refund_settle_alternative(*, refund: Refund, by, note: str = "", now: datetime) -> Refund:
    """Rule F1: a reviewer records that an alternative-route refund was paid."""
    refund = Refund.objects.select_for_update().select_related("order").get(pk=refund.pk)
    if refund.route != Refund.Route.ALTERNATIVE or refund.status != Refund.Status.PENDING:
        raise OrderError("refund_not_in_alternative_queue", _("This refund is not waiting for an alternative route."))
    refund.status = Refund.Status.SUCCEEDED
    refund.settled_at = now
    refund.settled_by = by
    refund.settlement_note = note or ""
    refund.save(update_fields=["status", "settled_at", "settled_by", "settlement_note"])
    order_event_record(
        order=refund.order,
        kind="refund_settled",
        by=by,
        now=now,
        note=refund.settlement_note,
        data={"refund_id": refund.pk, "route": Refund.Route.ALTERNATIVE},
    )
    return refund


def refunds_process_pending(*, refund_ids: list[int] | None = None, now: datetime, limit: int = 1000) -> dict:
    """Rule F1, the sweeper: call the gateway for up to ``limit`` refunds due
    (``refund_ids`` or any), most overdue first, each claimed on its own. A
    refund that gets no answer is pushed back by its backoff, so it never
    holds up the refunds behind it."""
    from ..gateways import get_gateway

    gateway = get_gateway()
    summary = {"processed": 0, "succeeded": 0, "alternative": 0, "retry_later": 0}
    for _i in range(limit):
        refund = _claim(now=now, refund_ids=refund_ids)
        if refund is None:
            break
        _call(refund=refund, gateway=gateway, now=now)
        refund = Refund.objects.get(pk=refund.pk)
        summary["processed"] += 1
        if refund.status == Refund.Status.SUCCEEDED:
            summary["succeeded"] += 1
        elif refund.route == Refund.Route.ALTERNATIVE:
            summary["alternative"] += 1
        else:
            summary["retry_later"] += 1
    return summary


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def orders_auto_close(*, now: datetime, chunk: int = AUTO_CLOSE_CHUNK) -> dict:
    """Rule P7: orders placed ``AUTO_CLOSE_DAYS`` ago or more, paid but not
    shipped and not fully refunded, are closed and fully refunded (F1).

    Set-based, in chunks: lock a chunk of ids (SKIP LOCKED on PostgreSQL, so
    two workers share the work), INSERT … SELECT the refunds with cause
    ``auto_close:<order_id>`` (ON CONFLICT DO NOTHING: F2), a conditional
    UPDATE of the orders, INSERT … SELECT of the events; the new refunds go to
    the gateway after commit, in batches."""
    cutoff = now - timedelta(days=rule("AUTO_CLOSE_DAYS"))
    eligible = Order.objects.filter(status=S.AWAITING_SHIPMENT, placed_at__lte=cutoff)
    summary = {"closed": 0, "refunds": 0, "cancellations": 0, "after_sales": 0, "tickets": 0}
    refund_t, order_t, event_t = _table(Refund), _table(Order), _table(OrderEvent)
    note = _("Not shipped within %(days)s days: closed and refunded (P7).") % {"days": rule("AUTO_CLOSE_DAYS")}
    while True:
        with transaction.atomic():
            ids = claim_chunk(eligible, chunk)
            if not ids:
                break
            marks = ", ".join(["%s"] * len(ids))
            with connection.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {refund_t} (order_id, shop_id, cause, amount, route, status, attempts, gateway_ref,"
                    f" last_error, created_at, next_attempt_at, settlement_note)"
                    f" SELECT o.id, o.shop_id, 'auto_close:' || CAST(o.id AS VARCHAR(20)),"
                    f" o.total_amount - o.refunded_amount, 'original', 'pending', 0, '', '', %s, %s, ''"
                    f" FROM {order_t} o WHERE o.id IN ({marks}) AND o.status = 'awaiting_shipment'"
                    f" AND o.total_amount > o.refunded_amount"
                    f" ON CONFLICT (cause) DO NOTHING",
                    [now, now, *ids],
                )
                summary["refunds"] += max(cur.rowcount, 0)
                cur.execute(
                    f"INSERT INTO {event_t} (order_id, kind, actor_id, actor_role, from_status, to_status, note,"
                    f" data, created_at)"
                    f" SELECT o.id, 'auto_closed', NULL, 'system', 'awaiting_shipment', 'closed', %s, '{{}}', %s"
                    f" FROM {order_t} o WHERE o.id IN ({marks}) AND o.status = 'awaiting_shipment'",
                    [note, now, *ids],
                )
            closed = orders_move(
                Order.objects.filter(pk__in=ids),
                S.AWAITING_SHIPMENT,
                S.CLOSED,
                closed_at=now,
                refunded_amount=F("total_amount"),
                updated_at=now,
            )
            summary["closed"] += closed
            closed_ids = list(
                Order.objects.filter(pk__in=ids, status=S.CLOSED, closed_at=now).values_list("pk", flat=True)
            )
            order_events_push_bulk(rows=[(pk, "auto_closed", pk, note, {}) for pk in closed_ids], now=now)  # W1
            # P7 clarified: what was pending on them is resolved in the same step.
            resolved = pending_resolve(
                order_ids=closed_ids,
                now=now,
                why=_("The order was closed automatically, not shipped within %(days)s days (P7).")
                % {"days": rule("AUTO_CLOSE_DAYS")},
            )
            for key, n in resolved.items():
                summary[key] += n
            new_refunds = list(
                Refund.objects.filter(
                    cause__in=[f"auto_close:{pk}" for pk in ids],
                    status=Refund.Status.PENDING,
                    route=Refund.Route.ORIGINAL,
                ).values_list("pk", flat=True)
            )
            _queue_processing(new_refunds)
        if len(ids) < chunk:
            break
    logger.info("orders_auto_close %s", summary)
    return summary
