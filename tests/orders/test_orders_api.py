"""O1–O5 through the merchant and intake API."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission

from orders.models import Order
from tests.factories import ProductFactory, order_placed
from tests.orders.helpers import T0, events, fresh

pytestmark = pytest.mark.django_db


def test_o1_statuses_through_intake_ship_and_complete(api, storefront, merchant, shop_a):
    """An order pushed without payment is pending_payment; paying makes it
    awaiting_shipment; shipping makes it shipped; every step is an event."""
    # given
    product = ProductFactory(shop=shop_a, price="12.50")
    body = {
        "shop": shop_a.pk,
        "buyer_name": "张三",
        "buyer_phone": "13812345678",
        "address": "上海",
        "items": [{"product": product.pk, "quantity": 2, "unit_price": "12.50"}],
    }
    # when
    created = api(storefront).post("/api/v1/intake/orders/", body, format="json")
    # then
    assert created.status_code == 201, created.json()
    order_no = created.json()["order_no"]
    assert created.json()["status"] == "pending_payment" and created.json()["total_amount"] == "25.00"
    paid = api(storefront).post(f"/api/v1/intake/orders/{order_no}/pay/", {}, format="json")
    assert paid.status_code == 200 and paid.json()["status"] == "awaiting_shipment"
    shipped = api(merchant).post(
        f"/api/v1/orders/{order_no}/ship/", {"carrier": "SF", "tracking_no": "SF123"}, format="json"
    )
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    order = Order.objects.get(order_no=order_no)
    assert events(order) == ["placed", "paid", "shipped"]
    assert [e["kind"] for e in shipped.json()["events"]] == ["placed", "paid", "shipped"]


def test_o2_search_filters(api, merchant, shop_a, shop_b):
    """The list finds orders by exact number, phone, product substring,
    status, shop, placed range and ship deadline within 24 h; newest first."""
    # given
    tea = ProductFactory(shop=shop_a, name="明前龙井 250g")
    old = order_placed(shop=shop_a, product=tea, phone="13900000001", placed_at=T0 - timedelta(days=3))
    new = order_placed(shop=shop_b, phone="13900000002", placed_at=T0)
    unpaid = order_placed(shop=shop_b, paid=False, placed_at=T0 - timedelta(days=1))
    client = api(merchant)

    def nos(query):
        response = client.get(f"/api/v1/orders/{query}")
        assert response.status_code == 200, response.json()
        return [row["order_no"] for row in response.json()["results"]]

    # then
    assert nos("") == [new.order_no, unpaid.order_no, old.order_no]
    assert nos(f"?order_no={old.order_no}") == [old.order_no]
    assert nos("?phone=13900000002") == [new.order_no]
    assert nos("?product=龙井") == [old.order_no]
    assert nos("?status=pending_payment") == [unpaid.order_no]
    assert nos(f"?shop={shop_a.pk}") == [old.order_no]
    after = (T0 - timedelta(days=2)).isoformat().replace("+00:00", "Z")
    assert nos(f"?placed_after={after}") == [new.order_no, unpaid.order_no]
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        assert nos("?ship_due_within_hours=24") == [new.order_no]
        assert nos("?overdue=true") == [old.order_no]


def test_o3_ship_requires_carrier_and_tracking_and_refuses_bad_states(api, merchant, shop_a):
    """Shipping needs carrier + tracking number; a shipped, unpaid, cancelled
    or closed order refuses with a stable code; correcting is separate and logged."""
    # given
    order = order_placed(shop=shop_a)
    unpaid = order_placed(shop=shop_a, paid=False)
    client = api(merchant)
    url = f"/api/v1/orders/{order.order_no}/ship/"
    # when / then
    missing = client.post(url, {"carrier": "SF", "tracking_no": "  "}, format="json")
    assert missing.status_code == 400 and fresh(order).status == "awaiting_shipment"
    assert client.post(url, {"carrier": "SF", "tracking_no": "1"}, format="json").status_code == 200
    again = client.post(url, {"carrier": "SF", "tracking_no": "2"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_shipped"
    assert fresh(order).tracking_no == "1"
    not_paid = client.post(f"/api/v1/orders/{unpaid.order_no}/ship/", {"carrier": "SF", "tracking_no": "2"})
    assert not_paid.status_code == 409 and not_paid.json()["code"] == "not_paid"
    corrected = client.post(
        f"/api/v1/orders/{order.order_no}/correct-tracking/", {"carrier": "YTO", "tracking_no": "9"}, format="json"
    )
    assert corrected.status_code == 200 and fresh(order).tracking_no == "9"
    event = order.events.get(kind="tracking_corrected")
    assert event.data["before"]["tracking_no"] == "1" and event.data["after"]["tracking_no"] == "9"


def test_o3_ship_by_is_paid_plus_48h_or_the_shops_promise(api, storefront, merchant, shop_a):
    """ship_by = paid_at + 48 h; a shop promising 24 h gets paid_at + 24 h."""
    order = order_placed(shop=shop_a, placed_at=T0, now=T0)
    assert fresh(order).ship_by == T0 + timedelta(hours=48)
    shop_a.ship_hours = 24
    shop_a.save()
    other = order_placed(shop=shop_a, placed_at=T0, now=T0)
    assert fresh(other).ship_by == T0 + timedelta(hours=24)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        detail = api(merchant).get(f"/api/v1/orders/{other.order_no}/").json()
    assert detail["remaining_ship_seconds"] == 23 * 3600


def test_o4_logistics_abnormal_after_72h_without_tracking(api, storefront, merchant, shop_a):
    """The beat job flags shipped orders without a tracking update for 72 h,
    once, notifying the shop; a carrier update clears the flag."""
    from orders.models import Notification
    from orders.tasks import flag_logistics_abnormal

    # given
    quiet = order_placed(shop=shop_a, now=T0)
    busy = order_placed(shop=shop_a, now=T0)
    with time_machine.travel(T0, tick=False):
        for o in (quiet, busy):
            api(merchant).post(f"/api/v1/orders/{o.order_no}/ship/", {"carrier": "SF", "tracking_no": "1"})
    with time_machine.travel(T0 + timedelta(hours=48), tick=False):
        api(storefront).post(
            f"/api/v1/intake/orders/{busy.order_no}/tracking/",
            {"event_at": (T0 + timedelta(hours=47)).isoformat(), "description": "到达转运中心"},
            format="json",
        )
    # when
    with time_machine.travel(T0 + timedelta(hours=73), tick=False):
        first = flag_logistics_abnormal()
        second = flag_logistics_abnormal()
    # then
    assert first == {"flagged": 1, "shops": 1} and second["flagged"] == 0
    assert fresh(quiet).logistics_abnormal and not fresh(busy).logistics_abnormal
    assert Notification.objects.filter(shop=shop_a, kind="logistics_abnormal").count() == 1
    assert events(quiet)[-1] == "logistics_abnormal"
    with time_machine.travel(T0 + timedelta(hours=80), tick=False):
        response = api(storefront).post(
            f"/api/v1/intake/orders/{quiet.order_no}/tracking/",
            {"event_at": (T0 + timedelta(hours=79)).isoformat(), "description": "派送中"},
            format="json",
        )
    assert response.status_code == 200 and not fresh(quiet).logistics_abnormal
    listed = api(merchant).get("/api/v1/orders/?logistics_abnormal=true").json()["results"]
    assert listed == []


def test_o5_buyer_phone_masked_unless_permitted(api, merchant, shop_a):
    """The API shows 138****5678 unless the user holds view_buyer_contact."""
    order = order_placed(shop=shop_a, phone="13812345678")
    masked = api(merchant).get(f"/api/v1/orders/{order.order_no}/").json()
    assert masked["buyer_phone"] == "138****5678"
    assert api(merchant).get("/api/v1/orders/").json()["results"][0]["buyer_phone"] == "138****5678"
    merchant.user_permissions.add(Permission.objects.get(codename="view_buyer_contact"))
    merchant = type(merchant).objects.get(pk=merchant.pk)
    assert api(merchant).get(f"/api/v1/orders/{order.order_no}/").json()["buyer_phone"] == "13812345678"
    # searchable by exact number through the keyed hash
    assert len(api(merchant).get("/api/v1/orders/?phone=138-1234-5678").json()["results"]) == 1


def test_stale_ship_after_cancellation_approved_loses_with_409(api, merchant, reviewer, shop_a):
    """A merchant shipping from a stale page after the cancellation was
    approved gets 409 order_cancelled and nothing changes."""
    order = order_placed(shop=shop_a)
    created = api(merchant).post(f"/api/v1/orders/{order.order_no}/cancel/", {"reason": "out_of_stock"})
    assert created.status_code == 201
    assert api(reviewer).post(f"/api/v1/cancellations/{created.json()['id']}/approve/").status_code == 200
    response = api(merchant).post(f"/api/v1/orders/{order.order_no}/ship/", {"carrier": "SF", "tracking_no": "1"})
    assert response.status_code == 409 and response.json()["code"] == "order_cancelled"
    assert fresh(order).status == "cancelled" and fresh(order).tracking_no == ""


def test_products_list_scoped_and_filtered(api, merchant, shop_a, shop_c):
    mine = ProductFactory(shop=shop_a)
    ProductFactory(shop=shop_a, status="banned")
    ProductFactory(shop=shop_c)
    rows = api(merchant).get("/api/v1/products/?status=on_sale").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert set(rows[0]) >= {"id", "shop", "name", "sku", "price", "stock", "status"}


def test_notifications_unread_filter_and_mark_read(api, merchant, shop_a):
    from orders.services import notification_create

    n = notification_create(shop=shop_a, kind="x", title="hello")
    client = api(merchant)
    assert [r["id"] for r in client.get("/api/v1/notifications/?unread=true").json()["results"]] == [n.pk]
    assert client.post(f"/api/v1/notifications/{n.pk}/read/").status_code == 200
    assert client.get("/api/v1/notifications/?unread=true").json()["results"] == []


def test_order_detail_lists_violations(api, merchant, shop_a, django_assert_max_num_queries):
    """The detail shows the order's judgements (P6) through the reverse relation."""
    order = order_placed(shop=shop_a, placed_at=T0, now=T0)
    detail = api(merchant).get(f"/api/v1/orders/{order.order_no}/").json()
    assert detail["violations"] == []
    from penalties.services import violations_judge

    violations_judge(now=T0 + timedelta(hours=49))
    detail = api(merchant).get(f"/api/v1/orders/{order.order_no}/").json()
    assert [v["judgement_no"] for v in detail["violations"]] == [1]
    assert set(detail["violations"][0]) == {"id", "judgement_no", "judged_at", "charge_status", "charged_amount"}
