"""Merchant cancellation under platform review (C1–C5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..errors import OrderError
from ..models import CancellationRequest, Order, Shop
from ..overdue import ship_clock_resume
from ..policy import business_day, day_bounds, rule
from ..transitions import order_move, require_status
from .events import order_event_record
from .notifications import notification_create
from .refunds import refund_issue

S = Order.Status
C = CancellationRequest


def cancel_window_minutes(shop: Shop) -> int:
    """C1/C4: the platform's window, narrowed by the shop's own (never widened)."""
    platform = rule("CANCEL_WINDOW_MINUTES")
    if shop.cancel_window_minutes is not None:
        return min(platform, shop.cancel_window_minutes)
    return platform


@transaction.atomic
def cancellation_request(*, order: Order, reason: str, detail: str = "", by, now: datetime) -> CancellationRequest:
    """Rules C1 (2 h window after payment, not shipped), C2 (reason; ``other``
    needs a detail), C4 (shop window and daily cap), C3 (one pending per order)."""
    detail = (detail or "").strip()
    if reason not in C.Reason.values:
        raise OrderError("invalid_reason", _("Unknown cancellation reason."), status=400)
    if reason == C.Reason.OTHER and not detail:
        raise OrderError("detail_required", _("A reason of 'other' needs a detail."), status=400)
    order = Order.objects.select_for_update().select_related("shop").get(pk=order.pk)
    require_status(order, S.AWAITING_SHIPMENT)
    window = cancel_window_minutes(order.shop)
    if now > order.paid_at + timedelta(minutes=window):
        raise OrderError(
            "cancel_window_closed",
            _("Cancellation is allowed only within %(minutes)s minutes after payment.") % {"minutes": window},
        )
    if C.objects.filter(order=order, status=C.Status.PENDING_REVIEW).exists():
        raise OrderError("cancellation_pending", _("A cancellation request for this order is already pending."))
    cap = order.shop.daily_cancel_cap
    if cap is not None:
        # Serialise the shop's requests so two at once cannot both pass the cap.
        Shop.objects.select_for_update().filter(pk=order.shop_id).first()
        start, end = day_bounds(business_day(now))
        used = (
            C.objects.filter(shop_id=order.shop_id, requested_at__gte=start, requested_at__lt=end)
            .exclude(status=C.Status.REJECTED)
            .count()
        )
        if used >= cap:
            raise OrderError(
                "cancel_daily_cap_reached",
                _("This shop allows %(cap)s cancellation requests per day; today's are used.") % {"cap": cap},
            )
    try:
        with transaction.atomic():
            request = C.objects.create(
                order=order, shop_id=order.shop_id, reason=reason, detail=detail, requested_by=by, requested_at=now
            )
    except IntegrityError:
        raise OrderError("cancellation_pending", _("A cancellation request for this order is already pending."))
    order_event_record(
        order=order,
        kind="cancel_requested",
        by=by,
        now=now,
        note=detail,
        data={"cancellation_id": request.pk, "reason": reason},
    )
    return request


def _lock(cancellation: CancellationRequest) -> tuple[Order, CancellationRequest]:
    # Lock order first, then its request: the same order as every other transition.
    order = Order.objects.select_for_update().get(pk=cancellation.order_id)
    locked = C.objects.select_for_update().get(pk=cancellation.pk)
    if locked.status != C.Status.PENDING_REVIEW:
        raise OrderError(
            "cancellation_not_pending",
            _("This request was already decided (%(s)s).") % {"s": locked.get_status_display()},
        )
    return order, locked


@transaction.atomic
def cancellation_approve(*, cancellation: CancellationRequest, by, now: datetime) -> CancellationRequest:
    """Rule C3: approve → order ``cancelled`` and a full refund to the original
    route (F1), once (F2: the second approval finds the request decided, and
    the refund's cause is unique); the merchant is notified."""
    order, cancellation = _lock(cancellation)
    require_status(order, S.AWAITING_SHIPMENT)
    cancellation.status = C.Status.APPROVED
    cancellation.decided_by = by
    cancellation.decided_at = now
    cancellation.save(update_fields=["status", "decided_by", "decided_at"])
    before = order_move(order, S.CANCELLED)
    order.cancelled_at = now
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    order_event_record(
        order=order,
        kind="cancelled",
        by=by,
        now=now,
        from_status=before,
        to_status=order.status,
        data={"cancellation_id": cancellation.pk, "reason": cancellation.reason},
    )
    left = order.total_amount - order.refunded_amount
    if left > 0:
        refund_issue(order=order, cause=f"cancellation:{cancellation.pk}", amount=left, by=by, now=now)
    notification_create(
        shop=order.shop_id,
        kind="cancellation_approved",
        title=_("Cancellation of order %(no)s approved") % {"no": order.order_no},
        body=_("The order is cancelled and the buyer is refunded in full."),
        data={"order_no": order.order_no, "cancellation_id": cancellation.pk},
        dedupe_key=f"cancellation_decided:{cancellation.pk}",
    )
    return cancellation


@transaction.atomic
def cancellation_reject(*, cancellation: CancellationRequest, reason: str, by, now: datetime) -> CancellationRequest:
    """Rule C3: reject with a reason; the order is unchanged; the merchant is
    notified. P1: the ship clock, stopped while the request waited, resumes:
    the time held is added to the deadlines still ahead (``orders.overdue``)."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("reason_required", _("A rejection needs a reason."), status=400)
    order, cancellation = _lock(cancellation)
    cancellation.status = C.Status.REJECTED
    cancellation.decided_by = by
    cancellation.decided_at = now
    cancellation.decision_reason = reason
    cancellation.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    clock = {}
    if order.status == S.AWAITING_SHIPMENT:
        clock = ship_clock_resume(order=order, held_from=cancellation.requested_at, held_until=now)
    order_event_record(
        order=order,
        kind="cancel_rejected",
        by=by,
        now=now,
        note=reason,
        data={"cancellation_id": cancellation.pk, **clock},
    )
    notification_create(
        shop=order.shop_id,
        kind="cancellation_rejected",
        title=_("Cancellation of order %(no)s rejected") % {"no": order.order_no},
        body=reason,
        data={"order_no": order.order_no, "cancellation_id": cancellation.pk},
        dedupe_key=f"cancellation_decided:{cancellation.pk}",
    )
    return cancellation
