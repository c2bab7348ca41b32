"""P3/P8 money bookkeeping (issue 13, point 7): the ledger is append-only in
PostgreSQL itself, its sum invariant is checked by the code that writes it,
every deduction records the business day it belongs to, the daily cap counts
per business day, and only judgements 1 and 2 are ever charged."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from orders.models import Shop
from penalties import tasks
from penalties.errors import PenaltyError
from penalties.models import DepositEntry, Violation
from penalties.services import deductions, deposit_top_up
from penalties.services.ledger import ledger_mismatches
from tests.factories import order_placed

from .conftest import at, sh

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)


def judge(moment):
    with at(moment):
        return tasks.judge_overdue_shipments.delay().get()


def deduct(moment):
    with at(moment):
        return tasks.run_deductions.delay().get()


def overdue_at(shop, ship_by, n=1):
    """``n`` paid orders of ``shop`` whose 48 h promise ends at ``ship_by``."""
    paid = ship_by - timedelta(hours=48)
    return [order_placed(shop=shop, now=paid, paid_at=paid) for _ in range(n)]


def cap(settings, amount: str) -> None:
    settings.PLATFORM = {**settings.PLATFORM, "DAILY_DEDUCTION_CAP": Decimal(amount)}


# --- append-only ---------------------------------------------------------------------


@pytest.mark.postgres
def test_p8_ledger_refuses_update_and_delete_in_postgres(shop_a, reviewer):
    """P8: the ledger is append-only in the database: an UPDATE or DELETE of an
    entry, by the ORM or by raw SQL, is refused by the trigger; inserting works."""
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    entry = deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="deposit", now=T)
    attempts = [
        lambda: DepositEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00")),
        lambda: DepositEntry.objects.filter(pk=entry.pk).delete(),
        lambda: connection.cursor().execute(
            "UPDATE penalties_depositentry SET reason = 'edited' WHERE id = %s", [entry.pk]
        ),
        lambda: connection.cursor().execute("DELETE FROM penalties_depositentry WHERE id = %s", [entry.pk]),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
            attempt()
    entry.refresh_from_db()
    assert (entry.amount, entry.reason) == (Decimal("100.00"), "deposit")
    # appending still works: a second top-up is a new row
    deposit_top_up(shop=shop_a, amount=Decimal("5.00"), by=reviewer, reason="more", now=T)
    assert DepositEntry.objects.filter(shop=shop_a).count() == 2


# --- the sum invariant, checked ------------------------------------------------------------


def test_p8_sum_invariant_checked_before_an_append(shop_a, shop_b, reviewer):
    """P8: a balance that drifted from its ledger's sum is found by
    ``ledger_mismatches`` and ``manage.py ledger_check``, and the next append
    to that shop is refused (``ledger_mismatch``) with nothing written; other
    shops are unaffected."""
    deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="deposit", now=T)
    assert ledger_mismatches() == []
    call_command("ledger_check")  # balanced: no error

    Shop.objects.filter(pk=shop_a.pk).update(deposit_balance=Decimal("90.00"))  # edited behind the ledger's back
    assert ledger_mismatches() == [(shop_a.pk, Decimal("90.00"), Decimal("100.00"))]
    with pytest.raises(CommandError, match="1 shop"):
        call_command("ledger_check")
    with pytest.raises(PenaltyError) as refused:
        deposit_top_up(shop=shop_a, amount=Decimal("5.00"), by=reviewer, reason="more", now=T)
    assert refused.value.code == "ledger_mismatch"
    assert DepositEntry.objects.filter(shop=shop_a).count() == 1
    deposit_top_up(shop=shop_b, amount=Decimal("5.00"), by=reviewer, reason="other shop", now=T)

    Shop.objects.filter(pk=shop_a.pk).update(deposit_balance=Decimal("100.00"))
    assert ledger_mismatches() == []


def test_p8_admin_top_up_on_a_drifted_balance_says_why(client, reviewer, shop_a):
    """P8 through the admin: the top-up page refuses a drifted shop with the reason."""
    client.force_login(reviewer)
    deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="deposit", now=T)
    Shop.objects.filter(pk=shop_a.pk).update(deposit_balance=Decimal("0.00"))
    page = client.post(
        reverse("admin:penalties_deposit_top_up"),
        {"shop": shop_a.pk, "amount": "50.00", "reason": "x", "confirm": "yes"},
        follow=True,
    )
    assert "not the sum of its ledger" in page.content.decode()
    assert DepositEntry.objects.filter(shop=shop_a).count() == 1
    Shop.objects.filter(pk=shop_a.pk).update(deposit_balance=Decimal("100.00"))


def test_p8_batch_that_would_leave_a_balance_off_its_ledger_commits_nothing(shop_a, monkeypatch):
    """P8: the nightly batch checks the invariant for the shops it charged
    before it commits; a balance statement that missed a shop rolls the whole
    batch back (no entry, nothing settled) instead of committing a drift."""
    overdue_at(shop_a, sh(2026, 3, 4, 10, 0))
    judge(sh(2026, 3, 4, 10, 5))
    monkeypatch.setattr(deductions, "BALANCE", deductions.BALANCE.replace("WHERE id IN", "WHERE 1 = 0 AND id IN"))
    with pytest.raises(PenaltyError) as refused:
        deductions.deductions_run(now=sh(2026, 3, 5, 0, 30))
    assert refused.value.code == "ledger_mismatch"
    assert not DepositEntry.objects.exists()
    assert Violation.objects.get().charge_status == "pending"
    monkeypatch.undo()
    assert deductions.deductions_run(now=sh(2026, 3, 5, 0, 30))["charged"] == 1


# --- business day --------------------------------------------------------------------------


def test_p3_each_deduction_records_its_business_day_either_side_of_shanghai_midnight(shop_a):
    """P3: a deduction belongs to the business day after its judgement's
    Asia/Shanghai day: judged at 23:59:59 → the next day; at 00:00:00 and
    00:00:01 → the day after that. A batch run late (two nights caught up at
    once) still records each entry's own business day, not the run's."""
    before = overdue_at(shop_a, sh(2026, 3, 4, 23, 0))[0]
    at_midnight = overdue_at(shop_a, sh(2026, 3, 4, 23, 59, 59))[0]
    after = overdue_at(shop_a, sh(2026, 3, 5, 0, 0, 0))[0]
    judge(sh(2026, 3, 4, 23, 59, 59))  # judges `before` only
    judge(sh(2026, 3, 5, 0, 0, 0))  # `at_midnight`
    judge(sh(2026, 3, 5, 0, 0, 1))  # `after`
    judged = dict(Violation.objects.values_list("order", "judgement_day"))
    assert judged == {before.pk: date(2026, 3, 4), at_midnight.pk: date(2026, 3, 5), after.pk: date(2026, 3, 5)}
    counts = deduct(sh(2026, 3, 7, 0, 30))  # two nights late
    assert counts["charged"] == 3
    days = dict(DepositEntry.objects.values_list("violation__order", "business_day"))
    assert days == {before.pk: date(2026, 3, 5), at_midnight.pk: date(2026, 3, 6), after.pk: date(2026, 3, 6)}


def test_p3_business_day_one_second_after_midnight(shop_a):
    """P3: a judgement at 00:00:01 Asia/Shanghai (16:00:01 UTC the day before)
    belongs to the next Shanghai day's batch, not the UTC day's."""
    order = overdue_at(shop_a, sh(2026, 3, 5, 0, 0, 0))[0]
    judge(sh(2026, 3, 5, 0, 0, 1))
    nothing = deduct(sh(2026, 3, 5, 0, 30))  # same business day: not yet
    assert (nothing["settled"], nothing["charged"], nothing["amount"], nothing["shops"]) == (0, 0, "0.00", 0)
    assert deduct(sh(2026, 3, 6, 0, 30))["charged"] == 1
    assert DepositEntry.objects.get(violation__order=order).business_day == date(2026, 3, 6)


def test_p3_daily_cap_counts_per_business_day_either_side_of_midnight(shop_a, settings):
    """P3: with a cap of 20.00 (two deductions), judgements at 23:59:59 and at
    00:00:00 belong to two business days, each under its own cap, even when
    one batch settles both; judgements at 00:00:00 and 00:00:01 share one."""
    cap(settings, "20.00")
    late_day = overdue_at(shop_a, sh(2026, 3, 4, 23, 0), n=2)
    next_day = overdue_at(shop_a, sh(2026, 3, 4, 23, 59, 59), n=2)
    third = overdue_at(shop_a, sh(2026, 3, 5, 0, 0, 0))
    judge(sh(2026, 3, 4, 23, 59, 59))  # late_day's 2: business day 5 March
    judge(sh(2026, 3, 5, 0, 0, 0))  # next_day's 2: business day 6 March
    judge(sh(2026, 3, 5, 0, 0, 1))  # third: business day 6 March, beyond its cap
    counts = deduct(sh(2026, 3, 6, 0, 30))  # the batch of 6 March settles 4 and 5 March's judgements
    assert counts["charged"] == 4 and counts["waived_daily_cap"] == 1
    status = dict(Violation.objects.values_list("order", "charge_status"))
    assert [status[o.pk] for o in late_day + next_day + third] == ["charged"] * 4 + ["waived"]
    per_day = sorted(DepositEntry.objects.values_list("business_day", "amount"))
    assert per_day == [(date(2026, 3, 5), Decimal("-10.00"))] * 2 + [(date(2026, 3, 6), Decimal("-10.00"))] * 2
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("-40.00")


def test_p3_daily_cap_is_reached_exactly_and_not_exceeded_by_one(shop_a, settings):
    """P3: the cap is inclusive: with a cap of 30.00, three judgements of a day
    are charged (exactly 30.00) and the fourth is waived ``daily_cap``."""
    cap(settings, "30.00")
    overdue_at(shop_a, sh(2026, 3, 4, 10, 0), n=4)
    judge(sh(2026, 3, 4, 10, 5))
    counts = deduct(sh(2026, 3, 5, 0, 30))
    assert (counts["charged"], counts["amount"], counts["waived_daily_cap"]) == (3, "30.00", 1)


def test_p3_judgement_3_never_charged_even_when_an_earlier_one_was_waived_by_the_cap(shop_a, settings):
    """P3: only judgements 1 and 2 of an order are charged; a judgement waived
    by the cap is forgiven, not carried over to judgement 3. With a cap of one
    deduction a day, order Y (judged after X each day) is never charged; X's
    judgements 1 and 2 are; both third judgements are waived ``order_limit``."""
    cap(settings, "10.00")
    x = overdue_at(shop_a, sh(2026, 3, 4, 10, 0))[0]
    y = overdue_at(shop_a, sh(2026, 3, 4, 12, 0))[0]
    for day in range(3):
        judge(sh(2026, 3, 4, 10, 5) + timedelta(days=day))  # X's judgement day+1
        judge(sh(2026, 3, 4, 12, 5) + timedelta(days=day))  # Y's judgement day+1
        deduct(sh(2026, 3, 5, 0, 30) + timedelta(days=day))
    fate = {
        (v.order_id, v.judgement_no): (v.charge_status, v.waive_reason)
        for v in Violation.objects.filter(order__in=[x, y])
    }
    assert fate == {
        (x.pk, 1): ("charged", ""),
        (x.pk, 2): ("charged", ""),
        (x.pk, 3): ("waived", "order_limit"),
        (y.pk, 1): ("waived", "daily_cap"),
        (y.pk, 2): ("waived", "daily_cap"),
        (y.pk, 3): ("waived", "order_limit"),
    }
    assert list(DepositEntry.objects.order_by("business_day").values_list("violation__order", "business_day")) == [
        (x.pk, date(2026, 3, 5)),
        (x.pk, date(2026, 3, 6)),
    ]


# --- what the batch and its preview say, exactly ---------------------------------------------


def three_days_of_judgements(shop_a, shop_b, settings):
    """Cap 20.00 (two a day). Shop A: X, Y, Z overdue at 4 March 10:00; shop B
    (deposit 100.00): one order; all judged on 4, 5 and 6 March."""
    from penalties.services import deposit_top_up as top_up

    cap(settings, "20.00")
    top_up(shop=shop_b, amount=Decimal("100.00"), by=None, reason="deposit", now=T)
    orders = overdue_at(shop_a, sh(2026, 3, 4, 10, 0), n=3) + overdue_at(shop_b, sh(2026, 3, 4, 10, 0))
    for day in range(3):
        judge(sh(2026, 3, 4, 10, 5) + timedelta(days=day))
    return orders


def test_p3_preview_announces_exactly_what_the_batch_then_does_and_writes_nothing(shop_a, shop_b, settings):
    """P3: the preview for 7 March lists per shop the judgements, charged
    count and amount, waived by cap and by order limit, balance before and
    after, and writes nothing (not even the batch's mark)."""
    from penalties.models import BatchMark
    from penalties.services import deductions_preview

    three_days_of_judgements(shop_a, shop_b, settings)
    preview = deductions_preview(day=date(2026, 3, 7))
    assert not BatchMark.objects.exists()
    assert [{k: v for k, v in row.items() if k != "shop"} for row in preview] == [
        {
            "judgements": 9,
            "charged": 4,
            "charge": Decimal("40.00"),
            "waived_cap": 2,
            "waived_order_limit": 3,
            "balance": Decimal("0.00"),
            "balance_after": Decimal("-40.00"),
        },
        {
            "judgements": 3,
            "charged": 2,
            "charge": Decimal("20.00"),
            "waived_cap": 0,
            "waived_order_limit": 1,
            "balance": Decimal("100.00"),
            "balance_after": Decimal("80.00"),
        },
    ]
    assert [row["shop"] for row in preview] == [shop_a, shop_b]
    deduct(sh(2026, 3, 7, 0, 30))
    shop_a.refresh_from_db()
    shop_b.refresh_from_db()
    assert (shop_a.deposit_balance, shop_b.deposit_balance) == (Decimal("-40.00"), Decimal("80.00"))


def test_p3_p6_p8_batch_counts_entries_and_notifications_are_exact(shop_a, shop_b, settings):
    """P3/P6/P8: one catch-up batch (7 March) over three days of judgements:
    its counts, each entry's amount, running balance, business day and
    reason, the shop's 'deposit deducted' notification and, for the shop now
    below zero only, the 'balance below zero' one."""
    from orders.models import Notification

    x, y, z, b = three_days_of_judgements(shop_a, shop_b, settings)
    counts = deduct(sh(2026, 3, 7, 0, 30))
    assert {k: v for k, v in counts.items() if k != "skipped"} == {
        "settled": 12,
        "charged": 6,
        "ledger_entries": 6,
        "amount": "60.00",
        "waived_daily_cap": 2,
        "waived_order_limit": 4,
        "shops": 2,
        "negative_balances": 1,
    }
    entries = list(
        DepositEntry.objects.filter(kind="deduction")
        .order_by("id")
        .values_list("shop", "amount", "balance_after", "business_day", "reason")
    )
    a, mar5, mar6 = shop_a.pk, date(2026, 3, 5), date(2026, 3, 6)
    assert entries == [
        (a, Decimal("-10.00"), Decimal("-10.00"), mar5, f"P3 overdue shipment: order {x.order_no} #1"),
        (a, Decimal("-10.00"), Decimal("-20.00"), mar5, f"P3 overdue shipment: order {y.order_no} #1"),
        (a, Decimal("-10.00"), Decimal("-30.00"), mar6, f"P3 overdue shipment: order {x.order_no} #2"),
        (a, Decimal("-10.00"), Decimal("-40.00"), mar6, f"P3 overdue shipment: order {y.order_no} #2"),
        (shop_b.pk, Decimal("-10.00"), Decimal("90.00"), mar5, f"P3 overdue shipment: order {b.order_no} #1"),
        (shop_b.pk, Decimal("-10.00"), Decimal("80.00"), mar6, f"P3 overdue shipment: order {b.order_no} #2"),
    ]
    notes = {
        (n.shop_id, n.kind): (n.title, n.body, n.data, n.dedupe_key)
        for n in Notification.objects.filter(kind__in=["deposit_deducted", "deposit_negative"])
    }
    assert notes == {
        (a, "deposit_deducted"): (
            "Deposit deducted: 40.00",
            "4 overdue-shipment judgement(s) charged 40.00; 2 waived by the daily cap.",
            {"business_day": "2026-03-07", "amount": "40.00"},
            f"p3:{a}:2026-03-07",
        ),
        (shop_b.pk, "deposit_deducted"): (
            "Deposit deducted: 20.00",
            "2 overdue-shipment judgement(s) charged 20.00; 0 waived by the daily cap.",
            {"business_day": "2026-03-07", "amount": "20.00"},
            f"p3:{shop_b.pk}:2026-03-07",
        ),
        (a, "deposit_negative"): (
            "Deposit balance below zero",
            "Your deposit balance is -40.00. Please top it up.",
            {"balance": "-40.00"},
            f"p8:{a}:2026-03-07",
        ),
    }
    assert Violation.objects.get(order=z, judgement_no=1).waive_reason == "daily_cap"
    assert set(Violation.objects.filter(judgement_no=3).values_list("waive_reason", flat=True)) == {"order_limit"}


def test_p3_a_set_mark_is_where_the_batch_starts(shop_a):
    """P3: ``deductions_mark_set`` (bulk loads of settled history) declares
    every violation below it settled: the batch reads from it and moves it on."""
    from penalties.models import BatchMark
    from penalties.services.deductions import deductions_mark_set

    old, new = overdue_at(shop_a, sh(2026, 3, 4, 10, 0), n=2)
    judge(sh(2026, 3, 4, 10, 5))
    below = Violation.objects.get(order=old)
    from_here = Violation.objects.get(order=new)
    deductions_mark_set(from_here.pk)
    assert BatchMark.objects.get(name="deductions").position == from_here.pk
    assert deduct(sh(2026, 3, 5, 0, 30))["charged"] == 1
    assert list(DepositEntry.objects.values_list("violation", flat=True)) == [from_here.pk]
    assert BatchMark.objects.get(name="deductions").position == from_here.pk + 1
    Violation.objects.filter(pk=below.pk).update(charge_status="waived")  # settled history, as a bulk load leaves it


def test_p8_below_zero_notice_only_for_shops_charged_now_and_a_drift_elsewhere_blocks_no_one(shop_a, shop_b):
    """P8/P6: the batch of 7 March notifies "below zero" only a shop it charged
    that is now below zero (not one exactly at 0.00, not one already negative
    but only waived tonight), still notifies a charged shop listed after a
    shop with nothing charged, and checks the sum invariant of the shops it
    charged only: a drifted balance in another shop does not stop it."""
    from orders.models import Notification

    overdue_at(shop_a, sh(2026, 3, 4, 10, 0))  # judged 4, 5, 6 March: charged twice, then waived
    deposit_top_up(shop=shop_b, amount=Decimal("10.00"), by=None, reason="deposit", now=T)
    overdue_at(shop_b, sh(2026, 3, 6, 10, 0))  # judged on 6 March: charged by the batch of 7 March
    for day in range(3):
        judge(sh(2026, 3, 4, 10, 5) + timedelta(days=day))
        if day < 2:
            deduct(sh(2026, 3, 5, 0, 30) + timedelta(days=day))
    Shop.objects.filter(pk=shop_a.pk).update(deposit_balance=Decimal("-25.00"))  # drifted (ledger says -20.00)

    counts = deduct(sh(2026, 3, 7, 0, 30))
    assert (counts["charged"], counts["amount"], counts["waived_order_limit"], counts["negative_balances"]) == (
        1,
        "10.00",
        1,
        0,
    )
    shop_b.refresh_from_db()
    assert shop_b.deposit_balance == Decimal("0.00")
    deducted = set(Notification.objects.filter(kind="deposit_deducted").values_list("dedupe_key", flat=True))
    assert f"p3:{shop_b.pk}:2026-03-07" in deducted and f"p3:{shop_a.pk}:2026-03-07" not in deducted
    negative = set(Notification.objects.filter(kind="deposit_negative").values_list("dedupe_key", flat=True))
    assert negative == {f"p8:{shop_a.pk}:2026-03-05", f"p8:{shop_a.pk}:2026-03-06"}
    Shop.objects.filter(pk=shop_a.pk).update(deposit_balance=Decimal("-20.00"))


def test_p3_cap_counts_whole_deductions_for_any_amount(shop_a, settings):
    """P3 with other policy numbers: at 1.00 a deduction and a 2.50 cap, two
    judgements of a day are charged (2.00) and the third is waived."""
    settings.PLATFORM = {
        **settings.PLATFORM,
        "DEDUCTION_AMOUNT": Decimal("1.00"),
        "DAILY_DEDUCTION_CAP": Decimal("2.50"),
    }
    overdue_at(shop_a, sh(2026, 3, 4, 10, 0), n=3)
    judge(sh(2026, 3, 4, 10, 5))
    counts = deduct(sh(2026, 3, 5, 0, 30))
    assert (counts["charged"], counts["amount"], counts["waived_daily_cap"]) == (2, "2.00", 1)


def test_p3_preview_reads_from_the_batch_mark(shop_a):
    """P3: after a batch moved its mark, the preview reads from it as the
    batch does: a (corrupt) pending row below the mark is not announced, the
    new day's judgement is."""
    from penalties.services import deductions_preview

    first, second = overdue_at(shop_a, sh(2026, 3, 4, 10, 0)) + overdue_at(shop_a, sh(2026, 3, 5, 10, 0))
    judge(sh(2026, 3, 4, 10, 5))
    deduct(sh(2026, 3, 5, 0, 30))
    judge(sh(2026, 3, 5, 10, 5))  # `second`'s judgement 1 and `first`'s judgement 2
    below = Violation.objects.get(order=first, judgement_no=1)
    Violation.objects.filter(pk=below.pk).update(charge_status="pending")
    preview = deductions_preview(day=date(2026, 3, 6))
    assert [(row["judgements"], row["charged"]) for row in preview] == [(2, 2)]
    Violation.objects.filter(pk=below.pk).update(charge_status="charged")
