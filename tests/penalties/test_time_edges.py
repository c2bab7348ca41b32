"""Time edges of P7 and R1 (issue 13), with placement and payment at different
times: P7 counts 150 days from placement, R1 counts Asia/Shanghai days."""

from datetime import date, timedelta

import pytest

from orders.models import Order
from orders.services import orders_auto_close
from penalties import tasks
from penalties.models import ShopRating
from penalties.services import ratings_compute, violations_judge
from tests.factories import order_placed

from .conftest import at, sh

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


def test_p7_auto_close_counts_150_days_from_placement_not_payment(shop_a):
    """Placed at 23:59:59 Asia/Shanghai, paid 10 days later: not closed one
    second before placement + 150 days, closed at that instant (140 days
    after payment); an order placed one second later is not."""
    placed = sh(2025, 10, 1, 23, 59, 59)
    order = order_placed(
        shop=shop_a, now=placed + timedelta(days=10), placed_at=placed, paid_at=placed + timedelta(days=10)
    )
    younger = order_placed(
        shop=shop_a, now=placed + timedelta(days=10), placed_at=placed + SECOND, paid_at=placed + timedelta(days=1)
    )
    edge = placed + timedelta(days=150)
    assert orders_auto_close(now=edge - SECOND)["closed"] == 0
    assert orders_auto_close(now=edge)["closed"] == 1
    order.refresh_from_db()
    younger.refresh_from_db()
    assert order.status == Order.Status.CLOSED and order.closed_at == edge
    assert order.refunded_amount == order.total_amount
    assert younger.status == Order.Status.AWAITING_SHIPMENT


def test_p7_beat_job_at_0100_closes_what_is_due_that_night(shop_a):
    """The daily job (01:00 Asia/Shanghai) closes an order whose 150 days
    ended at 00:59:59 local, and not one whose 150 days end at 01:00:01."""
    job = sh(2026, 3, 1, 1, 0)
    due = order_placed(shop=shop_a, now=job - timedelta(days=150), placed_at=job - timedelta(days=150, seconds=1))
    not_yet = order_placed(shop=shop_a, now=job - timedelta(days=150), placed_at=job - timedelta(days=150) + SECOND)
    with at(job):
        assert tasks.auto_close_orders.delay().get()["closed"] == 1
    assert Order.objects.get(pk=due.pk).status == "closed"
    assert Order.objects.get(pk=not_yet.pk).status == "awaiting_shipment"


def test_r1_window_is_30_asia_shanghai_days_of_payment(shop_a):
    """The rating of 10 March counts orders paid from 9 February 00:00 to 10
    March 23:59:59 Asia/Shanghai (the UTC day would differ by 8 h at both
    ends); an order placed before the window but paid inside counts, one
    placed inside but paid after does not. Two of the four counted are judged
    overdue."""
    day = date(2026, 3, 10)
    first, last = sh(2026, 2, 9, 0, 0, 0), sh(2026, 3, 10, 23, 59, 59)
    inside = [
        order_placed(shop=shop_a, now=first, placed_at=first - timedelta(days=2), paid_at=first),
        order_placed(shop=shop_a, now=last, placed_at=last - timedelta(hours=5), paid_at=last),
        order_placed(shop=shop_a, now=first, placed_at=first, paid_at=first + timedelta(hours=1)),
        order_placed(shop=shop_a, now=last, placed_at=last - timedelta(hours=1), paid_at=last - timedelta(hours=1)),
    ]
    order_placed(shop=shop_a, now=first, placed_at=first - timedelta(days=1), paid_at=first - SECOND)
    order_placed(shop=shop_a, now=last, placed_at=last - timedelta(hours=2), paid_at=last + SECOND)
    # inside[0] and inside[2] are overdue 48 h after payment
    violations_judge(now=first + timedelta(hours=49, minutes=1))
    ratings_compute(day=day, now=sh(2026, 3, 11, 1, 30))
    comps = ShopRating.objects.get(shop=shop_a, day=day).components
    assert (comps["overdue_shipment"]["numerator"], comps["overdue_shipment"]["denominator"]) == (2, len(inside))
    assert comps["window"] == {"since": "2026-02-09T00:00:00+08:00", "until": "2026-03-11T00:00:00+08:00"}
