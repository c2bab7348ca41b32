"""T4: service tickets export through the same framework (API and admin)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orders.exports.models import Export
from tests.conftest import phone_verified
from tests.factories import order_placed

from .conftest import T0, read_file


@pytest.fixture
def tickets_world(merchant, merchant2, support, shop_a, shop_c):
    from tickets.models import ServiceType
    from tickets.services import ticket_open, ticket_reply

    kind = ServiceType.objects.order_by("id").first() or ServiceType.objects.create(code="query", name="Query")
    order_a = order_placed(shop=shop_a, placed_at=T0, now=T0)
    order_c = order_placed(shop=shop_c, placed_at=T0, now=T0)
    t_a = ticket_open(order=order_a, service_type=kind, description="where is it", by=support, now=T0)
    ticket_reply(ticket=t_a, message="已发货, 单号 SF1", by=merchant, now=T0 + timedelta(minutes=5))
    t_c = ticket_open(order=order_c, service_type=kind, description="where is it", by=support, now=T0)
    return {"a": t_a, "c": t_c, "kind": kind}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_t4_merchant_exports_its_tickets(api, merchant, tickets_world, django_capture_on_commit_callbacks, fmt):
    """T4 + X1–X3: a merchant exports its shops' tickets (never another shop's),
    with ticket and order numbers, type, status, deadline, outcome and last reply."""
    client = phone_verified(api(merchant), merchant)  # K1: downloads need a verified login
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/exports/", {"kind": "tickets", "format": fmt}, format="json")
    assert response.status_code == 202, response.json()
    export = Export.objects.get()
    assert export.status == "done" and export.rows_written == 1
    rows = read_file(client.get(f"/api/v1/exports/{export.pk}/download/"), fmt)
    assert rows[0][:5] == ["Ticket number", "Order number", "Shop", "Service type", "Status"]
    row = dict(zip(rows[0], rows[1], strict=True))
    ticket = tickets_world["a"]
    assert row["Ticket number"] == ticket.ticket_no and row["Order number"] == ticket.order.order_no
    assert row["Service type"] == tickets_world["kind"].name and row["Last reply"] == "已发货, 单号 SF1"
    assert row["Handle by"]


@pytest.mark.django_db
def test_t4_ticket_filters_validated(api, merchant, tickets_world):
    """T4: bad ticket filters → 400, no job; the minute is not used."""
    client = api(merchant)
    for filters in ({"status": "lost"}, {"created_after": "yesterday"}, {"shop": 999999}):
        body = {"kind": "tickets", "format": "csv", "filters": filters}
        response = client.post("/api/v1/exports/", body, format="json")
        assert response.status_code == 400, filters
    assert not Export.objects.exists()
    response = client.post(
        "/api/v1/exports/",
        {"kind": "tickets", "format": "csv", "filters": {"ticket_no": tickets_world["a"].ticket_no}},
        format="json",
    )
    assert response.status_code == 202 and response.json()["row_count"] == 1


@pytest.mark.django_db
def test_t4_x2_tickets_and_orders_share_the_minute(api, merchant, tickets_world):
    """X2: one export per minute per user, whatever the kind."""
    client = api(merchant)
    assert client.post("/api/v1/exports/", {"kind": "tickets", "format": "csv"}, format="json").status_code == 202
    assert client.post("/api/v1/exports/", {"kind": "orders", "format": "csv"}, format="json").status_code == 429
