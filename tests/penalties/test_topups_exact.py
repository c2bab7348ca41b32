"""Four-eyes top-ups exactly (issue 13, mutation testing of
``penalties/services/topups.py``; issue 15): the limit (setting, default,
boundary), the entry's amount and reason with its reference, the approval's
fields, and each refusal's code, status and message."""

from decimal import Decimal

import pytest

from penalties.errors import PenaltyError
from penalties.models import DepositEntry, TopUpApproval
from penalties.services.topups import (
    four_eyes_limit,
    needs_second_reviewer,
    top_up_approve,
    top_up_reject,
    top_up_request,
)
from tests.factories import UserFactory

from .conftest import sh

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)


@pytest.fixture
def second(db):
    from orders.roles import REVIEWER

    return UserFactory(username="reviewer2", is_staff=True, groups=[REVIEWER])


def refused(call, **kwargs):
    with pytest.raises(PenaltyError) as info:
        call(**kwargs)
    return info.value.code, info.value.status, info.value.detail


def test_the_limit_comes_from_the_setting_and_defaults_to_50000(settings):
    settings.TOPUP_FOUR_EYES_LIMIT = "1234.5"
    assert four_eyes_limit() == Decimal("1234.50")
    assert needs_second_reviewer(Decimal("1234.50")) is False
    assert needs_second_reviewer(Decimal("1234.51")) is True
    del settings.TOPUP_FOUR_EYES_LIMIT
    assert four_eyes_limit() == Decimal("50000.00")
    assert needs_second_reviewer(Decimal("50000.00")) is False
    assert needs_second_reviewer(Decimal("50000.01")) is True


def test_up_to_the_limit_posts_at_once_with_the_reference_in_the_reason(shop_a, reviewer, settings):
    settings.TOPUP_FOUR_EYES_LIMIT = "100.00"
    outcome = top_up_request(shop=shop_a, amount="100.004", reason="保证金", reference=" B-1 ", by=reviewer, now=T)
    assert outcome.approval is None
    entry = outcome.entry
    assert (entry.amount, entry.reason, entry.by, entry.created_at) == (
        Decimal("100.00"),
        "保证金 ( B-1 )",
        reviewer,
        T,
    )
    blank = top_up_request(shop=shop_a, amount=Decimal("1"), reason="补缴", reference="  ", by=reviewer, now=T)
    assert blank.entry.reason == "补缴" and blank.approval is None
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("101.00")
    assert not TopUpApproval.objects.exists()


def test_above_the_limit_waits_for_a_second_reviewer_with_stripped_fields(shop_a, reviewer, settings):
    settings.TOPUP_FOUR_EYES_LIMIT = "100.00"
    outcome = top_up_request(shop=shop_a, amount="100.011", reason=" 年度 ", reference=" BANK-1 ", by=reviewer, now=T)
    assert outcome.entry is None
    approval = outcome.approval
    assert (
        approval.shop,
        approval.amount,
        approval.reason,
        approval.reference,
        approval.requested_by,
        approval.requested_at,
        approval.status,
    ) == (shop_a, Decimal("100.01"), "年度", "BANK-1", reviewer, T, TopUpApproval.Status.PENDING)
    assert not DepositEntry.objects.exists()


def test_above_the_limit_without_reference_or_reason_is_refused(shop_a, reviewer, settings):
    settings.TOPUP_FOUR_EYES_LIMIT = "50000"
    kwargs = {"shop": shop_a, "amount": Decimal("50000.01"), "by": reviewer, "now": T}
    assert refused(top_up_request, reason="r", reference="  ", **kwargs) == (
        "reference_required",
        400,
        "A top-up above ¥50,000.00 needs the reference number of the transfer.",
    )
    assert refused(top_up_request, reason="  ", reference="B-1", **kwargs) == (
        "reason_required",
        400,
        "A reason is required.",
    )
    assert not TopUpApproval.objects.exists() and not DepositEntry.objects.exists()


def test_the_second_reviewer_posts_it_once(shop_a, reviewer, second, settings):
    settings.TOPUP_FOUR_EYES_LIMIT = "100.00"
    approval = top_up_request(shop=shop_a, amount="500", reason="年度", reference="BANK-1", by=reviewer, now=T).approval
    assert refused(top_up_approve, approval=approval, by=reviewer, now=T) == (
        "same_reviewer",
        403,
        "A second reviewer must approve a top-up you asked for.",
    )
    later = sh(2026, 3, 2, 11, 0)
    entry = top_up_approve(approval=approval, by=second, now=later)
    assert (entry.shop, entry.amount, entry.reason, entry.by, entry.created_at, entry.kind) == (
        shop_a,
        Decimal("500.00"),
        "年度 (BANK-1)",
        second,
        later,
        DepositEntry.Kind.TOP_UP,
    )
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by, approval.decided_at, approval.entry) == (
        TopUpApproval.Status.APPROVED,
        second,
        later,
        entry,
    )
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("500.00")
    for call, extra in ((top_up_approve, {}), (top_up_reject, {"reason": "no"})):
        assert refused(call, approval=approval, by=second, now=later, **extra) == (
            "not_pending",
            409,
            "This top-up has been decided already.",
        )
    assert DepositEntry.objects.count() == 1


def test_a_rejection_needs_a_reason_and_posts_nothing(shop_a, reviewer, second, settings):
    settings.TOPUP_FOUR_EYES_LIMIT = "100.00"
    approval = top_up_request(shop=shop_a, amount="500", reason="年度", reference="BANK-1", by=reviewer, now=T).approval
    assert refused(top_up_reject, approval=approval, by=second, reason="   ", now=T) == (
        "reason_required",
        400,
        "A reason is required.",
    )
    approval.refresh_from_db()
    assert approval.status == TopUpApproval.Status.PENDING
    later = sh(2026, 3, 2, 12, 0)
    # The asker may withdraw (reject) their own request: only approval needs a second person.
    rejected = top_up_reject(approval=approval, by=reviewer, reason=" 金额有误 ", now=later)
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by, approval.decided_at, approval.decision_note, approval.entry) == (
        TopUpApproval.Status.REJECTED,
        reviewer,
        later,
        "金额有误",
        None,
    )
    assert rejected.pk == approval.pk
    assert refused(top_up_approve, approval=approval, by=second, now=later) == (
        "not_pending",
        409,
        "This top-up has been decided already.",
    )
    assert not DepositEntry.objects.exists()
