"""O4 clarified (issue 13, point 6): carrier data at the edges, driven through
the intake tracking endpoint and the beat task."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from orders.models import Notification
from orders.tasks import flag_logistics_abnormal
from tests.factories import order_placed

from .helpers import T0, fresh

pytestmark = pytest.mark.django_db
SKEW = timedelta(minutes=5)
SECOND = timedelta(seconds=1)


def _ship(api, merchant, order, at):
    with time_machine.travel(at, tick=False):
        response = api(merchant).post(f"/api/v1/orders/{order.order_no}/ship/", {"carrier": "SF", "tracking_no": "1"})
    assert response.status_code == 200, response.json()


def _track(api, storefront, order, *, now, event_at, description="运输中"):
    with time_machine.travel(now, tick=False):
        return api(storefront).post(
            f"/api/v1/intake/orders/{order.order_no}/tracking/",
            {"event_at": event_at.isoformat(), "description": description},
            format="json",
        )


@pytest.mark.parametrize(
    ("ahead", "accepted"),
    [(SKEW - SECOND, True), (SKEW, True), (SKEW + SECOND, False)],
    ids=["skew-1s", "skew", "skew+1s"],
)
def test_o4_tracking_event_dated_in_the_future_is_refused(api, storefront, merchant, shop_a, ahead, accepted):
    """An event more than the clock skew (5 min) ahead of now is a 400
    ``tracking_in_future`` and changes nothing; at the skew or less it counts."""
    order = order_placed(shop=shop_a, now=T0)
    _ship(api, merchant, order, T0)
    now = T0 + timedelta(hours=1)
    response = _track(api, storefront, order, now=now, event_at=now + ahead)
    if accepted:
        assert response.status_code == 200, response.json()
        assert fresh(order).last_tracking_at == now + ahead
    else:
        assert response.status_code == 400
        assert response.json()["code"] == "tracking_in_future"
        assert fresh(order).last_tracking_at == T0
        assert not order.events.filter(kind="tracking_update").exists()


def test_o4_future_event_refused_so_the_order_is_still_flagged(api, storefront, merchant, shop_a):
    """The bug: an event dated a year ahead held the 72 h clock open, so the
    order was never flagged. Refused, the job flags the order at 72 h + 1 s."""
    order = order_placed(shop=shop_a, now=T0)
    _ship(api, merchant, order, T0)
    refused = _track(api, storefront, order, now=T0 + timedelta(hours=1), event_at=T0 + timedelta(days=365))
    assert refused.status_code == 400
    with time_machine.travel(T0 + timedelta(hours=72), tick=False):
        assert flag_logistics_abnormal()["flagged"] == 0
    with time_machine.travel(T0 + timedelta(hours=72) + SECOND, tick=False):
        assert flag_logistics_abnormal()["flagged"] == 1
    assert fresh(order).logistics_abnormal


def _flagged(api, storefront, merchant, shop_a):
    """An order shipped at T0 with a carrier event at T0 + 10 h, flagged by
    the job at T0 + 82 h + 1 s (one notification)."""
    order = order_placed(shop=shop_a, now=T0)
    _ship(api, merchant, order, T0)
    last = T0 + timedelta(hours=10)
    assert _track(api, storefront, order, now=last, event_at=last).status_code == 200
    with time_machine.travel(last + timedelta(hours=72) + SECOND, tick=False):
        assert flag_logistics_abnormal()["flagged"] == 1
    assert Notification.objects.filter(shop=shop_a, kind="logistics_abnormal").count() == 1
    return order, last


@pytest.mark.parametrize("older", [timedelta(0), SECOND, timedelta(hours=5)], ids=["same-instant", "1s", "5h"])
def test_o4_out_of_order_event_keeps_the_flag_and_notifies_once(api, storefront, merchant, shop_a, older):
    """An event not newer than the last one seen (the same instant or older)
    neither clears the flag nor moves the clock; the next job runs do not
    flag again, so the shop is notified exactly once."""
    order, last = _flagged(api, storefront, merchant, shop_a)
    now = last + timedelta(hours=80)
    response = _track(api, storefront, order, now=now, event_at=last - older, description="迟到的旧事件")
    assert response.status_code == 200, response.json()
    after = fresh(order)
    assert after.logistics_abnormal and after.last_tracking_at == last
    event = order.events.filter(kind="tracking_update").latest("id")
    assert event.data["out_of_order"] is True and event.data["cleared_abnormal"] is False
    for hours in (1, 24):
        with time_machine.travel(now + timedelta(hours=hours), tick=False):
            assert flag_logistics_abnormal()["flagged"] == 0
    assert Notification.objects.filter(shop=shop_a, kind="logistics_abnormal").count() == 1
    listed = api(merchant).get("/api/v1/orders/?logistics_abnormal=true").json()["results"]
    assert [row["order_no"] for row in listed] == [order.order_no]


def test_o4_newer_event_one_second_after_the_last_clears_the_flag(api, storefront, merchant, shop_a):
    """The edge of out-of-order: 1 s after the last event seen is newer and,
    being fresh, clears the flag and moves the clock."""
    order, last = _flagged(api, storefront, merchant, shop_a)
    now = last + timedelta(hours=73)
    response = _track(api, storefront, order, now=now, event_at=now - timedelta(minutes=1))
    assert response.status_code == 200
    after = fresh(order)
    assert not after.logistics_abnormal and after.last_tracking_at == now - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("age", "clears"),
    [(timedelta(hours=72) - SECOND, True), (timedelta(hours=72), True), (timedelta(hours=72) + SECOND, False)],
    ids=["72h-1s", "72h", "72h+1s"],
)
def test_o4_newer_but_stale_event_does_not_clear_so_no_second_notification(
    api, storefront, merchant, shop_a, age, clears
):
    """A newer event that is itself older than 72 h would be flagged again by
    the next run (a second notification): it moves the clock but leaves the
    flag; one 72 h old or younger (not abnormal by the job's own measure)
    clears it, and the job run at that instant does not flag it again."""
    order, last = _flagged(api, storefront, merchant, shop_a)
    now = last + timedelta(hours=100)
    response = _track(api, storefront, order, now=now, event_at=now - age)
    assert response.status_code == 200
    after = fresh(order)
    assert after.last_tracking_at == now - age
    assert after.logistics_abnormal is not clears
    with time_machine.travel(now, tick=False):
        assert flag_logistics_abnormal()["flagged"] == 0
    assert fresh(order).logistics_abnormal is not clears
    assert Notification.objects.filter(shop=shop_a, kind="logistics_abnormal").count() == 1
