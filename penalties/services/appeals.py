"""V1–V3: merchant appeals of overdue-shipment judgements.

* ``appeal_file`` (V1): the merchant appeals one violation of their shop within
  ``APPEAL_WINDOW_DAYS`` of its judgement, held at the instant of the request
  (exactly at the limit is still in time, one second later is not); once per
  violation (a unique one-to-one, so two racing requests make one appeal).
* ``appeal_approve`` / ``appeal_reject`` (V2): a reviewer decides a pending
  appeal; the merchant is notified either way.
* A granted appeal (V3), in the approval's transaction: the violation is marked
  ``appeal_granted`` (R1 no longer counts it); a charged deduction is given
  back by a reversal entry (``deposit_reverse``, P8); a pending one is settled
  ``waived`` (reason ``appeal_granted``), so the nightly batch, which settles
  only pending judgements, never charges it; a product ban this order caused is
  lifted unless another live reason remains (see ``_bans_review``).

"Once however often approve is sent": the shop row is locked first (the lock
order of every ledger write and the nightly batch), then the appeal row, and
its status is re-read under the lock: a second approve, or a second reviewer
at the same moment, waits for the first and then finds it decided (409
``appeal_not_pending``). Nothing is written before that check.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order, OrderItem, Product, Shop
from orders.policy import rule
from orders.services import notification_create, order_event_record

from ..errors import PenaltyError
from ..models import Appeal, AppealEvidence, ProductBan, Violation
from .ledger import deposit_reverse

R = Appeal.Reason


def appeal_window_closes_at(violation: Violation) -> datetime:
    """V1: the last instant an appeal of ``violation`` may be filed."""
    return violation.judged_at + timedelta(days=rule("APPEAL_WINDOW_DAYS"))


@transaction.atomic
def appeal_file(
    *, violation: Violation, reason: str, detail: str = "", images: list | None = None, by, now: datetime
) -> Appeal:
    """Rule V1: appeal ``violation`` (already scoped to the merchant's shops by
    the caller) with a reason, a detail (required for ``other``) and at most
    ``TICKET_EVIDENCE_MAX_IMAGES`` evidence images, within the window."""
    from tickets.validators import max_evidence_images

    detail = (detail or "").strip()
    images = list(images or [])
    if reason not in R.values:
        raise PenaltyError("invalid_reason", _("Unknown appeal reason."), status=400)
    if reason == R.OTHER and not detail:
        raise PenaltyError("detail_required", _("A reason of 'other' needs a detail."), status=400)
    if len(images) > max_evidence_images():
        raise PenaltyError(
            "too_many_images", _("At most %(n)d images per appeal.") % {"n": max_evidence_images()}, status=400
        )
    violation = Violation.objects.select_for_update().select_related("order").get(pk=violation.pk)
    if Appeal.objects.filter(violation=violation).exists():
        raise PenaltyError("appeal_exists", _("This violation has already been appealed."))
    closes_at = appeal_window_closes_at(violation)
    if now > closes_at:
        raise PenaltyError(
            "appeal_window_closed",
            _("Appeals are accepted within %(days)d days of the judgement (until %(until)s).")
            % {"days": rule("APPEAL_WINDOW_DAYS"), "until": closes_at.isoformat()},
        )
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                violation=violation,
                shop_id=violation.shop_id,
                order_id=violation.order_id,
                reason=reason,
                detail=detail,
                filed_by=by,
                created_at=now,
                review_due_at=now + timedelta(hours=rule("APPEAL_REVIEW_HOURS")),
            )
    except IntegrityError:  # a racing twin on a database without the row lock
        raise PenaltyError("appeal_exists", _("This violation has already been appealed.")) from None
    # W2: the violation shows its appeal.
    Violation.objects.filter(pk=violation.pk).update(updated_at=timezone.now())
    for upload in images:
        AppealEvidence.objects.create(appeal=appeal, image=upload, size=upload.size, created_at=now)
    order_event_record(
        order=violation.order,
        kind="appeal_filed",
        by=by,
        now=now,
        note=detail,
        data={"appeal_id": appeal.pk, "violation_id": violation.pk, "reason": reason},
    )
    return appeal


def _lock_pending(appeal: Appeal) -> Appeal:
    Shop.objects.select_for_update().filter(pk=appeal.shop_id).first()
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != Appeal.Status.PENDING_REVIEW:
        raise PenaltyError(
            "appeal_not_pending",
            _("This appeal was already decided (%(status)s).") % {"status": appeal.get_status_display()},
        )
    return appeal


@transaction.atomic
def appeal_approve(*, appeal: Appeal, by, note: str = "", now: datetime) -> Appeal:
    """Rules V2/V3: grant the appeal, once, with all its effects in this transaction."""
    appeal = _lock_pending(appeal)
    note = (note or "").strip()
    violation = Violation.objects.select_for_update().select_related("order").get(pk=appeal.violation_id)
    effects: dict = {"charge_status_before": violation.charge_status}
    violation.appeal_granted = True
    violation.save(update_fields=["appeal_granted", "updated_at"])
    if violation.charge_status == Violation.ChargeStatus.CHARGED:
        entry = deposit_reverse(
            violation=violation,
            by=by,
            reason=_("Appeal #%(id)d granted: %(note)s") % {"id": appeal.pk, "note": note or "-"},
            now=now,
        )
        effects["reversal_entry_id"] = entry.pk
    elif violation.charge_status == Violation.ChargeStatus.PENDING:
        # The nightly batch settles only ``pending`` rows (conditional UPDATE,
        # under the shop lock we hold): this one is settled now, never charged.
        Violation.objects.filter(pk=violation.pk, charge_status=Violation.ChargeStatus.PENDING).update(
            charge_status=Violation.ChargeStatus.WAIVED,
            waive_reason=Violation.WaiveReason.APPEAL_GRANTED,
            settled_at=now,
            updated_at=timezone.now(),
        )
    effects.update(_bans_review(order=violation.order, appeal=appeal, by=by, now=now))
    appeal.status = Appeal.Status.APPROVED
    appeal.decided_by = by
    appeal.decided_at = now
    appeal.decision_note = note
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    order_event_record(
        order=violation.order,
        kind="appeal_approved",
        by=by,
        now=now,
        note=note,
        data={"appeal_id": appeal.pk, "violation_id": violation.pk, **effects},
    )
    notification_create(
        shop=appeal.shop_id,
        kind="appeal_approved",
        title=_("Appeal granted: order %(order_no)s") % {"order_no": violation.order.order_no},
        body=note,
        data={"appeal_id": appeal.pk, "violation_id": violation.pk, **effects},
        dedupe_key=f"v2:appeal:{appeal.pk}",
    )
    return appeal


@transaction.atomic
def appeal_reject(*, appeal: Appeal, by, reason: str, now: datetime) -> Appeal:
    """Rule V2: refuse the appeal with a reason (required); nothing else changes."""
    reason = (reason or "").strip()
    if not reason:
        raise PenaltyError("reason_required", _("A reason is required."), status=400)
    appeal = _lock_pending(appeal)
    appeal.status = Appeal.Status.REJECTED
    appeal.decided_by = by
    appeal.decided_at = now
    appeal.decision_note = reason
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    # W2: the violation shows its appeal's status.
    Violation.objects.filter(pk=appeal.violation_id).update(updated_at=timezone.now())
    order = Order.objects.only("pk", "order_no").get(pk=appeal.order_id)
    order_event_record(
        order=order,
        kind="appeal_rejected",
        by=by,
        now=now,
        note=reason,
        data={"appeal_id": appeal.pk, "violation_id": appeal.violation_id},
    )
    notification_create(
        shop=appeal.shop_id,
        kind="appeal_rejected",
        title=_("Appeal rejected: order %(order_no)s") % {"order_no": order.order_no},
        body=reason,
        data={"appeal_id": appeal.pk, "violation_id": appeal.violation_id},
        dedupe_key=f"v2:appeal:{appeal.pk}",
    )
    return appeal


def _live_ban_orders(product_id: int):
    """Orders of ``product_id`` that still justify a P4 ban: judged more than
    ``BAN_AFTER_JUDGEMENTS`` times counting only judgements not appeal-granted."""
    return (
        Order.objects.filter(pk__in=OrderItem.objects.filter(product_id=product_id).values("order_id"))
        .annotate(live=Count("violations", filter=Q(violations__appeal_granted=False)))
        .filter(live__gt=rule("BAN_AFTER_JUDGEMENTS"))
        .order_by("pk")
    )


def _bans_review(*, order: Order, appeal: Appeal, by, now: datetime) -> dict:
    """V3/P4: each ban this order caused is lifted unless another live reason
    (an order of the product still judged more than the ban threshold, not
    counting granted judgements) remains; then the ban is kept and names that
    order as its cause. A lifted ban's row is deleted (the judgement's
    ``ON CONFLICT (product)`` must be free to ban the product again); the
    appeal and the order's timeline keep the record."""
    lifted, kept = [], []
    for ban in ProductBan.objects.select_for_update().filter(order=order).order_by("product_id"):
        other = _live_ban_orders(ban.product_id).first()
        if other is not None:
            if other.pk != ban.order_id:
                latest = Violation.objects.filter(order=other, appeal_granted=False).order_by("-judgement_no").first()
                ProductBan.objects.filter(pk=ban.pk).update(order=other, violation=latest)
            kept.append(ban.product_id)
            continue
        ban.delete()
        Product.objects.filter(pk=ban.product_id, status=Product.Status.BANNED).update(status=Product.Status.ON_SALE)
        lifted.append(ban.product_id)
    return {"bans_lifted": lifted, "bans_kept": kept}
