"""Rule W3 with O3: an import ships its rows set-based (``orders_ship_bulk``),
and what it leaves is exactly what a single shipment through the API leaves:
the order's fields, the timeline event, the ``order.shipped`` push."""

from __future__ import annotations

import json

import pytest

from orders.models import Order, OrderEvent
from orders.webhooks.models import WebhookEvent
from orders.webhooks.services import webhook_endpoint_create
from tests.factories import order_placed

from .test_w3_shipment_imports import T, csv_file, upload

pytestmark = pytest.mark.django_db


def test_w3_an_imported_row_ships_exactly_like_a_single_shipment(
    api, merchant, shop_a, settings, django_capture_on_commit_callbacks
):
    """Given two orders of the same shop with an endpoint, one shipped by
    ``POST /orders/{no}/ship/`` and one by an import: both orders read the
    same (status, carrier, tracking, times), both timelines get the same
    ``shipped`` event (actor, statuses, data), and both pushes carry the same
    payload keys and the order as the API lists it."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    webhook_endpoint_create(shop=shop_a, url="http://127.0.0.1:9352/", events=["order.shipped"], by=None, now=T)
    single, bulk = order_placed(shop=shop_a, now=T), order_placed(shop=shop_a, now=T)
    client = api(merchant)
    with django_capture_on_commit_callbacks(execute=False):
        resp = client.post(f"/api/v1/orders/{single.order_no}/ship/", {"carrier": "SF", "tracking_no": "SF1"})
    assert resp.status_code == 200, resp.content
    imp = upload(
        client,
        shop_a,
        csv_file([(bulk.order_no, " SF ", "SF2")]),
        dry_run=False,
        capture=django_capture_on_commit_callbacks,
    )
    assert (imp["shipped"], imp["refused"]) == (1, 0)

    a, b = Order.objects.get(pk=single.pk), Order.objects.get(pk=bulk.pk)
    assert (a.status, a.carrier, b.status, b.carrier, b.tracking_no) == ("shipped", "SF", "shipped", "SF", "SF2")
    assert b.shipped_at is not None and b.last_tracking_at == b.shipped_at and b.updated_at >= b.shipped_at

    def event(order):
        e = OrderEvent.objects.get(order=order, kind="shipped")
        return (e.actor_id, e.actor_role, e.from_status, e.to_status, sorted(e.data))

    assert event(a) == event(b)
    assert OrderEvent.objects.get(order=b, kind="shipped").data == {"carrier": "SF", "tracking_no": "SF2"}

    pushes = {
        json.loads(w.body)["data"]["order_no"]: json.loads(w.body)
        for w in WebhookEvent.objects.filter(type="order.shipped")
    }
    pa, pb = pushes[a.order_no], pushes[b.order_no]
    assert sorted(pa) == sorted(pb) and sorted(pa["data"]) == sorted(pb["data"])
    assert pb["data"]["tracking_no"] == "SF2" and pb["data"]["status"] == "shipped"
    assert pb["data"]["event"] == {"kind": "shipped", "note": "", "data": {"carrier": "SF", "tracking_no": "SF2"}}
    assert [pa["sequence"], pb["sequence"]] == [1, 2]
    listed = {o["order_no"]: o for o in client.get("/api/v1/orders/", {"shop": shop_a.pk}).json()["results"]}
    for field in ("status", "carrier", "tracking_no", "shipped_at", "buyer_phone", "items", "total_amount"):
        assert pb["data"][field] == listed[b.order_no][field], field
