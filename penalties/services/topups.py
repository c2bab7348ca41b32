"""Issue 15: top-ups with four eyes. A top-up up to
``settings.TOPUP_FOUR_EYES_LIMIT`` (default ¥50,000) is posted at once; a
larger one needs a reference number (the bank transfer's) and waits as a
:class:`TopUpApproval` until a second reviewer, not the one who asked,
approves it. Only the approval posts to the append-only ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from orders.models import Shop

from ..errors import PenaltyError
from ..models import DepositEntry, TopUpApproval
from .ledger import CENT, deposit_top_up

DEFAULT_LIMIT = Decimal("50000.00")


def four_eyes_limit() -> Decimal:
    return Decimal(str(getattr(settings, "TOPUP_FOUR_EYES_LIMIT", DEFAULT_LIMIT)))


def needs_second_reviewer(amount: Decimal) -> bool:
    return Decimal(amount) > four_eyes_limit()


@dataclass(frozen=True)
class TopUpOutcome:
    entry: DepositEntry | None = None  # posted now
    approval: TopUpApproval | None = None  # waiting for a second reviewer


@transaction.atomic
def top_up_request(*, shop: Shop, amount: Decimal, reason: str, reference: str, by, now: datetime) -> TopUpOutcome:
    """Post a top-up, or (above the limit) record it for a second reviewer."""
    amount = Decimal(amount).quantize(CENT)
    if not needs_second_reviewer(amount):
        reason = f"{reason} ({reference})" if reference.strip() else reason
        return TopUpOutcome(entry=deposit_top_up(shop=shop, amount=amount, by=by, reason=reason, now=now))
    if not reference.strip():
        raise PenaltyError(
            "reference_required",
            _("A top-up above %(limit)s needs the reference number of the transfer.")
            % {"limit": f"¥{four_eyes_limit():,.2f}"},
            status=400,
        )
    if not reason.strip():
        raise PenaltyError("reason_required", _("A reason is required."), status=400)
    approval = TopUpApproval.objects.create(
        shop=shop, amount=amount, reason=reason.strip(), reference=reference.strip(), requested_by=by, requested_at=now
    )
    return TopUpOutcome(approval=approval)


@transaction.atomic
def top_up_approve(*, approval: TopUpApproval, by, now: datetime) -> DepositEntry:
    """The second reviewer's approval posts the top-up to the ledger."""
    approval = TopUpApproval.objects.select_for_update().get(pk=approval.pk)
    if approval.status != TopUpApproval.Status.PENDING:
        raise PenaltyError("not_pending", _("This top-up has been decided already."))
    if approval.requested_by_id == by.pk:
        raise PenaltyError("same_reviewer", _("A second reviewer must approve a top-up you asked for."), status=403)
    entry = deposit_top_up(
        shop=approval.shop, amount=approval.amount, by=by, reason=f"{approval.reason} ({approval.reference})", now=now
    )
    approval.status = TopUpApproval.Status.APPROVED
    approval.decided_by = by
    approval.decided_at = now
    approval.entry = entry
    approval.save(update_fields=["status", "decided_by", "decided_at", "entry"])
    return entry


@transaction.atomic
def top_up_reject(*, approval: TopUpApproval, by, reason: str, now: datetime) -> TopUpApproval:
    approval = TopUpApproval.objects.select_for_update().get(pk=approval.pk)
    if approval.status != TopUpApproval.Status.PENDING:
        raise PenaltyError("not_pending", _("This top-up has been decided already."))
    if not reason.strip():
        raise PenaltyError("reason_required", _("A reason is required."), status=400)
    approval.status = TopUpApproval.Status.REJECTED
    approval.decided_by = by
    approval.decided_at = now
    approval.decision_note = reason.strip()
    approval.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return approval
