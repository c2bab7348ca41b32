"""W1 and the order timeline (issue 13, ``SCOPE=events``): the exact push
payload of a timeline entry, single and from a set-based job (the order as
the merchant API lists it *at the event's time*, plus ``event`` with kind,
note and data), how many events a batch writes, and what a timeline entry
records about who acted."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from orders.models import Actor, Order, OrderEvent
from orders.serializers import OrderListSerializer
from orders.services import order_pay, order_ship
from orders.services.events import actor_role_of, order_event_record, order_events_push_bulk
from orders.webhooks.models import WebhookEvent
from tests.factories import order_placed
from tests.orders.helpers import T0

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


def register(api, user, shop, events):
    resp = api(user).post(
        "/api/v1/webhooks/",
        {"shop": shop.pk, "url": "http://127.0.0.1:9399/hook", "events": list(events)},
        format="json",
    )
    assert resp.status_code == 201, resp.content


def pushed(shop, type):
    return [json.loads(e.body) for e in WebhookEvent.objects.filter(shop=shop, type=type).order_by("sequence")]


def listed_at(order, moment) -> dict:
    fresh = Order.objects.select_related("shop").prefetch_related("items").get(pk=order.pk)
    return json.loads(json.dumps(dict(OrderListSerializer(fresh, context={"now": moment}).data), default=str))


def test_w1_single_push_is_the_listed_order_at_the_events_time_plus_the_event(api, merchant, shop_a):
    register(api, merchant, shop_a, ["order.shipped"])
    order = order_placed(shop=shop_a, now=T0, paid_at=T0)
    shipped_at = T0 + timedelta(hours=5)
    order_ship(order=order, carrier="SF", tracking_no="SF100", by=merchant, now=shipped_at)
    [body] = pushed(shop_a, "order.shipped")
    event = OrderEvent.objects.get(order=order, kind="shipped")
    expected = {**listed_at(order, shipped_at), "event": {"kind": "shipped", "note": event.note, "data": event.data}}
    assert body["data"] == json.loads(json.dumps(expected, default=str))
    assert body["data"]["event"]["kind"] == "shipped"


def test_w1_paid_push_counts_the_time_left_from_the_payment_not_from_the_send(api, merchant, shop_a):
    register(api, merchant, shop_a, ["order.paid"])
    order = order_placed(shop=shop_a, now=T0, paid=False)
    paid_at = T0 + timedelta(minutes=10)
    order_pay(order=order, paid_at=paid_at, now=paid_at)
    [body] = pushed(shop_a, "order.paid")
    assert body["data"]["remaining_ship_seconds"] == 48 * 3600  # at the event's time (the test runs days later)
    assert body["data"]["event"]["kind"] == "paid" and body["data"]["status"] == "awaiting_shipment"


def test_w1_bulk_push_lists_orders_at_the_jobs_time_and_counts_every_event(api, merchant, shop_a, shop_b):
    register(api, merchant, shop_a, ["order.cancelled", "cancellation.decided"])
    listening = order_placed(shop=shop_a, now=T0, paid_at=T0)
    silent = order_placed(shop=shop_b, now=T0, paid_at=T0)
    now = T0 + timedelta(hours=7)  # 41 h left to ship
    rows = [
        (listening.pk, "cancelled", listening.pk, "买家取消", {"by": "job"}),
        (silent.pk, "cancelled", silent.pk, "", {}),  # shop_b has no endpoint: nothing written
        (listening.pk, "placed", listening.pk, "", {}),  # not a pushed kind
    ]
    assert order_events_push_bulk(rows=rows, now=now) == 2  # one row, two pushed types
    for type in ("order.cancelled", "cancellation.decided"):
        [body] = pushed(shop_a, type)
        assert body["data"] == {
            **listed_at(listening, now),
            "event": {"kind": "cancelled", "note": "买家取消", "data": {"by": "job"}},
        }
        assert body["data"]["remaining_ship_seconds"] == 41 * 3600
    assert not WebhookEvent.objects.filter(shop=shop_b).exists()


def test_w1_bulk_push_writes_nothing_without_a_listener(shop_a):
    order = order_placed(shop=shop_a, now=T0, paid_at=T0)
    assert order_events_push_bulk(rows=[(order.pk, "cancelled", order.pk, "", {})], now=T0) == 0
    assert not WebhookEvent.objects.exists()


def test_timeline_actor_roles(merchant, reviewer, support):
    assert actor_role_of(None) == Actor.SYSTEM
    assert actor_role_of(AnonymousUser()) == Actor.SYSTEM
    assert actor_role_of(merchant) == Actor.MERCHANT
    assert actor_role_of(reviewer) == Actor.REVIEWER
    assert actor_role_of(support) == Actor.SUPPORT


def test_timeline_entry_records_the_actor_and_moves_the_orders_change_time(merchant, shop_a):
    order = order_placed(shop=shop_a, now=T0, paid_at=T0)
    before = Order.objects.get(pk=order.pk).updated_at
    event = order_event_record(order=order, kind="note", by=merchant, now=T0 + timedelta(hours=1), note="备注")
    row = OrderEvent.objects.get(pk=event.pk)
    assert (row.actor_id, row.actor_role, row.from_status, row.to_status, row.note, row.data) == (
        merchant.pk,
        Actor.MERCHANT,
        "",
        "",
        "备注",
        {},
    )
    assert Order.objects.get(pk=order.pk).updated_at > before
    anonymous = order_event_record(order=order, kind="note", by=AnonymousUser(), now=T0)
    assert (anonymous.actor_id, anonymous.actor_role) == (None, Actor.SYSTEM)


def test_timeline_entry_defaults_no_note_no_data(shop_a):
    order = order_placed(shop=shop_a, now=T0, paid_at=T0)
    row = OrderEvent.objects.get(pk=order_event_record(order=order, kind="note", now=T0).pk)
    assert (row.note, row.data, row.from_status, row.to_status, row.created_at) == ("", {}, "", "", T0)


def test_w1_a_refund_that_closes_the_order_also_pushes_order_closed(api, merchant, shop_a):
    """``refund_issued`` is pushed as ``order.closed`` only when it closes the
    order; another entry moving to closed is not (its own kind says what it is)."""
    register(api, merchant, shop_a, ["order.closed"])
    order = order_placed(shop=shop_a, now=T0, paid_at=T0)
    closed = Order.Status.CLOSED
    order_event_record(order=order, kind="refund_issued", now=T0, to_status=Order.Status.AWAITING_SHIPMENT)
    order_event_record(order=order, kind="note", now=T0, to_status=closed)
    assert pushed(shop_a, "order.closed") == []
    order_event_record(order=order, kind="refund_issued", now=T0, from_status="awaiting_shipment", to_status=closed)
    [body] = pushed(shop_a, "order.closed")
    assert body["data"]["event"]["kind"] == "refund_issued" and body["data"]["order_no"] == order.order_no


def test_w1_bulk_push_skips_a_shop_not_listening_and_goes_on(api, merchant, merchant2, shop_a, shop_c):
    """A row of a shop that listens to another type is skipped; the rows after
    it are still pushed."""
    register(api, merchant, shop_a, ["order.closed"])
    register(api, merchant2, shop_c, ["order.completed"])
    other = order_placed(shop=shop_c, now=T0, paid_at=T0)
    mine = order_placed(shop=shop_a, now=T0, paid_at=T0)
    rows = [(other.pk, "auto_closed", other.pk, "", {}), (mine.pk, "auto_closed", mine.pk, "", {})]
    assert order_events_push_bulk(rows=rows, now=T0) == 1
    assert [b["data"]["order_no"] for b in pushed(shop_a, "order.closed")] == [mine.order_no]
    assert not WebhookEvent.objects.filter(shop=shop_c).exists()
