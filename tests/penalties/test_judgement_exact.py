"""P1/P2/P4/P6 exactly (issue 13, mutation testing of ``judgement.py``): the
run's counts, the timeline entries (no event rows), the turns closed in the run that makes the
successor, the bans of a product shared by two orders, and the P6 notice's
title, body and data, driven through the beat task."""

from datetime import UTC, timedelta

import pytest

from orders.models import Notification, OrderEvent, Product
from orders.timeline import order_timeline
from penalties import tasks
from penalties.models import ProductBan, Violation
from tests.factories import ProductFactory, order_placed

from .conftest import at, sh

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)  # paid at T; ship_by = T + 48 h


def judge(moment):
    with at(moment):
        return tasks.judge_overdue_shipments.delay().get()


def counts(judged=0, one=0, two=0, three=0, banned=0, shops=0):
    return {
        "judged": judged,
        "judgement_1": one,
        "judgement_2": two,
        "judgement_3": three,
        "banned_products": banned,
        "shops_notified": shops,
    }


def turns(order):
    return list(
        Violation.objects.filter(order=order).order_by("judgement_no").values_list("judgement_no", "next_judgement_at")
    )


def test_p1_p2_p4_p6_three_runs_exact_counts_events_turns_bans_and_notices(shop_a, shop_b):
    """Two orders of shop A share a product and are judged at the same runs;
    a third order of A and one of shop B fall overdue a day later. Each run's
    counts name every judgement number; each judgement writes one system
    event naming its number; the run that makes judgement 2 closes
    judgement 1's turn at once; the run that makes judgement 3 of both
    sharing orders bans their product once; each shop gets one notice per
    run that counts its orders per judgement number, and says so when
    products are banned."""
    shared = ProductFactory(shop=shop_a)
    first = order_placed(shop=shop_a, product=shared, now=T, paid_at=T)
    twin = order_placed(shop=shop_a, product=shared, now=T, paid_at=T)
    day_later = order_placed(shop=shop_a, now=T + timedelta(hours=24), paid_at=T + timedelta(hours=24))
    other_shop = order_placed(shop=shop_b, now=T + timedelta(hours=24), paid_at=T + timedelta(hours=24))
    run1, run2, run3 = (T + timedelta(hours=49 + 24 * k) for k in range(3))

    assert judge(run1) == counts(judged=2, one=2, shops=1)
    assert judge(run2) == counts(judged=4, one=2, two=2, shops=2)
    assert turns(first) == [(1, None), (2, run2 + timedelta(hours=24))]
    assert turns(day_later) == [(1, run2 + timedelta(hours=24))]
    assert judge(run3) == counts(judged=4, two=2, three=2, banned=1, shops=2)
    assert turns(first) == [(1, None), (2, None), (3, None)]

    shared.refresh_from_db()
    assert shared.status == Product.Status.BANNED
    ban = ProductBan.objects.get(product=shared)
    assert ban.order_id in {first.pk, twin.pk} and ban.violation.judgement_no == 3 and ban.created_at == run3
    assert ban.violation.order_id == ban.order_id
    assert ProductBan.objects.count() == 1

    assert not OrderEvent.objects.filter(kind="overdue_judged").exists()  # the violation row is the record
    events = [e for e in order_timeline(first) if e.kind == "overdue_judged"]
    assert [(e.actor_id, e.actor_role, e.from_status, e.to_status, e.data, e.created_at) for e in events] == [
        (None, "system", "awaiting_shipment", "awaiting_shipment", {"judgement_no": n}, run)
        for n, run in ((1, run1), (2, run2), (3, run3))
    ]

    notices = Notification.objects.filter(kind="overdue_judged", shop=shop_a).order_by("created_at")
    assert [(n.title, n.body, n.data, n.created_at) for n in notices] == [
        (
            "Overdue shipment: 2 order(s) judged",
            "2 order(s) judged overdue for shipment: 2 at judgement 1. See Violations for details.",
            {"judged_at": run1.astimezone(UTC).isoformat(), "counts": {"1": 2}},
            run1,
        ),
        (
            "Overdue shipment: 3 order(s) judged",
            "3 order(s) judged overdue for shipment: 1 at judgement 1, 2 at judgement 2. See Violations for details.",
            {"judged_at": run2.astimezone(UTC).isoformat(), "counts": {"1": 1, "2": 2}},
            run2,
        ),
        (
            "Overdue shipment: 3 order(s) judged",
            "3 order(s) judged overdue for shipment: 1 at judgement 2, 2 at judgement 3. See Violations for details."
            " Products on orders judged the maximum number of times are banned.",
            {"judged_at": run3.astimezone(UTC).isoformat(), "counts": {"2": 1, "3": 2}},
            run3,
        ),
    ]
    assert [n.data["counts"] for n in Notification.objects.filter(kind="overdue_judged", shop=shop_b)] == [
        {"1": 1},
        {"2": 1},
    ]
    assert [n for n, _ in turns(other_shop)] == [1, 2]


def test_p1_p2_a_hold_moves_only_that_orders_turn_still_ahead(shop_a):
    """``judgement_turn_resume``: the order held by the platform has its next
    turn moved later by the time held, if the turn was still ahead when the
    hold began; another order's turn, and a turn already due, do not move."""
    from penalties.services import judgement_turn_resume

    held, other = (order_placed(shop=shop_a, now=T, paid_at=T) for _ in range(2))
    judged_at = T + timedelta(hours=48, minutes=1)
    judge(judged_at)
    [(no, turn)] = turns(held)
    assert no == 1
    assert turns(other) == [(1, turn)] and turn == judged_at + timedelta(hours=24)
    hold_from, hold_until = judged_at + timedelta(hours=1), judged_at + timedelta(hours=4)
    assert judgement_turn_resume(order_id=held.pk, held_from=hold_from, held_until=hold_until) == 1
    assert turns(held) == [(1, turn + timedelta(hours=3))]
    assert turns(other) == [(1, turn)]
    # a hold that began after the turn was due moves nothing
    late = turn + timedelta(hours=3, seconds=1)
    assert judgement_turn_resume(order_id=held.pk, held_from=late, held_until=late + timedelta(hours=1)) == 0
    assert turns(held) == [(1, turn + timedelta(hours=3))]


def test_p4_a_product_already_banned_is_not_banned_twice(shop_a):
    """Order A's third judgement bans the product it shares with order B,
    paid a day later; B's third judgement, a run after, finds the product
    banned: the run does not fail, counts no new ban, and the ban still
    names A's order, violation and moment."""
    shared = ProductFactory(shop=shop_a)
    first = order_placed(shop=shop_a, product=shared, now=T, paid_at=T)
    later = order_placed(shop=shop_a, product=shared, now=T + timedelta(hours=24), paid_at=T + timedelta(hours=24))
    run1, run2, run3, run4 = (T + timedelta(hours=49 + 24 * k) for k in range(4))

    assert judge(run1) == counts(judged=1, one=1, shops=1)
    assert judge(run2) == counts(judged=2, one=1, two=1, shops=1)
    assert judge(run3) == counts(judged=2, two=1, three=1, banned=1, shops=1)
    assert judge(run4) == counts(judged=1, three=1, shops=1)

    ban = ProductBan.objects.get(product=shared)
    assert (ban.order_id, ban.violation.judgement_no, ban.violation.order_id, ban.created_at) == (
        first.pk,
        3,
        first.pk,
        run3,
    )
    assert Violation.objects.filter(order=later, judgement_no=3).count() == 1
    shared.refresh_from_db()
    assert shared.status == Product.Status.BANNED
