"""Issue 14 point 5: ``Idempotency-Key`` on every state change the README
lists, including the carrier's tracking update and ticket opening: the same
key twice acts once and answers the same."""

from __future__ import annotations

import pytest
from django.utils import timezone

from orders.models import OrderEvent
from orders.services import order_ship
from tests.factories import order_placed
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_intake_tracking_same_key_twice_records_one_update(api, storefront, merchant, shop_a):
    """Two tracking updates with one Idempotency-Key: one event, the same answer,
    the second marked ``Idempotent-Replayed``."""
    order = order_placed(shop=shop_a)
    order_ship(order=order, carrier="SF", tracking_no="SF1", by=merchant, now=timezone.now())
    url = f"/api/v1/intake/orders/{order.order_no}/tracking/"
    body = {"event_at": timezone.now().isoformat(), "description": "arrived at hub"}
    first = api(storefront).post(url, body, HTTP_IDEMPOTENCY_KEY="trk-1")
    second = api(storefront).post(url, body, HTTP_IDEMPOTENCY_KEY="trk-1")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert OrderEvent.objects.filter(order=order, kind="tracking_update").count() == 1


def test_ticket_open_same_key_twice_opens_one_ticket(api, support, shop_a):
    """Support opening a ticket twice with one key: one ticket, the same 201 body."""
    order = order_placed(shop=shop_a)
    body = {"order_no": order.order_no, "service_type": "logistics_query", "description": "买家询问物流"}
    first = api(support).post("/api/v1/tickets/", body, HTTP_IDEMPOTENCY_KEY="open-1")
    second = api(support).post("/api/v1/tickets/", body, HTTP_IDEMPOTENCY_KEY="open-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Ticket.objects.filter(order=order).count() == 1
