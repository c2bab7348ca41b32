"""O3, O4 (issue 13, ``SCOPE=shipping``): exact fields, refusals, boundaries,
events and notification texts of ``orders.services.shipping``."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from orders.errors import OrderError
from orders.models import Notification, Order, OrderEvent
from orders.services import (
    cancellation_request,
    order_complete,
    order_delivered,
    order_ship,
    order_tracking_correct,
    order_tracking_update,
    orders_flag_logistics_abnormal,
    orders_ship_bulk,
)
from orders.webhooks.models import WebhookEvent
from tests.factories import order_placed
from tests.orders.helpers import T0, fresh

pytestmark = pytest.mark.django_db


def _error(call) -> OrderError:
    with pytest.raises(OrderError) as info:
        call()
    return info.value


def _shipped(shop, at=T0, **kwargs):
    order = order_placed(shop=shop, now=at - timedelta(hours=1), **kwargs)
    return order_ship(order=order, carrier="SF", tracking_no="SF1", by=None, now=at)


@pytest.mark.parametrize(
    ("carrier", "tracking_no", "code", "detail"),
    [
        ("", "1", "carrier_required", "A carrier is required."),
        ("  ", "1", "carrier_required", "A carrier is required."),
        (None, "1", "carrier_required", "A carrier is required."),
        ("SF", "", "tracking_no_required", "A tracking number is required."),
        ("SF", " \t", "tracking_no_required", "A tracking number is required."),
        ("SF", None, "tracking_no_required", "A tracking number is required."),
    ],
)
def test_o3_ship_needs_a_carrier_and_a_tracking_number(shop_a, carrier, tracking_no, code, detail):
    order = order_placed(shop=shop_a, now=T0)
    err = _error(lambda: order_ship(order=order, carrier=carrier, tracking_no=tracking_no, by=None, now=T0))
    assert (err.code, err.status, err.detail) == (code, 400, detail)
    err = _error(lambda: order_tracking_correct(order=order, carrier=carrier, tracking_no=tracking_no, by=None, now=T0))
    assert err.code == code
    out = orders_ship_bulk(shipments=[(order.pk, carrier, tracking_no)], by=None, now=T0)
    assert out[order.pk].code == code
    assert fresh(order).status == "awaiting_shipment"


def test_o3_ship_records_the_stripped_values_the_times_and_the_event(shop_a, merchant):
    order = order_placed(shop=shop_a, now=T0)
    at = T0 + timedelta(hours=2)
    order_ship(order=order, carrier="  SF Express ", tracking_no=" SF123 ", by=merchant, now=at)
    o = fresh(order)
    assert (o.status, o.carrier, o.tracking_no, o.shipped_at, o.last_tracking_at) == (
        "shipped",
        "SF Express",
        "SF123",
        at,
        at,
    )
    event = OrderEvent.objects.get(order=order, kind="shipped")
    assert (event.from_status, event.to_status, event.actor_id, event.actor_role, event.created_at) == (
        "awaiting_shipment",
        "shipped",
        merchant.pk,
        "merchant",
        at,
    )
    assert event.data == {"carrier": "SF Express", "tracking_no": "SF123"}


def test_o3_ship_refusals_single_and_bulk(shop_a, merchant):
    """Not paid, already shipped, cancellation pending, unknown order: the same
    code from ``order_ship`` and ``orders_ship_bulk``; the accepted rows ship."""
    unpaid = order_placed(shop=shop_a, now=T0, paid=False)
    shipped = _shipped(shop_a)
    held = order_placed(shop=shop_a, now=T0)
    cancellation_request(order=held, reason="out_of_stock", by=merchant, now=T0)
    for order, code in [(unpaid, "not_paid"), (shipped, "already_shipped"), (held, "cancellation_pending")]:
        err = _error(lambda o=order: order_ship(order=o, carrier="SF", tracking_no="X", by=None, now=T0))
        assert err.code == code
    err = _error(lambda: order_ship(order=held, carrier="SF", tracking_no="X", by=None, now=T0))
    assert (err.status, err.detail) == (409, "A cancellation request for this order waits for review.")
    ok = order_placed(shop=shop_a, now=T0)
    out = orders_ship_bulk(
        shipments=[
            (unpaid.pk, "SF", "1"),
            (shipped.pk, "SF", "2"),
            (held.pk, "SF", "3"),
            (999999, "SF", "4"),
            (ok.pk, " YTO ", " Y1 "),
            (ok.pk, "ZTO", "Z9"),  # the same order again: decided by its first row
        ],
        by=merchant,
        now=T0,
    )
    codes = {pk: (e.code if e else None) for pk, e in out.items()}
    assert codes == {
        unpaid.pk: "not_paid",
        shipped.pk: "already_shipped",
        held.pk: "cancellation_pending",
        999999: "not_found",
        ok.pk: None,
    }
    assert (out[999999].status, out[999999].detail) == (404, "No such order.")
    assert out[held.pk].detail == "A cancellation request for this order waits for review."
    o = fresh(ok)
    assert (o.status, o.carrier, o.tracking_no, o.shipped_at, o.last_tracking_at) == ("shipped", "YTO", "Y1", T0, T0)
    assert fresh(shipped).tracking_no == "SF1" and fresh(unpaid).status == "pending_payment"


def test_o3_bulk_ship_writes_each_order_its_own_tracking_and_event(shop_a, merchant, api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    resp = api(merchant).post(
        "/api/v1/webhooks/",
        {"shop": shop_a.pk, "url": "http://127.0.0.1:9399/hook", "events": ["order.shipped"]},
        format="json",
    )
    assert resp.status_code == 201, resp.content
    a, b = order_placed(shop=shop_a, now=T0), order_placed(shop=shop_a, now=T0)
    at = T0 + timedelta(hours=1)
    out = orders_ship_bulk(shipments=[(b.pk, "ZTO", "Z-b"), (a.pk, "SF", "S-a")], by=merchant, now=at)
    assert out == {b.pk: None, a.pk: None}
    assert (fresh(a).carrier, fresh(a).tracking_no, fresh(b).carrier, fresh(b).tracking_no) == (
        "SF",
        "S-a",
        "ZTO",
        "Z-b",
    )
    for order, carrier, no in [(a, "SF", "S-a"), (b, "ZTO", "Z-b")]:
        event = OrderEvent.objects.get(order=order, kind="shipped")
        assert (event.from_status, event.to_status, event.actor_id, event.actor_role, event.created_at) == (
            "awaiting_shipment",
            "shipped",
            merchant.pk,
            "merchant",
            at,
        )
        assert event.data == {"carrier": carrier, "tracking_no": no}
    pushed = [json.loads(e.body) for e in WebhookEvent.objects.filter(shop=shop_a, type="order.shipped")]
    assert sorted(p["data"]["order_no"] for p in pushed) == sorted([a.order_no, b.order_no])
    assert {p["data"]["event"]["kind"] for p in pushed} == {"shipped"}
    assert {p["data"]["event"]["data"]["tracking_no"] for p in pushed} == {"S-a", "Z-b"}


def test_o3_bulk_ship_by_the_system_has_no_actor(shop_a):
    order = order_placed(shop=shop_a, now=T0)
    assert orders_ship_bulk(shipments=[(order.pk, "SF", "1")], by=None, now=T0) == {order.pk: None}
    event = OrderEvent.objects.get(order=order, kind="shipped")
    assert (event.actor_id, event.actor_role) == (None, "system")
    assert orders_ship_bulk(shipments=[], by=None, now=T0) == {}


def test_o3_tracking_correction_is_logged_before_and_after(shop_a, merchant):
    order = _shipped(shop_a)
    at = T0 + timedelta(hours=1)
    order_tracking_correct(order=order, carrier=" YTO ", tracking_no=" Y2 ", by=merchant, now=at, note="typo")
    o = fresh(order)
    assert (o.carrier, o.tracking_no, o.status, o.shipped_at) == ("YTO", "Y2", "shipped", T0)
    event = OrderEvent.objects.get(order=order, kind="tracking_corrected")
    assert event.data == {
        "before": {"carrier": "SF", "tracking_no": "SF1"},
        "after": {"carrier": "YTO", "tracking_no": "Y2"},
    }
    assert (event.note, event.actor_id, event.created_at) == ("typo", merchant.pk, at)
    unshipped = order_placed(shop=shop_a, now=T0)
    err = _error(lambda: order_tracking_correct(order=unshipped, carrier="SF", tracking_no="1", by=None, now=at))
    assert (err.code, err.status, err.detail) == (
        "not_shipped",
        409,
        "Only a shipped order's tracking number can be corrected.",
    )


def test_o4_tracking_event_at_the_clock_skew_edge(shop_a):
    """Dated exactly 5 minutes ahead: accepted; one second more: refused (400)."""
    order = _shipped(shop_a)
    now = T0 + timedelta(hours=1)
    err = _error(
        lambda: order_tracking_update(
            order=order, event_at=now + timedelta(minutes=5, seconds=1), description="x", now=now
        )
    )
    assert (err.code, err.status, err.detail) == (
        "tracking_in_future",
        400,
        "The tracking event is dated in the future.",
    )
    order_tracking_update(order=order, event_at=now + timedelta(minutes=5), description="ahead", now=now)
    assert fresh(order).last_tracking_at == now + timedelta(minutes=5)


def test_o4_tracking_update_needs_a_shipped_or_completed_order(shop_a):
    order = order_placed(shop=shop_a, now=T0)
    err = _error(lambda: order_tracking_update(order=order, event_at=T0, description="x", now=T0))
    assert (err.code, err.status, err.detail) == ("not_shipped", 409, "The order is not shipped.")
    done = order_complete(order=_shipped(shop_a), now=T0 + timedelta(days=1))
    order_tracking_update(order=done, event_at=T0 + timedelta(days=2), description="late", now=T0 + timedelta(days=2))
    assert fresh(done).last_tracking_at == T0 + timedelta(days=2)


def test_o4_tracking_update_moves_the_clock_and_records_the_event(shop_a, storefront):
    order = _shipped(shop_a)
    now = T0 + timedelta(hours=5)
    order_tracking_update(order=order, event_at=T0 + timedelta(hours=4), description="到达上海", by=storefront, now=now)
    o = fresh(order)
    assert (o.last_tracking_at, o.logistics_abnormal) == (T0 + timedelta(hours=4), False)
    event = OrderEvent.objects.get(order=order, kind="tracking_update")
    assert (event.note, event.actor_id, event.actor_role, event.created_at) == (
        "到达上海",
        storefront.pk,
        "intake",
        now,
    )
    assert event.data == {
        "event_at": (T0 + timedelta(hours=4)).isoformat(),
        "cleared_abnormal": False,
        "out_of_order": False,
    }
    # an event at the same instant as the last one is not newer: out of order, clock unchanged
    order_tracking_update(order=order, event_at=T0 + timedelta(hours=4), description="dup", now=now)
    dup = OrderEvent.objects.get(order=order, kind="tracking_update", note="dup")
    assert dup.data["out_of_order"] is True and fresh(order).last_tracking_at == T0 + timedelta(hours=4)


def test_o4_a_fresh_newer_event_clears_the_flag_at_the_exact_window_edge(shop_a):
    """Flagged: an event exactly 72 h old (and newer than the last) clears;
    one a second older does not."""
    order = _shipped(shop_a)
    Order.objects.filter(pk=order.pk).update(logistics_abnormal=True)
    now = T0 + timedelta(hours=100)
    order_tracking_update(order=order, event_at=now - timedelta(hours=72, seconds=1), description="old", now=now)
    o = fresh(order)
    assert (o.logistics_abnormal, o.last_tracking_at) == (True, now - timedelta(hours=72, seconds=1))
    assert OrderEvent.objects.get(order=order, note="old").data["cleared_abnormal"] is False
    order_tracking_update(order=order, event_at=now - timedelta(hours=72), description="edge", now=now)
    assert fresh(order).logistics_abnormal is False
    event = OrderEvent.objects.get(order=order, note="edge")
    assert (event.data["cleared_abnormal"], event.data["out_of_order"]) == (True, False)


def test_o4_an_older_event_does_not_clear_the_flag(shop_a):
    order = _shipped(shop_a)
    Order.objects.filter(pk=order.pk).update(logistics_abnormal=True, last_tracking_at=T0 + timedelta(hours=2))
    now = T0 + timedelta(hours=3)
    order_tracking_update(order=order, event_at=T0 + timedelta(hours=1), description="older", now=now)
    o = fresh(order)
    assert (o.logistics_abnormal, o.last_tracking_at) == (True, T0 + timedelta(hours=2))
    assert OrderEvent.objects.get(order=order, note="older").data == {
        "event_at": (T0 + timedelta(hours=1)).isoformat(),
        "cleared_abnormal": False,
        "out_of_order": True,
    }


def test_o4_first_event_on_an_order_without_a_tracking_time(shop_a):
    order = _shipped(shop_a)
    Order.objects.filter(pk=order.pk).update(last_tracking_at=None, logistics_abnormal=True)
    now = T0 + timedelta(hours=1)
    order_tracking_update(order=order, event_at=T0, description="first", now=now)
    o = fresh(order)
    assert (o.last_tracking_at, o.logistics_abnormal) == (T0, False)


def test_o1_complete_a_shipped_order(shop_a, merchant):
    order = _shipped(shop_a)
    at = T0 + timedelta(days=3)
    order_complete(order=order, by=merchant, now=at)
    o = fresh(order)
    assert (o.status, o.completed_at) == ("completed", at)
    event = OrderEvent.objects.get(order=order, kind="completed")
    assert (event.from_status, event.to_status, event.actor_id, event.created_at) == (
        "shipped",
        "completed",
        merchant.pk,
        at,
    )
    err = _error(lambda: order_complete(order=order, now=at))
    assert (err.code, err.status, err.detail) == ("not_shipped", 409, "Only a shipped order can be completed.")


def test_o4_flag_job_at_the_exact_72_hour_edge_with_exact_texts(shop_a, shop_b):
    """Last update exactly 72 h ago: not flagged; a second more: flagged, with
    the system event and one notification per shop counting its orders.
    Never tracked since shipping: counted from ``shipped_at``. Delivered and
    already flagged orders are left alone; a rerun flags nothing."""
    now = T0 + timedelta(days=10)
    edge = _shipped(shop_a)
    Order.objects.filter(pk=edge.pk).update(last_tracking_at=now - timedelta(hours=72))
    stale = [_shipped(shop_a) for _ in range(2)]
    Order.objects.filter(pk__in=[o.pk for o in stale]).update(last_tracking_at=now - timedelta(hours=72, seconds=1))
    never = _shipped(shop_b, at=now - timedelta(hours=72, seconds=1))
    Order.objects.filter(pk=never.pk).update(last_tracking_at=None)
    never_edge = _shipped(shop_b, at=now - timedelta(hours=72))
    Order.objects.filter(pk=never_edge.pk).update(last_tracking_at=None)
    delivered = _shipped(shop_a)
    order_delivered(order=delivered, delivered_at=T0 + timedelta(hours=1), now=T0 + timedelta(hours=1))
    Order.objects.filter(pk=delivered.pk).update(last_tracking_at=T0)
    summary = orders_flag_logistics_abnormal(now=now, chunk=2)
    assert summary == {"flagged": 3, "shops": 2}
    flagged = set(Order.objects.filter(logistics_abnormal=True).values_list("pk", flat=True))
    assert flagged == {stale[0].pk, stale[1].pk, never.pk}
    for order in (*stale, never):
        assert fresh(order).updated_at == now
        event = OrderEvent.objects.get(order=order, kind="logistics_abnormal")
        assert (event.note, event.actor_role, event.actor_id, event.created_at, event.data) == (
            "No tracking update for 72 hours (O4).",
            "system",
            None,
            now,
            {},
        )
        assert (event.from_status, event.to_status) == ("", "")
    notes = {n.shop_id: n for n in Notification.objects.filter(kind="logistics_abnormal")}
    assert set(notes) == {shop_a.pk, shop_b.pk}
    a = notes[shop_a.pk]
    assert a.title == "2 shipped orders have had no tracking update for 72 hours"
    assert a.body == "Filter your orders by logistics abnormal and chase the carrier."
    assert (a.data, a.created_at) == ({"count": 2}, now)
    assert a.dedupe_key == f"logistics_abnormal:{shop_a.pk}:{now.strftime('%Y%m%d%H%M%S')}"
    assert notes[shop_b.pk].data == {"count": 1}
    assert orders_flag_logistics_abnormal(now=now) == {"flagged": 0, "shops": 0}
    assert Notification.objects.filter(kind="logistics_abnormal").count() == 2


def test_o4_flag_job_in_exact_chunks(shop_a):
    """Five stale orders in chunks of two: all five flagged, one notification of 5."""
    now = T0 + timedelta(days=10)
    orders = [_shipped(shop_a) for _ in range(5)]
    assert orders_flag_logistics_abnormal(now=now, chunk=2) == {"flagged": 5, "shops": 1}
    assert Order.objects.filter(pk__in=[o.pk for o in orders], logistics_abnormal=True).count() == 5
    assert Notification.objects.get(kind="logistics_abnormal").data == {"count": 5}
