"""T4: merchants find tickets by order number, ticket number, type, created time, status."""

from datetime import timedelta

import pytest

from tests.factories import order_placed
from tickets.models import ServiceType
from tickets.services import ticket_open, ticket_reply

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(support, merchant, merchant2, shop_a, shop_b, shop_c):
    types = {t.code: t for t in ServiceType.objects.all()}
    order1 = order_placed(shop=shop_a, now=T0 - timedelta(days=3))
    order2 = order_placed(shop=shop_b, now=T0 - timedelta(days=3))
    order3 = order_placed(shop=shop_c, now=T0 - timedelta(days=3))
    t1 = ticket_open(order=order1, service_type=types["urge_shipment"], description="1", by=support, now=T0)
    t2 = ticket_open(
        order=order1, service_type=types["logistics_query"], description="2", by=support, now=T0 + timedelta(days=1)
    )
    t3 = ticket_open(
        order=order2, service_type=types["urge_shipment"], description="3", by=support, now=T0 + timedelta(days=2)
    )
    ticket_reply(ticket=t3, message="ok", by=merchant, now=T0 + timedelta(days=2, hours=1))
    t4 = ticket_open(order=order3, service_type=types["urge_shipment"], description="4", by=support, now=T0)
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "order1": order1, "shop_b": shop_b}


def _nos(api, user, query=""):
    r = api(user).get(f"/api/v1/tickets/{query}")
    assert r.status_code == 200, r.content
    return [t["ticket_no"] for t in r.json()["results"]]


def test_t4_list_filters_and_newest_first(api, merchant, world):
    """Every filter of API.md narrows the merchant's list; newest first; other shops never appear."""
    t1, t2, t3 = world["t1"].ticket_no, world["t2"].ticket_no, world["t3"].ticket_no
    assert _nos(api, merchant) == [t3, t2, t1]
    assert _nos(api, merchant, f"?order_no={world['order1'].order_no}") == [t2, t1]
    assert _nos(api, merchant, f"?ticket_no={t2}") == [t2]
    assert _nos(api, merchant, "?service_type=urge_shipment") == [t3, t1]
    assert _nos(api, merchant, "?status=in_review") == [t3]
    assert _nos(api, merchant, "?status=pending") == [t2, t1]
    assert _nos(api, merchant, f"?shop={world['shop_b'].pk}") == [t3]
    after = (T0 + timedelta(hours=12)).isoformat().replace("+", "%2B")
    before = (T0 + timedelta(days=1, hours=12)).isoformat().replace("+", "%2B")
    assert _nos(api, merchant, f"?created_after={after}&created_before={before}") == [t2]
    assert _nos(api, merchant, f"?ticket_no={world['t4'].ticket_no}") == []


def test_t4_bad_filter_value_is_400(api, merchant, world):
    """An unknown status is a 400 in the error shape, not a 500."""
    r = api(merchant).get("/api/v1/tickets/?status=bogus")
    assert r.status_code == 400 and r.json()["code"] == "invalid" and "status" in r.json()["errors"]
    r = api(merchant).get("/api/v1/tickets/?created_after=yesterday")
    assert r.status_code == 400 and r.json()["code"] == "invalid"


def test_t4_support_lists_every_shops_tickets(api, support, world):
    """Support staff read all tickets through the API (they open them for every shop)."""
    assert len(_nos(api, support)) == 4
    r = api(support).get(f"/api/v1/tickets/{world['t4'].ticket_no}/")
    assert r.status_code == 200 and r.json()["shop"] == world["t4"].shop_id
