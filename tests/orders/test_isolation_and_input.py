"""Isolation between shops, bad input and Idempotency-Key on the write endpoints."""

import pytest

from orders.models import AfterSale, CancellationRequest, IdempotencyKey, Notification, Order, OrderEvent
from orders.services import after_sale_open, notification_create
from tests.factories import ProductFactory, order_placed
from tests.orders.helpers import fresh

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(Order.objects.order_by("pk").values()),
        list(CancellationRequest.objects.order_by("pk").values()),
        list(AfterSale.objects.order_by("pk").values()),
        list(Notification.objects.order_by("pk").values()),
        OrderEvent.objects.count(),
    )


def test_merchant2_gets_404_on_every_endpoint_and_nothing_changes(api, merchant, merchant2, shop_a):
    """Another shop's order, after-sale and notification answer 404 exactly
    like missing ones, on reads and writes, and no row changes."""
    # given
    from django.utils import timezone

    order = order_placed(shop=shop_a)
    after_sale = after_sale_open(order=order, type="refund_only", reason="wrong_item", amount=10, now=timezone.now())
    note = notification_create(shop=shop_a, kind="x", title="secret")
    before = _snapshot()
    client = api(merchant2)
    # when / then
    calls = [
        ("get", f"/api/v1/orders/{order.order_no}/", {}),
        ("post", f"/api/v1/orders/{order.order_no}/ship/", {"carrier": "SF", "tracking_no": "1"}),
        ("post", f"/api/v1/orders/{order.order_no}/cancel/", {"reason": "out_of_stock"}),
        ("post", f"/api/v1/orders/{order.order_no}/correct-tracking/", {"carrier": "SF", "tracking_no": "1"}),
        ("post", f"/api/v1/after-sales/{after_sale.pk}/approve/", {}),
        ("post", f"/api/v1/after-sales/{after_sale.pk}/reject/", {"reason": "no"}),
        ("post", f"/api/v1/notifications/{note.pk}/read/", {}),
        ("get", "/api/v1/orders/99999999999999/", {}),
    ]
    for method, url, body in calls:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (url, response.status_code)
        assert set(response.json()) == {"code", "detail"}
    for url in ["/api/v1/orders/", "/api/v1/after-sales/", "/api/v1/notifications/", "/api/v1/products/"]:
        assert client.get(url).json()["results"] == [], url
    assert client.get(f"/api/v1/orders/?shop={shop_a.pk}").json()["results"] == []
    assert _snapshot() == before
    # the owner does see them
    assert api(merchant).get(f"/api/v1/orders/{order.order_no}/").status_code == 200


def test_merchant_cannot_use_reviewer_or_intake_endpoints(api, merchant, shop_a):
    order = order_placed(shop=shop_a)
    assert api(merchant).get("/api/v1/cancellations/").status_code == 403
    assert api(merchant).post(f"/api/v1/intake/orders/{order.order_no}/pay/", {}).status_code == 403
    assert api().get("/api/v1/orders/").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"carrier": 5},
        {"carrier": ["SF"], "tracking_no": {"a": 1}},
        {"carrier": "SF"},
        {"carrier": "x" * 10_000, "tracking_no": "1"},
        {"carrier": "SF", "tracking_no": "y" * 65},
    ],
)
def test_bad_ship_input_is_400_and_changes_nothing(api, merchant, shop_a, body):
    order = order_placed(shop=shop_a)
    before = _snapshot()
    response = api(merchant).post(f"/api/v1/orders/{order.order_no}/ship/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "errors" in response.json()
    assert _snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "unknown"},
        {"reason": 3},
        {"reason": "other"},
        {"reason": "other", "detail": "d" * 5000},
        {"reason": None},
    ],
)
def test_bad_cancel_input_is_400(api, merchant, shop_a, body):
    order = order_placed(shop=shop_a)
    response = api(merchant).post(f"/api/v1/orders/{order.order_no}/cancel/", body, format="json")
    assert response.status_code == 400
    assert not CancellationRequest.objects.exists()


def _intake_body(shop, product, **kw):
    body = {
        "shop": shop.pk,
        "buyer_name": "张三",
        "buyer_phone": "13812345678",
        "address": "上海",
        "items": [{"product": product.pk, "quantity": 1, "unit_price": "10.00"}],
    }
    body.update(kw)
    return body


@pytest.mark.parametrize(
    "change",
    [
        {"items": []},
        {"items": [{"product": "x", "quantity": 1, "unit_price": "1"}]},
        {"items": "nope"},
        {"quantity": 0},
        {"quantity": -3},
        {"quantity": 10**12},
        {"quantity": 100_000, "unit_price": "9999999.00"},
        {"unit_price": "-1.00"},
        {"unit_price": "1e400"},
        {"product": 987654},
        {"shop": 987654},
        {"shop": "abc"},
        {"buyer_phone": "call me"},
        {"buyer_name": "n" * 1000},
        {"address": ""},
        {"placed_at": "yesterday"},
        {"order_no": "' OR 1=1 --"},
        {"shop": 2**70},
    ],
)
def test_bad_intake_order_input_is_400_and_changes_nothing(api, storefront, shop_a, change):
    product = ProductFactory(shop=shop_a)
    body = _intake_body(shop_a, product)
    for key in ("quantity", "unit_price", "product"):
        if key in change:
            body["items"][0][key] = change.pop(key)
    body.update(change)
    response = api(storefront).post("/api/v1/intake/orders/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"invalid", "unknown_shop", "unknown_product"}
    assert not Order.objects.exists()


def test_product_of_another_shop_is_refused(api, storefront, shop_a, shop_c):
    other = ProductFactory(shop=shop_c)
    response = api(storefront).post("/api/v1/intake/orders/", _intake_body(shop_a, other), format="json")
    assert response.status_code == 400 and response.json()["code"] == "product_not_in_shop"
    assert not Order.objects.exists()


def test_bad_intake_pay_tracking_after_sale_input(api, storefront, shop_a):
    order = order_placed(shop=shop_a, paid=False)
    client = api(storefront)
    assert client.post("/api/v1/intake/orders/nope/pay/", {}, format="json").status_code == 404
    assert client.post(f"/api/v1/intake/orders/{order.order_no}/pay/", {"paid_at": 5}).status_code == 400
    assert client.post(f"/api/v1/intake/orders/{order.order_no}/tracking/", {"event_at": "x"}).status_code == 400
    not_shipped = client.post(
        f"/api/v1/intake/orders/{order.order_no}/tracking/",
        {"event_at": "2026-03-02T10:00:00+08:00", "description": "x"},
        format="json",
    )
    assert not_shipped.status_code == 409
    for body in [
        {"order_no": "nope", "type": "refund_only", "reason": "other", "amount": "1"},
        {"order_no": order.order_no, "type": "refund_only", "reason": "other", "amount": "-1"},
        {"order_no": order.order_no, "type": "refund_only", "reason": "other"},
    ]:
        assert client.post("/api/v1/intake/after-sales/", body, format="json").status_code in {400, 404}
    too_much = client.post(
        "/api/v1/intake/after-sales/",
        {"order_no": order.order_no, "type": "refund_only", "reason": "other", "amount": "1"},
        format="json",
    )
    assert too_much.status_code == 409  # not paid yet
    assert fresh(order).status == "pending_payment" and not AfterSale.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "?shop=abc",
        "?shop=99999999999999999999999",
        "?status=lost",
        "?placed_after=notadate",
        "?ship_due_within_hours=-1",
        "?overdue=maybe",
        "?order_no=" + "9" * 40,
        "?page_size=100000",
        "?cursor=garbage",
    ],
)
def test_bad_list_filters_never_500(api, merchant, shop_a, query):
    order_placed(shop=shop_a)
    response = api(merchant).get(f"/api/v1/orders/{query}")
    assert response.status_code in {200, 400, 404}, response.content


def test_idempotency_key_replays_ship_and_refuses_reuse(api, merchant, shop_a):
    """The same key replays the first answer without acting again; the same
    key with another body is 409 idempotency_key_reused."""
    order = order_placed(shop=shop_a)
    client = api(merchant)
    url = f"/api/v1/orders/{order.order_no}/ship/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    first = client.post(url, {"carrier": "SF", "tracking_no": "1"}, format="json", **headers)
    second = client.post(url, {"carrier": "SF", "tracking_no": "1"}, format="json", **headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert order.events.filter(kind="shipped").count() == 1
    reused = client.post(url, {"carrier": "SF", "tracking_no": "2"}, format="json", **headers)
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert IdempotencyKey.objects.count() == 1


def test_idempotency_key_on_cancel_creates_one_request(api, merchant, shop_a):
    order = order_placed(shop=shop_a)
    client = api(merchant)
    url = f"/api/v1/orders/{order.order_no}/cancel/"
    responses = [
        client.post(url, {"reason": "out_of_stock"}, format="json", HTTP_IDEMPOTENCY_KEY="c-1") for _ in range(3)
    ]
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert CancellationRequest.objects.count() == 1
    # without the key a retry is refused by the rules instead
    assert client.post(url, {"reason": "out_of_stock"}, format="json").status_code == 409


def test_failed_request_does_not_store_its_key(api, merchant, shop_a):
    order = order_placed(shop=shop_a, paid=False)
    client = api(merchant)
    url = f"/api/v1/orders/{order.order_no}/ship/"
    bad = client.post(url, {"carrier": "SF", "tracking_no": "1"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 409 and not IdempotencyKey.objects.exists()


def test_idempotency_keys_expire(api, merchant, shop_a):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from orders.tasks import purge_idempotency_keys

    order = order_placed(shop=shop_a)
    api(merchant).post(
        f"/api/v1/orders/{order.order_no}/ship/", {"carrier": "SF", "tracking_no": "1"}, HTTP_IDEMPOTENCY_KEY="x"
    )
    assert purge_idempotency_keys() == {"deleted": 0}
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert purge_idempotency_keys() == {"deleted": 1}
