"""C1/C4 at their edges (issue 13): the 2 h window counts from payment, not
placement, and holds at the instant of the request, across Asia/Shanghai
midnight; the shop's daily cap counts Asia/Shanghai days."""

from datetime import datetime, timedelta

import pytest
import time_machine

from orders.models import CancellationRequest
from orders.policy import PLATFORM_TZ
from tests.factories import order_placed

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
PLACED = datetime(2026, 3, 2, 22, 0, tzinfo=PLATFORM_TZ)
PAID = datetime(2026, 3, 2, 23, 30, tzinfo=PLATFORM_TZ)  # window closes 3 March 01:30 local


def cancel(api, merchant, order, when):
    with time_machine.travel(when, tick=False):
        return api(merchant).post(f"/api/v1/orders/{order.order_no}/cancel/", {"reason": "out_of_stock"}, format="json")


def paid_order(shop, placed=PLACED, paid=PAID):
    return order_placed(shop=shop, now=paid, placed_at=placed, paid_at=paid)


@pytest.mark.parametrize(
    "after_payment,expected",
    [
        (timedelta(hours=2) - SECOND, 201),
        (timedelta(hours=2), 201),  # "within 2 h": the last instant is inside
        (timedelta(hours=2) + SECOND, 409),
    ],
    ids=["one_second_before", "at_the_instant", "one_second_after"],
)
def test_c1_window_counts_from_payment_at_the_instant_across_midnight(api, merchant, shop_a, after_payment, expected):
    """Placed 22:00, paid 23:30 (Asia/Shanghai): the window ends 01:30 the
    next day, 3.5 h after placement, whatever the calendar day."""
    order = paid_order(shop_a)
    r = cancel(api, merchant, order, PAID + after_payment)
    assert r.status_code == expected, r.content
    if expected == 409:
        assert r.json()["code"] == "cancel_window_closed"
        assert not CancellationRequest.objects.exists()
    else:
        assert CancellationRequest.objects.get().requested_at == PAID + after_payment


def test_c1_placement_more_than_2h_ago_does_not_close_the_window(api, merchant, shop_a):
    """Placed 5 h before payment: a request 1 h after payment (6 h after
    placement) is accepted: the window is the payment's."""
    order = paid_order(shop_a, placed=PAID - timedelta(hours=5))
    assert cancel(api, merchant, order, PAID + timedelta(hours=1)).status_code == 201


def test_c4_daily_cap_counts_asia_shanghai_days(api, merchant, shop_a):
    """A cap of 1 a day: a request at 23:59:59 local and one at 00:00:00 local
    the next day are both accepted (two days, though the same UTC day); a
    second on the new day is refused."""
    shop_a.daily_cancel_cap = 1
    shop_a.save(update_fields=["daily_cancel_cap"])
    midnight = datetime(2026, 3, 3, 0, 0, tzinfo=PLATFORM_TZ)  # 2 March 16:00 UTC
    before, after, again = (
        paid_order(shop_a, placed=midnight - timedelta(hours=1), paid=midnight - HOUR) for _ in "abc"
    )
    assert cancel(api, merchant, before, midnight - SECOND).status_code == 201
    assert cancel(api, merchant, after, midnight).status_code == 201
    refused = cancel(api, merchant, again, midnight + SECOND)
    assert refused.status_code == 409 and refused.json()["code"] == "cancel_daily_cap_reached"
