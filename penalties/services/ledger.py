"""P8: the deposit ledger's manual entries (top-up, adjustment, reversal).

Every entry is appended with the shop row locked, and the shop's balance is
written in the same transaction, so ``Shop.deposit_balance`` always equals the
sum of its entries. Nothing is ever edited: a wrongful deduction is undone by
a reversal entry (on PostgreSQL a trigger refuses UPDATE and DELETE of an entry).

The sum invariant is checked, not assumed: ``ledger_mismatches`` compares each
shop's balance with the sum of its entries; every append and the nightly
batch run it for the shops they touch before they commit, and refuse
(``ledger_mismatch``, nothing written) when a balance has drifted;
``manage.py ledger_check`` runs it over every shop.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from orders.models import Shop
from orders.services import notification_create

from ..errors import PenaltyError
from ..models import DepositEntry, Violation
from .push import deduction_reversed_push

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def ledger_mismatches(*, shop_ids=None) -> list[tuple[int, Decimal, Decimal]]:
    """Rule P8, checked: ``(shop_id, balance, sum of entries)`` for every shop
    (of ``shop_ids``, when given) whose balance is not the sum of its ledger."""
    entries = (
        DepositEntry.objects.filter(shop_id=OuterRef("pk"))
        .order_by()
        .values("shop_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    shops = Shop.objects.annotate(
        ledger=Coalesce(
            Subquery(entries, output_field=DecimalField(max_digits=14, decimal_places=2)),
            Value(ZERO),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )
    if shop_ids is not None:
        shops = shops.filter(pk__in=shop_ids)
    rows = shops.order_by("pk").values_list("pk", "deposit_balance", "ledger")
    return [(pk, balance, Decimal(total).quantize(CENT)) for pk, balance, total in rows if balance != total]


def ledger_assert_balanced(*, shop_ids) -> None:
    """Refuse (and so roll back the caller's transaction) when a balance is not
    the sum of its entries: a drifted balance is never built upon."""
    drifted = ledger_mismatches(shop_ids=shop_ids)
    if drifted:
        shop_id, balance, total = drifted[0]
        raise PenaltyError(
            "ledger_mismatch",
            _("Shop %(shop)s: the deposit balance %(balance)s is not the sum of its ledger (%(total)s).")
            % {"shop": shop_id, "balance": balance, "total": total},
            extra={"shops": [row[0] for row in drifted]},
        )


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PenaltyError("reason_required", _("A reason is required."), status=400)
    return reason


def _append(
    *, shop_id: int, kind: str, amount: Decimal, by, reason: str, now: datetime, violation=None
) -> DepositEntry:
    """Lock the shop, check its balance is its ledger's sum, append one entry,
    write the new balance (caller holds a transaction)."""
    shop = Shop.objects.select_for_update().get(pk=shop_id)
    ledger_assert_balanced(shop_ids=[shop.pk])
    balance = shop.deposit_balance + amount
    entry = DepositEntry.objects.create(
        shop=shop,
        kind=kind,
        amount=amount,
        balance_after=balance,
        created_at=now,
        violation=violation,
        by=by if getattr(by, "is_authenticated", False) else None,
        reason=reason,
    )
    Shop.objects.filter(pk=shop.pk).update(deposit_balance=balance)
    if balance < 0:
        notification_create(
            shop=shop,
            kind="deposit_negative",
            title=_("Deposit balance below zero"),
            body=_("Your deposit balance is %(balance)s. Please top it up.") % {"balance": balance},
            data={"balance": str(balance), "entry_id": entry.pk},
            dedupe_key=f"p8:entry:{entry.pk}",
        )
    return entry


@transaction.atomic
def deposit_top_up(*, shop: Shop, amount: Decimal, by, reason: str, now: datetime) -> DepositEntry:
    """Rule P8: a top-up is a positive entry; the balance moves with it."""
    reason = _reason_required(reason)
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise PenaltyError("invalid_amount", _("A top-up must be positive."), status=400)
    entry = _append(shop_id=shop.pk, kind=DepositEntry.Kind.TOP_UP, amount=amount, by=by, reason=reason, now=now)
    notification_create(
        shop=shop,
        kind="deposit_topped_up",
        title=_("Deposit topped up: %(amount)s") % {"amount": amount},
        body=reason,
        data={"entry_id": entry.pk},
    )
    return entry


@transaction.atomic
def deposit_adjust(*, shop: Shop, amount: Decimal, by, reason: str, now: datetime) -> DepositEntry:
    """Rule P8: a signed correction by a reviewer, with a reason."""
    reason = _reason_required(reason)
    amount = Decimal(amount).quantize(CENT)
    if amount == 0:
        raise PenaltyError("invalid_amount", _("An adjustment cannot be zero."), status=400)
    return _append(shop_id=shop.pk, kind=DepositEntry.Kind.ADJUSTMENT, amount=amount, by=by, reason=reason, now=now)


@transaction.atomic
def deposit_reverse(*, violation: Violation, by, reason: str, now: datetime) -> DepositEntry:
    """Rules P3/P8, appeal granted: give back a charged deduction with a
    reversal entry (never an edit); the violation becomes ``reversed``. A
    second reversal of the same violation is refused (unique per violation)."""
    reason = _reason_required(reason)
    # Lock order: shop, then violation (the nightly batch locks shops first too).
    Shop.objects.select_for_update().filter(pk=violation.shop_id).first()
    violation = Violation.objects.select_for_update().get(pk=violation.pk)
    if violation.charge_status != Violation.ChargeStatus.CHARGED:
        raise PenaltyError(
            "not_charged",
            _("Only a charged deduction can be reversed (this one is %(s)s).")
            % {"s": violation.get_charge_status_display()},
        )
    try:
        with transaction.atomic():
            entry = _append(
                shop_id=violation.shop_id,
                kind=DepositEntry.Kind.REVERSAL,
                amount=violation.charged_amount,
                by=by,
                reason=reason,
                now=now,
                violation=violation,
            )
    except IntegrityError:
        raise PenaltyError("already_reversed", _("This deduction was already reversed.")) from None
    violation.charge_status = Violation.ChargeStatus.REVERSED
    violation.save(update_fields=["charge_status", "updated_at"])
    deduction_reversed_push(entry=entry, now=now)  # W1
    notification_create(
        shop=violation.shop_id,
        kind="deduction_reversed",
        title=_("Deduction reversed: %(amount)s") % {"amount": violation.charged_amount},
        body=reason,
        data={"violation_id": violation.pk, "entry_id": entry.pk},
        dedupe_key=f"p8:reversal:{violation.pk}",
    )
    return entry
