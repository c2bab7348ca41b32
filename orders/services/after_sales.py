"""After-sales (A1, A2): opened by the buyer through the storefront, decided
by the merchant. Approval of a refund type issues the refund (F1/F2)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import OrderError
from ..models import AfterSale, Order
from .events import order_event_record
from .refunds import refund_issue

S = Order.Status
A = AfterSale
REFUND_TYPES = {A.Type.REFUND_ONLY, A.Type.RETURN_REFUND}


@transaction.atomic
def after_sale_open(
    *, order: Order, type: str, reason: str, amount: Decimal, description: str = "", by=None, now: datetime
) -> AfterSale:
    """Rule A1: record the buyer's request; the order keeps its fulfilment
    status and is flagged ``in_after_sale`` (O1)."""
    if type not in A.Type.values:
        raise OrderError("invalid_type", _("Unknown after-sale type."), status=400)
    if reason not in A.Reason.values:
        raise OrderError("invalid_reason", _("Unknown after-sale reason."), status=400)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in (S.AWAITING_SHIPMENT, S.SHIPPED, S.COMPLETED):
        raise OrderError("after_sale_not_allowed", _("An after-sale needs a paid order that is still open."))
    amount = Decimal(amount).quantize(Decimal("0.01"))
    left = order.total_amount - order.refunded_amount
    if amount < 0 or amount > left or (type in REFUND_TYPES and amount == 0):
        raise OrderError(
            "invalid_amount", _("The amount must be positive and at most %(left)s.") % {"left": left}, status=400
        )
    if A.objects.filter(order=order, status=A.Status.PENDING).exists():
        raise OrderError("after_sale_pending", _("An after-sale request for this order is already open."))
    after_sale = A.objects.create(
        order=order,
        shop_id=order.shop_id,
        type=type,
        reason=reason,
        amount=amount,
        description=description or "",
        created_at=now,
    )
    if not order.in_after_sale:
        order.in_after_sale = True
        order.save(update_fields=["in_after_sale", "updated_at"])
    order_event_record(
        order=order,
        kind="after_sale_opened",
        by=by,
        now=now,
        note=description or "",
        data={"after_sale_id": after_sale.pk, "type": type, "reason": reason, "amount": str(amount)},
    )
    return after_sale


def _decide(after_sale: AfterSale, status: str, note: str, by, now: datetime) -> tuple[Order, AfterSale]:
    order = Order.objects.select_for_update().get(pk=after_sale.order_id)
    after_sale = A.objects.select_for_update().get(pk=after_sale.pk)
    if after_sale.status != A.Status.PENDING:
        raise OrderError(
            "after_sale_not_pending",
            _("This after-sale was already decided (%(s)s).") % {"s": after_sale.get_status_display()},
        )
    after_sale.status = status
    after_sale.decided_by = by
    after_sale.decided_at = now
    after_sale.decision_note = note
    after_sale.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if not A.objects.filter(order=order, status=A.Status.PENDING).exists():
        order.in_after_sale = False
        order.save(update_fields=["in_after_sale", "updated_at"])
    return order, after_sale


@transaction.atomic
def after_sale_approve(*, after_sale: AfterSale, note: str = "", by, now: datetime) -> AfterSale:
    """Rule A2: the merchant approves; a refund type issues its refund once
    (cause ``after_sale:<id>``); a full refund closes the order."""
    order, after_sale = _decide(after_sale, A.Status.APPROVED, (note or "").strip(), by, now)
    order_event_record(
        order=order,
        kind="after_sale_approved",
        by=by,
        now=now,
        note=after_sale.decision_note,
        data={"after_sale_id": after_sale.pk},
    )
    if after_sale.type in REFUND_TYPES:
        amount = min(after_sale.amount, order.total_amount - order.refunded_amount)
        if amount > 0:
            refund_issue(order=order, cause=f"after_sale:{after_sale.pk}", amount=amount, by=by, now=now)
    return after_sale


@transaction.atomic
def after_sale_reject(*, after_sale: AfterSale, reason: str, by, now: datetime) -> AfterSale:
    """Rule A2: the merchant rejects, with a reason; the buyer's reason stays."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("reason_required", _("A rejection needs a reason."), status=400)
    order, after_sale = _decide(after_sale, A.Status.REJECTED, reason, by, now)
    order_event_record(
        order=order, kind="after_sale_rejected", by=by, now=now, note=reason, data={"after_sale_id": after_sale.pk}
    )
    return after_sale
