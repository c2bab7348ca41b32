"""Issue 15 point 3: money moves only after a confirmation page showing
shop, amount and balance before → after; a top-up above
``TOPUP_FOUR_EYES_LIMIT`` (default ¥50,000) needs a reference number and a
second reviewer's approval before it reaches the ledger."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from orders.roles import REVIEWER
from penalties.models import DepositEntry, TopUpApproval
from penalties.services import deposit_top_up
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOP_UP = "admin:penalties_deposit_top_up"


@pytest.fixture
def second_reviewer(db):
    return UserFactory(username="reviewer2", is_staff=True, groups=[REVIEWER])


def _as(client, user):
    client.force_login(user)
    return client


def test_w15_top_up_shows_shop_amount_and_balance_before_after_then_posts(client, reviewer, shop_a):
    deposit_top_up(shop=shop_a, amount=Decimal("1940.00"), by=reviewer, reason="开店保证金", now=timezone.now())
    c = _as(client, reviewer)
    form = {"shop": shop_a.pk, "amount": "500.00", "reason": "年度保证金", "reference": ""}
    page = c.post(reverse(TOP_UP), form, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert shop_a.name in page and "¥500.00" in page and "¥1,940.00 → ¥2,440.00" in page
    assert DepositEntry.objects.count() == 1
    c.post(reverse(TOP_UP), {**form, "confirm": "yes"})
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("2440.00")


def test_w15_large_top_up_needs_a_reference_and_a_second_reviewer(client, reviewer, second_reviewer, shop_a, settings):
    """¥100,000,000 with 「测试」: refused without a reference number; with
    one it waits; its asker cannot approve it; another reviewer can, after
    a confirmation page, and only then is it in the ledger."""
    settings.TOPUP_FOUR_EYES_LIMIT = "50000.00"
    c = _as(client, reviewer)
    form = {"shop": shop_a.pk, "amount": "100000000.00", "reason": "测试", "confirm": "yes"}
    c.post(reverse(TOP_UP), {**form, "reference": ""})
    assert not TopUpApproval.objects.exists() and not DepositEntry.objects.exists()
    preview = c.post(reverse(TOP_UP), {**form, "reference": "BANK-2026-0001", "confirm": ""}).content.decode()
    assert "¥100,000,000.00" in preview and "second reviewer" in preview
    c.post(reverse(TOP_UP), {**form, "reference": "BANK-2026-0001"})
    approval = TopUpApproval.objects.get()
    assert approval.status == TopUpApproval.Status.PENDING and not DepositEntry.objects.exists()

    changelist = reverse("admin:penalties_topupapproval_changelist")
    approve = {"action": "approve_top_ups", ACTION_CHECKBOX_NAME: [approval.pk], "confirm": "yes"}
    c.post(changelist, approve)  # the asker: refused
    approval.refresh_from_db()
    assert approval.status == TopUpApproval.Status.PENDING and not DepositEntry.objects.exists()

    c2 = _as(client, second_reviewer)
    confirm = c2.post(changelist, {**approve, "confirm": ""}).content.decode()
    assert "¥100,000,000.00" in confirm and "BANK-2026-0001" in confirm and not DepositEntry.objects.exists()
    c2.post(changelist, approve)
    approval.refresh_from_db()
    shop_a.refresh_from_db()
    assert approval.status == TopUpApproval.Status.APPROVED and approval.decided_by == second_reviewer
    entry = DepositEntry.objects.get()
    assert entry.amount == Decimal("100000000.00") and entry.by == second_reviewer and "BANK-2026-0001" in entry.reason
    assert shop_a.deposit_balance == Decimal("100000000.00")


def test_w15_top_up_at_the_limit_posts_without_a_second_reviewer(client, reviewer, shop_a, settings):
    settings.TOPUP_FOUR_EYES_LIMIT = "50000.00"
    form = {"shop": shop_a.pk, "amount": "50000.00", "reason": "年度保证金", "reference": "", "confirm": "yes"}
    _as(client, reviewer).post(reverse(TOP_UP), form)
    assert DepositEntry.objects.get().amount == Decimal("50000.00") and not TopUpApproval.objects.exists()
