"""Reviewer admin: sanctions (P5), ledger actions (P8), the deduction preview
(P3) and job runs; all through the admin pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from orders.errors import OrderError
from orders.models import Notification, Shop
from penalties import tasks
from penalties.models import DepositEntry, JobRun, ShopSanction, Violation
from penalties.selectors import sanction_list
from penalties.services import deductions_run, violations_judge
from tests.factories import order_placed

from .conftest import at, sh, ship

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)


@pytest.fixture
def staff_client(client, reviewer):
    client.force_login(reviewer)
    return client


def judged_three_times(shop):
    order = order_placed(shop=shop, now=T, paid_at=T)
    j1 = T + timedelta(hours=48, minutes=5)
    for k in range(3):
        violations_judge(now=j1 + timedelta(hours=24 * k))
    return order


def test_p5_sanction_list_suspend_clear_lift_with_reason(staff_client, shop_a, shop_b, merchant):
    """A shop with an order judged 3 times and still overdue is listed; a
    reviewer suspends it with a reason (merchant notified, intake refused),
    lifts it, and may clear it. Never automatic. A shipped order delists."""
    order = judged_three_times(shop_a)
    other = judged_three_times(shop_b)
    ship(other, T + timedelta(days=5))
    assert list(sanction_list().values_list("pk", flat=True)) == [shop_a.pk]
    shop_a.refresh_from_db()
    assert shop_a.status == Shop.Status.ACTIVE  # never automatic

    url = reverse("admin:penalties_sanctioncandidate_changelist")
    page = staff_client.get(url)
    assert page.status_code == 200 and shop_a.name in page.content.decode()
    assert shop_b.name not in page.content.decode()

    # the action first shows the intermediate page asking for a reason
    post = {"action": "suspend_shops", ACTION_CHECKBOX_NAME: [shop_a.pk]}
    confirm = staff_client.post(url, post)
    assert confirm.status_code == 200 and "reason" in confirm.content.decode()
    assert staff_client.post(url, {**post, "confirm": "yes", "reason": ""}).status_code == 200  # reason required
    shop_a.refresh_from_db()
    assert shop_a.status == Shop.Status.ACTIVE

    staff_client.post(url, {**post, "confirm": "yes", "reason": "3 orders unshipped for 5 days"})
    shop_a.refresh_from_db()
    assert shop_a.status == Shop.Status.SUSPENDED
    sanction = ShopSanction.objects.get(shop=shop_a)
    assert (sanction.action, sanction.reason, sanction.by.username) == (
        "suspend",
        "3 orders unshipped for 5 days",
        "reviewer",
    )
    assert Notification.objects.filter(shop=shop_a, kind="shop_suspend").exists()
    with pytest.raises(OrderError) as err:
        order_placed(shop=shop_a, now=T + timedelta(days=6))
    assert err.value.code == "shop_not_active"

    staff_client.post(
        url, {"action": "lift_shops", ACTION_CHECKBOX_NAME: [shop_a.pk], "confirm": "yes", "reason": "ok"}
    )
    shop_a.refresh_from_db()
    assert shop_a.status == Shop.Status.ACTIVE
    staff_client.post(
        url, {"action": "clear_shops", ACTION_CHECKBOX_NAME: [shop_a.pk], "confirm": "yes", "reason": "x"}
    )
    shop_a.refresh_from_db()
    assert shop_a.status == Shop.Status.CLEARED
    # lifting a cleared shop is refused, and nothing changes
    staff_client.post(url, {"action": "lift_shops", ACTION_CHECKBOX_NAME: [shop_a.pk], "confirm": "yes", "reason": "x"})
    shop_a.refresh_from_db()
    assert shop_a.status == Shop.Status.CLEARED
    assert list(ShopSanction.objects.filter(shop=shop_a).order_by("id").values_list("action", flat=True)) == [
        "suspend",
        "lift",
        "clear",
    ]
    assert order.pk


def test_p8_top_up_and_reversal_only_through_actions_with_a_reason(staff_client, shop_a, merchant):
    """The ledger is read-only in the admin; a top-up (custom page) and the
    reversal of a wrongful deduction (action) append entries, never edit."""
    order = order_placed(shop=shop_a, now=T, paid_at=T)
    violations_judge(now=T + timedelta(hours=49))
    deductions_run(now=sh(2026, 3, 5, 0, 30))
    violation = Violation.objects.get(order=order)
    deduction = DepositEntry.objects.get(violation=violation)

    entry_url = reverse("admin:penalties_depositentry_change", args=[deduction.pk])
    assert staff_client.post(entry_url, {"amount": "0"}).status_code == 403
    assert staff_client.get(reverse("admin:penalties_depositentry_add")).status_code == 403

    top_up = reverse("admin:penalties_deposit_top_up")
    assert staff_client.get(top_up).status_code == 200
    staff_client.post(top_up, {"shop": shop_a.pk, "amount": "200.00", "reason": ""})
    assert not DepositEntry.objects.filter(kind="top_up").exists()  # reason required
    preview = staff_client.post(top_up, {"shop": shop_a.pk, "amount": "200.00", "reason": "annual deposit"})
    assert not DepositEntry.objects.filter(kind="top_up").exists()  # issue 15: confirmed first
    assert "¥200.00" in preview.content.decode()
    staff_client.post(top_up, {"shop": shop_a.pk, "amount": "200.00", "reason": "annual deposit", "confirm": "yes"})
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("190.00")

    url = reverse("admin:penalties_violation_changelist")
    post = {"action": "reverse_deductions", ACTION_CHECKBOX_NAME: [violation.pk]}
    assert "reason" in staff_client.post(url, post).content.decode()
    staff_client.post(url, {**post, "confirm": "yes", "reason": "appeal: courier strike"})
    staff_client.post(url, {**post, "confirm": "yes", "reason": "twice"})  # refused: already reversed
    violation.refresh_from_db()
    assert violation.charge_status == "reversed"
    kinds = list(DepositEntry.objects.order_by("id").values_list("kind", "amount", "balance_after"))
    assert kinds == [
        ("deduction", Decimal("-10.00"), Decimal("-10.00")),
        ("top_up", Decimal("200.00"), Decimal("190.00")),
        ("reversal", Decimal("10.00"), Decimal("200.00")),
    ]
    deduction.refresh_from_db()
    assert deduction.amount == Decimal("-10.00")  # never edited


def test_p8_negative_balance_notifies_the_merchant(shop_a):
    """A deduction taking the balance below zero notifies the merchant once."""
    order_placed(shop=shop_a, now=T, paid_at=T)
    violations_judge(now=T + timedelta(hours=49))
    counts = deductions_run(now=sh(2026, 3, 5, 0, 30))
    assert counts["negative_balances"] == 1
    note = Notification.objects.get(shop=shop_a, kind="deposit_negative")
    assert note.data["balance"] == "-10.00"
    assert Notification.objects.filter(shop=shop_a, kind="deposit_deducted").count() == 1


def test_p3_preview_page_shows_tomorrows_deductions(staff_client, shop_a, shop_b, support, client):
    """The reviewer sees, before the money moves, per shop: judgements,
    charge and waived-by-cap of the next batch; support staff may not."""
    for i in range(51):
        order_placed(shop=shop_a, now=T, paid_at=T + timedelta(seconds=i))
    now = T + timedelta(hours=49)
    violations_judge(now=now)
    with at(now):
        page = staff_client.get(reverse("admin:penalties_deduction_preview"))
    html = page.content.decode()
    assert page.status_code == 200
    assert shop_a.name in html and "500.00" in html and "<td>51</td>" in html and "<td>1</td>" in html
    client.force_login(support)
    assert client.get(reverse("admin:penalties_deduction_preview")).status_code in (302, 403)


def test_reviewer_pages_render(staff_client, shop_a):
    judged_three_times(shop_a)
    deductions_run(now=sh(2026, 3, 8, 0, 30))
    tasks.compute_ratings.delay()
    for name in (
        "violation",
        "depositentry",
        "productban",
        "shopsanction",
        "sanctioncandidate",
        "shoprating",
        "jobrun",
    ):
        resp = staff_client.get(reverse(f"admin:penalties_{name}_changelist"))
        assert resp.status_code == 200, name
    detail = staff_client.get(reverse("admin:penalties_sanctioncandidate_change", args=[shop_a.pk]))
    assert detail.status_code == 200 and "Deposit balance" in detail.content.decode()
    shop_page = staff_client.get(reverse("admin:orders_shop_change", args=[shop_a.pk]))
    assert shop_page.status_code == 200 and "Banned products" in shop_page.content.decode()


def test_job_runs_recorded_and_a_second_daily_run_is_a_no_op(shop_a):
    """Each run is recorded with its counts; a second run of a daily job for
    the same business day does nothing; a failed run may be retried."""
    order_placed(shop=shop_a, now=T, paid_at=T)
    with at(T + timedelta(hours=49)):
        tasks.judge_overdue_shipments.delay()
        tasks.judge_overdue_shipments.delay()
    assert JobRun.objects.filter(job="judge_overdue_shipments").count() == 2
    with at(sh(2026, 3, 5, 0, 30)):
        first = tasks.run_deductions.delay().get()
    with at(sh(2026, 3, 5, 9, 0)):
        second = tasks.run_deductions.delay().get()
    assert first["charged"] == 1 and "skipped" in second
    run = JobRun.objects.get(job="run_deductions")
    assert run.counts["charged"] == 1 and run.finished_at and run.error == ""
    assert str(run.business_day) == "2026-03-05"

    JobRun.objects.filter(pk=run.pk).update(error="boom")
    with at(sh(2026, 3, 5, 10, 0)):
        assert tasks.run_deductions.delay().get()["charged"] == 0
    run.refresh_from_db()
    assert run.error == "" and run.counts["charged"] == 0


def test_support_has_no_penalties_permissions(support, reviewer):
    assert not [p for p in support.get_all_permissions() if p.startswith("penalties.")]
    assert {"penalties.top_up_deposit", "penalties.reverse_deduction", "penalties.sanction_shop"} <= set(
        reviewer.get_all_permissions()
    )
