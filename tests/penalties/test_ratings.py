"""R1: the daily shop rating over a rolling 30 days."""

from datetime import timedelta
from decimal import Decimal

import pytest

from orders.models import Shop
from orders.services import after_sale_open, cancellation_approve, cancellation_request
from penalties import formula, tasks
from penalties.models import JobRun, ShopRating
from penalties.services import ratings_compute, violations_judge
from tests.factories import order_placed
from tickets.models import ServiceType
from tickets.services import ticket_open, tickets_time_out

from .conftest import at, sh, ship

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)


def test_r1_rating_components_and_score_over_30_days(shop_a, shop_b, merchant, reviewer, support):
    """Given 10 orders paid in the window (2 judged overdue, 1 cancelled on
    the merchant's request, 1 with a quality-issue after-sale) and 1 order
    paid 31 days earlier (out of the window), the daily job writes a rating
    whose components carry numerator and denominator and whose score follows
    the documented formula; a shop with no orders scores 100."""
    orders = [order_placed(shop=shop_a, now=T, paid_at=T + timedelta(hours=i)) for i in range(10)]
    order_placed(shop=shop_a, now=T - timedelta(days=31), paid_at=T - timedelta(days=31))
    violations_judge(now=T + timedelta(hours=49, minutes=30))  # orders 0 and 1 (and the old one) are overdue
    paid_2 = orders[2].paid_at
    request = cancellation_request(
        order=orders[2], reason="out_of_stock", by=merchant, now=paid_2 + timedelta(minutes=10)
    )
    cancellation_approve(cancellation=request, by=reviewer, now=paid_2 + timedelta(hours=1))
    for order in orders[3:]:
        ship(order, order.paid_at + timedelta(hours=3))
    for order, reason in ((orders[3], "quality_issue"), (orders[4], "no_reason_7d")):
        after_sale_open(
            order=order, type="return_refund", reason=reason, amount=Decimal("10.00"), now=T + timedelta(days=4)
        )

    logistics = ServiceType.objects.get(code="logistics_query")
    ticket_open(order=orders[5], service_type=logistics, description="催物流", by=support, now=T + timedelta(days=3))
    ticket_open(
        order=orders[6], service_type=logistics, description="催物流", by=support, now=T + timedelta(days=3, hours=20)
    )
    tickets_time_out(now=T + timedelta(days=4, hours=1))  # the first is past its 24 h, the second is not

    with at(sh(2026, 3, 11, 1, 30)):
        counts = tasks.compute_ratings.delay().get()
    assert counts["day"] == "2026-03-10"
    rating = ShopRating.objects.get(shop=shop_a, day="2026-03-10")
    comps = rating.components
    assert (comps["overdue_shipment"]["numerator"], comps["overdue_shipment"]["denominator"]) == (2, 10)
    assert (comps["merchant_cancellation"]["numerator"], comps["merchant_cancellation"]["denominator"]) == (1, 10)
    assert (comps["quality_return"]["numerator"], comps["quality_return"]["denominator"]) == (1, 10)
    assert (comps["ticket_timeout"]["numerator"], comps["ticket_timeout"]["denominator"]) == (1, 1)
    assert comps["ticket_timeout"]["weight"] == "0.20"
    # 100 × (1 − (0.4×0.2 + 0.2×0.1 + 0.2×0.1 + 0.2×1)) = 68.00
    assert (
        rating.score
        == Decimal("68.00")
        == formula.score({k: (c["numerator"], c["denominator"]) for k, c in comps.items() if k != "window"})
    )
    shop_a.refresh_from_db()
    assert shop_a.rating_score == Decimal("68.00")
    assert ShopRating.objects.get(shop=shop_b, day="2026-03-10").score == Decimal("100.00")
    assert JobRun.objects.get(job="compute_ratings").counts["shops"] == Shop.objects.count()

    # recomputing the same day replaces the row (one per shop per day)
    ratings_compute(day=sh(2026, 3, 10, 0, 0).date())
    assert ShopRating.objects.filter(shop=shop_a, day="2026-03-10").count() == 1
    # the window rolls: 40 days later nothing counts any more
    ratings_compute(day=sh(2026, 4, 20, 0, 0).date())
    shop_a.refresh_from_db()
    assert shop_a.rating_score == Decimal("100.00")
