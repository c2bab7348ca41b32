"""P1–P4, P6: whole timelines walked with the clock, driven through the beat tasks."""

from datetime import timedelta
from decimal import Decimal

import pytest

from orders.errors import OrderError
from orders.models import Notification, OrderEvent, Product
from orders.services import refund_issue
from orders.timeline import order_timeline
from penalties import tasks
from penalties.models import DepositEntry, ProductBan, Violation
from penalties.selectors import next_judgement_at
from tests.factories import ProductFactory, order_placed

from .conftest import at, sh, ship

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)  # paid at T; ship_by = T + 48 h


def judge(moment):
    with at(moment):
        return tasks.judge_overdue_shipments.delay().get()


def deduct(moment):
    with at(moment):
        return tasks.run_deductions.delay().get()


def judged_entries(order):
    """The judgements on the order's timeline (composed from the violations:
    the judgement writes no event row)."""
    assert not OrderEvent.objects.filter(order=order, kind="overdue_judged").exists()
    return [(e.data, e.created_at) for e in order_timeline(order) if e.kind == "overdue_judged"]


def judgements(order):
    return list(Violation.objects.filter(order=order).order_by("judgement_no").values_list("judgement_no", "judged_at"))


def test_p1_judged_once_by_the_first_run_after_ship_by(shop_a):
    """Given an order paid at T (ship_by T+48h), when the job runs before the
    deadline nothing happens; the first run after it records judgement 1, an
    entry on the order's timeline (from the violation), and one notification;
    later runs within 24 h add nothing."""
    order = order_placed(shop=shop_a, now=T, paid_at=T)
    assert order.ship_by == T + timedelta(hours=48)

    assert judge(T + timedelta(hours=47, minutes=59))["judged"] == 0
    assert judge(T + timedelta(hours=48))["judged"] == 0  # not yet past ship_by
    first_run = T + timedelta(hours=48, minutes=3)
    counts = judge(first_run)
    assert counts["judged"] == 1 and counts["judgement_1"] == 1
    assert judgements(order) == [(1, first_run)]
    violation = Violation.objects.get(order=order)
    assert violation.shop == shop_a and violation.charge_status == "pending"
    assert violation.judgement_day.isoformat() == "2026-03-04"
    assert violation.next_judgement_at == first_run + timedelta(hours=24)
    assert judged_entries(order) == [({"judgement_no": 1}, first_run)]

    for minutes in (8, 60, 23 * 60 + 59):
        assert judge(first_run + timedelta(minutes=minutes))["judged"] == 0
    assert judgements(order) == [(1, first_run)]


def test_p2_rejudged_every_24h_never_more_than_three(shop_a):
    """Judgement k+1 is made by the first run at or after judgement k + 24 h
    while still overdue; there is never a fourth."""
    order = order_placed(shop=shop_a, now=T, paid_at=T)
    j1 = T + timedelta(hours=48, minutes=5)
    judge(j1)
    assert judge(j1 + timedelta(hours=23, minutes=59))["judged"] == 0
    j2 = j1 + timedelta(hours=24)  # exactly at the turn
    assert judge(j2)["judgement_2"] == 1
    j3 = j2 + timedelta(hours=24, minutes=4)  # first run after the turn
    judge(j2 + timedelta(hours=23))
    assert judge(j3)["judgement_3"] == 1
    for days in (1, 2, 10):
        assert judge(j3 + timedelta(days=days))["judged"] == 0
    assert judgements(order) == [(1, j1), (2, j2), (3, j3)]
    # each turn closed when its successor was made; the last has none
    turns = Violation.objects.filter(order=order).order_by("judgement_no").values_list("next_judgement_at", flat=True)
    assert list(turns) == [None, None, None]
    assert judged_entries(order) == [({"judgement_no": n}, at_) for n, at_ in ((1, j1), (2, j2), (3, j3))]


def test_p2_shipping_in_between_stops_further_judgements(shop_a, shop_b):
    """An order shipped after judgement 1 is never judged again; an order
    partly refunded is not overdue; a pending-payment order never is."""
    shipped = order_placed(shop=shop_a, now=T, paid_at=T)
    refunded = order_placed(shop=shop_b, now=T, paid_at=T)
    unpaid = order_placed(shop=shop_b, now=T, paid=False)
    j1 = T + timedelta(hours=49)
    assert judge(j1)["judged"] == 2
    ship(shipped, j1 + timedelta(hours=2))
    refund_issue(order=refunded, cause="test:partial", amount=Decimal("1.00"), now=j1 + timedelta(hours=2))
    for days in (1, 2, 3, 4):
        judge(j1 + timedelta(days=days, minutes=1))
    assert [n for n, _ in judgements(shipped)] == [1]
    assert [n for n, _ in judgements(refunded)] == [1]
    assert judgements(unpaid) == []
    # the turn is closed: no violation shows a next judgement any more
    assert [next_judgement_at(v) for v in Violation.objects.all()] == [None, None]


def test_p3_judgements_1_and_2_charged_on_the_next_days_only(shop_a):
    """Each of judgements 1 and 2 costs 10.00, charged by the 00:30 batch of
    the next day; judgement 3 is recorded but waived; a rerun charges nothing."""
    order = order_placed(shop=shop_a, now=T, paid_at=T)
    j1 = sh(2026, 3, 4, 10, 5)
    judge(j1)  # judgement 1 on 4 March
    deduct(sh(2026, 3, 4, 23, 59))  # same day: nothing to settle yet
    assert not DepositEntry.objects.exists()
    counts = deduct(sh(2026, 3, 5, 0, 30))
    assert counts["charged"] == 1 and counts["amount"] == "10.00"
    judge(j1 + timedelta(days=1))  # judgement 2 on 5 March
    deduct(sh(2026, 3, 6, 0, 30))
    judge(j1 + timedelta(days=2))  # judgement 3 on 6 March
    deduct(sh(2026, 3, 7, 0, 30))

    v1, v2, v3 = Violation.objects.filter(order=order).order_by("judgement_no")
    assert (v1.charge_status, v1.charged_amount) == ("charged", Decimal("10.00"))
    assert (v2.charge_status, v2.charged_amount) == ("charged", Decimal("10.00"))
    assert (v3.charge_status, v3.charged_amount, v3.waive_reason) == ("waived", Decimal("0.00"), "order_limit")
    entries = list(DepositEntry.objects.order_by("id").values_list("kind", "amount", "balance_after", "violation"))
    assert entries == [
        ("deduction", Decimal("-10.00"), Decimal("-10.00"), v1.pk),
        ("deduction", Decimal("-10.00"), Decimal("-20.00"), v2.pk),
    ]
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("-20.00")

    # the same business day again: the task is a no-op, the service charges nothing twice
    assert deduct(sh(2026, 3, 7, 0, 45))["skipped"]
    from penalties.services import deductions_run

    assert deductions_run(now=sh(2026, 3, 7, 1, 0))["charged"] == 0
    assert DepositEntry.objects.count() == 2


def test_p3_daily_cap_500_per_shop_per_business_day(shop_a, shop_b):
    """60 orders of one shop judged the same day (so deducted on the same
    business day, the next one) are charged 500.00 (the 50 earliest), the
    other 10 waived by the cap; another shop is unaffected."""
    product = ProductFactory(shop=shop_a)
    for i in range(60):
        order_placed(shop=shop_a, product=product, now=T + timedelta(minutes=i), paid_at=T + timedelta(minutes=i))
    for _ in range(3):
        order_placed(shop=shop_b, now=T, paid_at=T)
    # judged in two runs the same day: the earliest 50 judgements are charged
    judge(T + timedelta(hours=48, minutes=30))
    judge(T + timedelta(hours=49, minutes=5))
    assert Violation.objects.filter(shop=shop_a).count() == 60

    counts = deduct(sh(2026, 3, 5, 0, 30))
    assert counts["charged"] == 53 and counts["waived_daily_cap"] == 10
    shop_a.refresh_from_db()
    shop_b.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("-500.00")
    assert shop_b.deposit_balance == Decimal("-30.00")
    waived = Violation.objects.filter(shop=shop_a, charge_status="waived", waive_reason="daily_cap")
    charged = Violation.objects.filter(shop=shop_a, charge_status="charged")
    assert waived.count() == 10 and charged.count() == 50
    assert max(charged.values_list("judged_at", flat=True)) <= min(waived.values_list("judged_at", flat=True))
    assert DepositEntry.objects.filter(shop=shop_a).count() == 50
    assert set(DepositEntry.objects.values_list("business_day", flat=True)) == {sh(2026, 3, 5, 0, 0).date()}


def test_p3_missed_night_catches_up_with_a_cap_per_day(shop_a):
    """If the batch did not run for two nights, the next run settles every
    earlier day, each day with its own cap."""
    judge_days = []
    for day in range(3):
        paid = T + timedelta(days=day)
        order_placed(shop=shop_a, now=paid, paid_at=paid)
        judge_days.append(paid + timedelta(hours=48, minutes=5))
    for moment in judge_days:
        judge(moment)
    counts = deduct(sh(2026, 3, 7, 0, 30))
    # 3 orders: day 4 → j1 of #1; day 5 → j2 of #1, j1 of #2; day 6 → j3 of #1, j2 of #2, j1 of #3
    assert counts["charged"] == 5 and counts["waived_order_limit"] == 1
    assert DepositEntry.objects.filter(kind="deduction").count() == 5
    # each entry belongs to its own business day (judgement day + 1), not the run's
    days = sorted(DepositEntry.objects.values_list("business_day", flat=True))
    assert days == [sh(2026, 3, d, 0, 0).date() for d in (5, 6, 6, 7, 7)]


def test_p3_batch_reads_from_its_mark_and_moves_it_to_the_oldest_unsettled(shop_a, shop_b):
    """The nightly batch reads violations from its mark up (the primary key,
    not an index every judgement would pay for): after a run the mark is the
    lowest id still pending (a judgement of the new day), or past the last id."""
    from penalties.models import BatchMark

    first = order_placed(shop=shop_a, now=T, paid_at=T)  # ship_by 4 March 10:00
    late = order_placed(shop=shop_b, now=sh(2026, 3, 2, 23, 0), paid_at=sh(2026, 3, 2, 23, 0))
    judge(sh(2026, 3, 4, 10, 5))  # judgement of `first` on 4 March
    judge(sh(2026, 3, 5, 0, 10))  # `late` (ship_by 4 March 23:00) judged on 5 March, before the batch
    v_first = Violation.objects.get(order=first)
    v_late = Violation.objects.get(order=late)

    assert deduct(sh(2026, 3, 5, 0, 30))["charged"] == 1  # 4 March only
    assert BatchMark.objects.get(name="deductions").position == v_late.pk
    # below the mark nothing is read: a (corrupt) pending row there is ignored
    Violation.objects.filter(pk=v_first.pk).update(charge_status="pending")
    assert deduct(sh(2026, 3, 6, 0, 30))["charged"] == 1  # `late`'s judgement of 5 March
    assert DepositEntry.objects.filter(violation=v_first).count() == 1
    last = Violation.objects.order_by("-pk").first()
    assert BatchMark.objects.get(name="deductions").position == last.pk + 1
    Violation.objects.filter(pk=v_first.pk).update(charge_status="charged")


def test_p3_preview_shows_what_the_batch_then_does(shop_a, shop_b):
    """The preview (same plan as the batch) announces per shop the judgements,
    charge and waived-by-cap; the batch then does exactly that."""
    from penalties.services import deductions_preview

    for i in range(52):
        order_placed(shop=shop_a, now=T, paid_at=T + timedelta(seconds=i))
    order_placed(shop=shop_b, now=T, paid_at=T)
    judge(T + timedelta(hours=49))
    preview = {row["shop"].pk: row for row in deductions_preview(day=sh(2026, 3, 5, 0, 0).date())}
    assert preview[shop_a.pk]["judgements"] == 52
    assert preview[shop_a.pk]["charge"] == Decimal("500.00") and preview[shop_a.pk]["waived_cap"] == 2
    assert preview[shop_b.pk]["charge"] == Decimal("10.00") and preview[shop_b.pk]["waived_cap"] == 0
    deduct(sh(2026, 3, 5, 0, 30))
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == -preview[shop_a.pk]["charge"]
    assert deductions_preview(day=sh(2026, 3, 5, 0, 0).date()) == []


def test_p4_third_judgement_bans_the_products_at_once(shop_a):
    """The run that makes judgement 3 bans every product on the order
    (status banned + a ban row); new intake of it is refused (product_banned)."""
    product = ProductFactory(shop=shop_a)
    other = ProductFactory(shop=shop_a)
    order = order_placed(shop=shop_a, product=product, now=T, paid_at=T)
    j1 = T + timedelta(hours=48, minutes=1)
    judge(j1)
    judge(j1 + timedelta(hours=24))
    product.refresh_from_db()
    assert product.status == Product.Status.ON_SALE
    counts = judge(j1 + timedelta(hours=48))
    assert counts["judgement_3"] == 1 and counts["banned_products"] == 1
    product.refresh_from_db()
    other.refresh_from_db()
    assert product.status == Product.Status.BANNED and other.status == Product.Status.ON_SALE
    ban = ProductBan.objects.get(product=product)
    assert ban.order == order and ban.violation.judgement_no == 3
    with pytest.raises(OrderError) as err:
        order_placed(shop=shop_a, product=product, now=j1 + timedelta(days=3))
    assert err.value.code == "product_banned"


def test_p6_notifications_batched_per_shop_per_run(shop_a, shop_b):
    """One run judging 5 orders of shop A and 2 of shop B sends exactly one
    notification to each shop, with the counts."""
    for _ in range(5):
        order_placed(shop=shop_a, now=T, paid_at=T)
    for _ in range(2):
        order_placed(shop=shop_b, now=T, paid_at=T)
    counts = judge(T + timedelta(hours=49))
    assert counts["shops_notified"] == 2
    notes = Notification.objects.filter(kind="overdue_judged")
    assert notes.count() == 2
    assert notes.get(shop=shop_a).data["counts"] == {"1": 5}
    assert notes.get(shop=shop_b).data["counts"] == {"1": 2}
    judge(T + timedelta(hours=49, minutes=5))  # nothing new: no notification
    assert notes.count() == 2


def test_p1_run_that_meets_a_concurrent_judgement_rolls_its_statement_back_and_reads_again(shop_a, monkeypatch, caplog):
    """If the unique (order, judgement_no) stops the run's statement (another
    run without the lock judged first), the statement's writes are undone to a
    savepoint and it runs again: the order is judged once, one event."""
    from django.db import IntegrityError

    from penalties.services import judgement

    order = order_placed(shop=shop_a, now=T, paid_at=T)
    name = "_fetch" if judgement.is_postgres() else "_judge_generic"
    real, calls = getattr(judgement, name), []

    def first_meets_a_duplicate(*args):
        calls.append(1)
        result = real(*args)
        if len(calls) == 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        return result

    monkeypatch.setattr(judgement, name, first_meets_a_duplicate)
    counts = judgement.violations_judge(now=T + timedelta(hours=49))
    assert len(calls) == 2 and counts["judged"] == 1
    assert judgements(order) == [(1, T + timedelta(hours=49))]
    assert len(judged_entries(order)) == 1
    assert "concurrent run judged first" in caplog.text


def test_p1_judgements_on_the_order_timeline_through_api_and_admin(shop_a, merchant, reviewer, api, client):
    """The order page (API ``events``, the admin's Timeline) shows each
    judgement at its moment among the order's own events, in the event
    shape, though the judgement wrote no event row."""
    from django.utils import translation

    from config.labels import event_label

    order = order_placed(shop=shop_a, now=T, paid_at=T)
    j1 = T + timedelta(hours=48, minutes=5)
    judge(j1)
    j2 = j1 + timedelta(hours=24)
    judge(j2)
    ship(order, j2 + timedelta(hours=1))
    with at(j2 + timedelta(hours=2)):
        events = api(merchant).get(f"/api/v1/orders/{order.order_no}/").json()["events"]
    judged = [e for e in events if e["kind"] == "overdue_judged"]
    assert judged == [
        {
            "kind": "overdue_judged",
            "actor": None,
            "actor_role": "system",
            "from_status": "awaiting_shipment",
            "to_status": "awaiting_shipment",
            "note": "",
            "data": {"judgement_no": n},
            "created_at": moment.isoformat().replace("+00:00", "Z"),
        }
        for n, moment in ((1, j1), (2, j2))
    ]
    kinds = [e["kind"] for e in events]
    assert kinds.index("overdue_judged") > kinds.index("placed") and kinds[-1] == "shipped"
    assert [e["created_at"] for e in events] == sorted(e["created_at"] for e in events)

    client.force_login(reviewer)
    with translation.override("zh-hans"):
        html = client.get(f"/admin/orders/order/{order.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        label = event_label("overdue_judged")
    assert html.count(f">{label}</div>") == 2  # the "what" column, one row per judgement
