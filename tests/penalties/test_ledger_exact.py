"""P8 exactly (issue 13, mutation testing of ``ledger.py``): each manual
entry (top-up, adjustment, reversal) to the cent with its notices, each
refusal's code, status and message, the below-zero notice only below zero,
and the sum check's findings, at the services the admin and the appeal
decision call."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from orders.models import Notification, Shop
from penalties import tasks
from penalties.errors import PenaltyError
from penalties.models import DepositEntry, Violation
from penalties.services import deposit_adjust, deposit_reverse, deposit_top_up
from penalties.services.ledger import ledger_assert_balanced, ledger_mismatches
from tests.factories import order_placed

from .conftest import at, sh

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)
NOW = sh(2026, 3, 9, 15, 0)


def refusal(call, **kwargs):
    with pytest.raises(PenaltyError) as refused:
        call(**kwargs)
    return refused.value.code, refused.value.status, refused.value.detail


def balance(shop) -> Decimal:
    return Shop.objects.get(pk=shop.pk).deposit_balance


def charged_violation(shop) -> Violation:
    """Judgement 1 of an overdue order, charged by the next night's batch."""
    order = order_placed(shop=shop, now=T, paid_at=T)
    with at(T + timedelta(hours=49)):
        tasks.judge_overdue_shipments()
    with at(sh(2026, 3, 5, 0, 30)):
        tasks.run_deductions()
    violation = Violation.objects.get(order=order)
    assert violation.charge_status == "charged"
    return violation


def test_p8_top_up_exact_entry_and_notice(shop_a, reviewer):
    """A top-up is rounded to the cent, written with its kind, amount, new
    balance, time, reviewer and stripped reason, moves the balance, and
    tells the merchant the amount; a top-up by no one in particular (a
    system caller) records no reviewer."""
    entry = deposit_top_up(shop=shop_a, amount=Decimal("10.5"), by=reviewer, reason="  保证金  ", now=NOW)
    entry = DepositEntry.objects.get(pk=entry.pk)
    assert (entry.kind, entry.amount, entry.balance_after, entry.created_at, entry.by, entry.reason) == (
        "top_up",
        Decimal("10.50"),
        Decimal("10.50"),
        NOW,
        reviewer,
        "保证金",
    )
    assert balance(shop_a) == Decimal("10.50")
    notice = Notification.objects.get(kind="deposit_topped_up")
    assert (notice.shop_id, notice.title, notice.body, notice.data) == (
        shop_a.pk,
        "Deposit topped up: 10.50",
        "保证金",
        {"entry_id": entry.pk},
    )
    second = deposit_top_up(shop=shop_a, amount=Decimal("0.01"), by=AnonymousUser(), reason="r", now=NOW)
    assert (second.by, second.balance_after) == (None, Decimal("10.51"))
    assert not Notification.objects.filter(kind="deposit_negative").exists()


def test_p8_refusals_have_their_codes_and_write_nothing(shop_a, reviewer):
    """No reason: 400 ``reason_required``; a top-up of zero, less, or less
    than half a cent: 400 ``invalid_amount``; an adjustment of zero: 400
    ``invalid_amount``. Nothing is written."""
    for reason in ["", "  ", None]:
        assert refusal(deposit_top_up, shop=shop_a, amount=Decimal("5"), by=reviewer, reason=reason, now=NOW) == (
            "reason_required",
            400,
            "A reason is required.",
        )
        assert refusal(deposit_adjust, shop=shop_a, amount=Decimal("5"), by=reviewer, reason=reason, now=NOW) == (
            "reason_required",
            400,
            "A reason is required.",
        )
    for amount in ["0", "-1.00", "0.004"]:
        assert refusal(deposit_top_up, shop=shop_a, amount=Decimal(amount), by=reviewer, reason="r", now=NOW) == (
            "invalid_amount",
            400,
            "A top-up must be positive.",
        )
    assert refusal(deposit_adjust, shop=shop_a, amount=Decimal("0.001"), by=reviewer, reason="r", now=NOW) == (
        "invalid_amount",
        400,
        "An adjustment cannot be zero.",
    )
    assert not DepositEntry.objects.exists() and not Notification.objects.exists()
    assert balance(shop_a) == Decimal("0.00")


def test_p8_adjustment_below_zero_notifies_and_exactly_zero_does_not(shop_a, reviewer):
    """A signed adjustment is an ``adjustment`` entry; reaching exactly 0.00
    sends no notice, going below zero sends one naming the balance."""
    deposit_top_up(shop=shop_a, amount=Decimal("20.00"), by=reviewer, reason="r", now=NOW)
    to_zero = deposit_adjust(shop=shop_a, amount=Decimal("-20.00"), by=reviewer, reason="更正", now=NOW)
    assert (to_zero.kind, to_zero.amount, to_zero.balance_after) == ("adjustment", Decimal("-20.00"), Decimal("0.00"))
    assert not Notification.objects.filter(kind="deposit_negative").exists()
    below = deposit_adjust(shop=shop_a, amount=Decimal("-5.004"), by=reviewer, reason="更正", now=NOW)
    assert (below.amount, below.balance_after) == (Decimal("-5.00"), Decimal("-5.00"))
    assert balance(shop_a) == Decimal("-5.00")
    notice = Notification.objects.get(kind="deposit_negative")
    assert (notice.shop_id, notice.title, notice.body, notice.data, notice.dedupe_key) == (
        shop_a.pk,
        "Deposit balance below zero",
        "Your deposit balance is -5.00. Please top it up.",
        {"balance": "-5.00", "entry_id": below.pk},
        f"p8:entry:{below.pk}",
    )


def test_p3_p8_reversal_gives_the_charge_back_once(shop_a, reviewer):
    """A charged deduction is given back by a ``reversal`` entry of the
    charged amount linked to the violation, which becomes ``reversed``, and
    the merchant is told the amount; reversing it again, or reversing a
    deduction never charged, is refused (409 ``not_charged``)."""
    violation = charged_violation(shop_a)
    charged = violation.charged_amount
    before = balance(shop_a)
    entry = deposit_reverse(violation=violation, by=reviewer, reason=" 申诉通过 ", now=NOW)
    entry = DepositEntry.objects.get(pk=entry.pk)
    assert (entry.kind, entry.amount, entry.violation_id, entry.reason, entry.balance_after) == (
        "reversal",
        charged,
        violation.pk,
        "申诉通过",
        before + charged,
    )
    assert balance(shop_a) == before + charged
    violation.refresh_from_db()
    assert violation.charge_status == "reversed"
    notice = Notification.objects.get(kind="deduction_reversed")
    assert (notice.shop_id, notice.title, notice.body, notice.data, notice.dedupe_key) == (
        shop_a.pk,
        f"Deduction reversed: {charged}",
        "申诉通过",
        {"violation_id": violation.pk, "entry_id": entry.pk},
        f"p8:reversal:{violation.pk}",
    )
    assert refusal(deposit_reverse, violation=violation, by=reviewer, reason="again", now=NOW) == (
        "not_charged",
        409,
        "Only a charged deduction can be reversed (this one is Reversed).",
    )
    assert refusal(deposit_reverse, violation=violation, by=reviewer, reason="", now=NOW)[0] == "reason_required"
    assert DepositEntry.objects.filter(kind="reversal").count() == 1


def test_p8_sum_check_names_each_drifted_shop_and_refuses_with_the_figures(shop_a, shop_b, shop_c, reviewer):
    """``ledger_mismatches`` lists (shop, balance, ledger sum) for each shop
    whose balance drifted, in shop order, a shop without entries summing to
    0.00, and only the asked shops when given; ``ledger_assert_balanced``
    refuses with the first one's figures and every drifted shop's id."""
    deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="r", now=NOW)
    deposit_top_up(shop=shop_c, amount=Decimal("7.00"), by=reviewer, reason="r", now=NOW)
    Shop.objects.filter(pk=shop_a.pk).update(deposit_balance=Decimal("90.00"))
    Shop.objects.filter(pk=shop_b.pk).update(deposit_balance=Decimal("1.00"))
    assert ledger_mismatches() == [
        (shop_a.pk, Decimal("90.00"), Decimal("100.00")),
        (shop_b.pk, Decimal("1.00"), Decimal("0.00")),
    ]
    assert ledger_mismatches(shop_ids=[shop_b.pk, shop_c.pk]) == [(shop_b.pk, Decimal("1.00"), Decimal("0.00"))]
    assert ledger_mismatches(shop_ids=[shop_c.pk]) == []
    ledger_assert_balanced(shop_ids=[shop_c.pk])
    with pytest.raises(PenaltyError) as refused:
        ledger_assert_balanced(shop_ids=[shop_a.pk, shop_b.pk, shop_c.pk])
    assert (refused.value.code, refused.value.status, refused.value.extra) == (
        "ledger_mismatch",
        409,
        {"shops": [shop_a.pk, shop_b.pk]},
    )
    assert refused.value.detail == (
        f"Shop {shop_a.pk}: the deposit balance 90.00 is not the sum of its ledger (100.00)."
    )
    Shop.objects.filter(pk=shop_a.pk).update(deposit_balance=Decimal("100.00"))
    Shop.objects.filter(pk=shop_b.pk).update(deposit_balance=Decimal("0.00"))
