"""Reviewer admin: search routing, filters, constant queries, review actions (O2, O5, C3, F1)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.admin import search_route
from orders.models import CancellationRequest, Refund
from orders.services import cancellation_request
from tests.factories import ProductFactory, order_placed
from tests.orders.helpers import T0, fresh

pytestmark = pytest.mark.django_db
ORDERS = "/admin/orders/order/"


def _rows(client, query=""):
    response = client.get(ORDERS + query)
    assert response.status_code == 200
    return [o.order_no for o in response.context["cl"].result_list]


def test_o2_admin_search_routes_to_indexed_lookups(client, reviewer, shop_a):
    """An order-number-shaped term is an exact lookup, a phone-shaped term goes
    through the keyed hash, anything else searches product names."""
    tea = ProductFactory(shop=shop_a, name="明前龙井 250g")
    a = order_placed(shop=shop_a, product=tea, phone="13911112222")
    b = order_placed(shop=shop_a, phone="13933334444")
    assert search_route(a.order_no)[0] == "order_no"
    assert search_route("139 1111 2222")[0] == "phone"
    assert search_route("龙井")[0] == "product"
    client.force_login(reviewer)
    assert _rows(client, f"?q={a.order_no}") == [a.order_no]
    assert _rows(client, "?q=13933334444") == [b.order_no]
    assert _rows(client, "?q=龙井") == [a.order_no]
    assert _rows(client, "?q=nothing-like-this") == []


def test_o2_admin_search_international_prefix_phone_finds_the_order(client, reviewer, shop_a):
    """0086… is 15 digits, the shape of an order number, and a phone: both lookups run."""
    a = order_placed(shop=shop_a, phone="13911112222")
    order_placed(shop=shop_a, phone="13933334444")
    client.force_login(reviewer)
    assert _rows(client, "?q=008613911112222") == [a.order_no]
    assert _rows(client, "?q=%2B8613911112222") == [a.order_no]
    assert _rows(client, f"?q={a.order_no}") == [a.order_no]


def test_admin_order_list_filters(client, reviewer, shop_a, shop_b):
    overdue = order_placed(shop=shop_a, placed_at=T0 - timedelta(days=3))
    due = order_placed(shop=shop_b, placed_at=T0 - timedelta(hours=30))
    client.force_login(reviewer)
    with time_machine.travel(T0, tick=False):
        assert _rows(client, "?overdue=yes") == [overdue.order_no]
        assert _rows(client, "?ship_due=24h") == [due.order_no]
        assert _rows(client, f"?shop__id__exact={shop_b.pk}") == [due.order_no]
        assert _rows(client, "?status__exact=awaiting_shipment") == [due.order_no, overdue.order_no]
        assert _rows(client, "?in_after_sale__exact=1") == []
        assert _rows(client, "?logistics_abnormal__exact=0") == [due.order_no, overdue.order_no]
    auto = client.get("/admin/autocomplete/?app_label=orders&model_name=order&field_name=shop&term=B")
    assert auto.status_code == 200 and [r["text"] for r in auto.json()["results"]] == [shop_b.name]


def test_admin_order_list_has_constant_queries(client, reviewer, shop_a, django_assert_max_num_queries):
    """100 rows cost the same queries as 3 (no per-row query; no full count)."""
    product = ProductFactory(shop=shop_a)
    for _ in range(3):
        order_placed(shop=shop_a, product=product)
    client.force_login(reviewer)
    client.get(ORDERS)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        client.get(ORDERS)
    for _ in range(40):
        order_placed(shop=shop_a, product=product)
    with CaptureQueriesContext(connection) as many:
        response = client.get(ORDERS)
    assert len(response.context["cl"].result_list) == 43
    assert len(many) == len(few)
    with django_assert_max_num_queries(12):
        client.get(ORDERS + "?q=13812345678")


def test_o5_admin_masks_phone_without_permission(client, reviewer, support, shop_a):
    """Reviewers hold view_buyer_contact and see the number; support staff see it masked."""
    order = order_placed(shop=shop_a, phone="13812345678")
    client.force_login(support)
    page = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    listing = client.get(ORDERS).content.decode()
    assert "138****5678" in listing and "13812345678" not in listing
    client.force_login(reviewer)
    page = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert "13812345678" in page


def test_admin_order_page_is_read_only_with_inlines(client, reviewer, shop_a):
    order = order_placed(shop=shop_a)
    client.force_login(reviewer)
    response = client.get(f"{ORDERS}{order.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="status"' not in html and 'name="total_amount"' not in html
    assert "placed" in html and "paid" in html  # the event timeline
    assert client.post(f"{ORDERS}{order.pk}/change/", {"status": "closed"}).status_code == 403
    assert fresh(order).status == "awaiting_shipment"


def test_c3_admin_approve_through_confirmation_page(client, reviewer, merchant, shop_a):
    """Approve asks for confirmation, then cancels and refunds through the service."""
    order = order_placed(shop=shop_a)
    request = cancellation_request(order=order, reason="out_of_stock", by=merchant, now=fresh(order).paid_at)
    client.force_login(reviewer)
    url = "/admin/orders/cancellationrequest/"
    page = client.post(url, {"action": "approve", "_selected_action": [request.pk]})
    assert page.status_code == 200 and b"Yes, cancel and refund" in page.content
    assert CancellationRequest.objects.get(pk=request.pk).status == "pending_review"
    done = client.post(url, {"action": "approve", "_selected_action": [request.pk], "confirm": "yes"})
    assert done.status_code == 302
    assert CancellationRequest.objects.get(pk=request.pk).status == "approved"
    assert fresh(order).status == "cancelled" and Refund.objects.filter(order=order).count() == 1
    # approving again reports the refusal instead of failing
    again = client.post(url, {"action": "approve", "_selected_action": [request.pk], "confirm": "yes"}, follow=True)
    refused = again.content.decode()
    assert 'class="error' in refused and "cancellation_not_pending" not in refused  # words, no code (issue 15)
    assert Refund.objects.filter(order=order).count() == 1


def test_c3_admin_reject_asks_for_a_reason(client, reviewer, merchant, shop_a):
    order = order_placed(shop=shop_a)
    request = cancellation_request(order=order, reason="out_of_stock", by=merchant, now=fresh(order).paid_at)
    client.force_login(reviewer)
    url = "/admin/orders/cancellationrequest/"
    page = client.post(url, {"action": "reject", "_selected_action": [request.pk]})
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    blank = client.post(url, {"action": "reject", "_selected_action": [request.pk], "confirm": "yes", "reason": ""})
    assert blank.status_code == 200
    assert CancellationRequest.objects.get(pk=request.pk).status == "pending_review"
    done = client.post(
        url, {"action": "reject", "_selected_action": [request.pk], "confirm": "yes", "reason": "库存充足"}
    )
    assert done.status_code == 302
    row = CancellationRequest.objects.get(pk=request.pk)
    assert row.status == "rejected" and row.decision_reason == "库存充足" and row.decided_by == reviewer


def test_support_cannot_review_cancellations(client, support, merchant, shop_a):
    order = order_placed(shop=shop_a)
    request = cancellation_request(order=order, reason="out_of_stock", by=merchant, now=fresh(order).paid_at)
    client.force_login(support)
    url = "/admin/orders/cancellationrequest/"
    client.post(url, {"action": "approve", "_selected_action": [request.pk], "confirm": "yes"})
    assert CancellationRequest.objects.get(pk=request.pk).status == "pending_review"


def test_f1_admin_alternative_route_queue_mark_settled(
    client, reviewer, merchant, shop_a, settings, django_capture_on_commit_callbacks
):
    """A failed refund shows in the queue; "mark settled" settles it and it leaves the queue."""
    from orders.services import cancellation_approve

    settings.REFUND_SANDBOX_FAIL = True
    order = order_placed(shop=shop_a)
    request = cancellation_request(order=order, reason="out_of_stock", by=merchant, now=fresh(order).paid_at)
    with django_capture_on_commit_callbacks(execute=True):
        cancellation_approve(cancellation=request, by=reviewer, now=fresh(order).paid_at)
    refund = Refund.objects.get(order=order)
    client.force_login(reviewer)
    url = "/admin/orders/alternativerouterefund/"
    listing = client.get(url)
    assert [r.pk for r in listing.context["cl"].result_list] == [refund.pk]
    page = client.post(url, {"action": "mark_settled", "_selected_action": [refund.pk]})
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    client.post(url, {"action": "mark_settled", "_selected_action": [refund.pk], "confirm": "yes", "reason": "转账"})
    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.settled_by == reviewer and refund.settlement_note == "转账"
    assert list(client.get(url).context["cl"].result_list) == []


def test_admin_other_pages_render(client, reviewer, shop_a):
    order_placed(shop=shop_a)
    client.force_login(reviewer)
    for url in [
        "/admin/orders/shop/",
        "/admin/orders/product/",
        "/admin/orders/aftersale/",
        "/admin/orders/refund/",
        "/admin/orders/notification/",
        "/admin/orders/cancellationrequest/",
        "/admin/",
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_order_page_links_to_its_tickets_and_violations(client, shop_a):
    """The order page links to the order's service tickets and violations."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from orders.roles import REVIEWER
    from tests.factories import order_placed

    user = get_user_model().objects.create_user("rev-links", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=REVIEWER))
    order = order_placed(shop=shop_a)
    client.force_login(user)
    html = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert f"/admin/tickets/ticket/?q={order.order_no}" in html
    assert f"/admin/penalties/violation/?q={order.order_no}" in html


# --- product search: capped count, page read with the count -----------------------------


@pytest.fixture
def tea_orders(shop_a, shop_b):
    """Five 龙井 orders, newest first, in two shops; one order without tea."""
    tea = ProductFactory(shop=shop_a, name="明前龙井 250g")
    tea_b = ProductFactory(shop=shop_b, name="龙井 礼盒")
    orders = [
        order_placed(shop=shop, product=product, placed_at=T0 - timedelta(hours=i))
        for i, (shop, product) in enumerate([(shop_b, tea_b), (shop_a, tea)] * 2 + [(shop_b, tea_b)])
    ]
    order_placed(shop=shop_a, placed_at=T0)
    return [o.order_no for o in orders]


def _search(client, query):
    response = client.get(ORDERS + query)
    assert response.status_code == 200
    cl = response.context["cl"]
    return cl, [o.order_no for o in cl.result_list], response.content.decode()


def test_o2_product_search_counts_up_to_the_cap(client, reviewer, tea_orders, monkeypatch):
    """Past ``search_count_cap`` matches the list says "4+" and offers cap ÷ per page pages."""
    from orders.admin import OrderAdmin

    monkeypatch.setattr(OrderAdmin, "search_count_cap", 4)
    monkeypatch.setattr(OrderAdmin, "list_per_page", 2)
    client.force_login(reviewer)
    cl, rows, html = _search(client, "?q=龙井")
    assert cl.result_count_capped and cl.result_count == 4 and cl.paginator.num_pages == 2
    assert rows == tea_orders[:2]
    assert "4+ results" in html and "4+ orders" in html
    assert "Counting stopped here" in html
    zh = client.get(ORDERS + "?q=龙井", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "4+ 条结果" in zh and "计数到此为止" in zh
    assert _search(client, "?q=龙井&p=2")[1] == tea_orders[2:4]


def test_o2_product_search_under_the_cap_counts_exactly(client, reviewer, tea_orders, monkeypatch):
    """Under the cap: the exact count, Django's wording, every page in order."""
    from orders.admin import OrderAdmin

    monkeypatch.setattr(OrderAdmin, "search_count_cap", 5)
    monkeypatch.setattr(OrderAdmin, "list_per_page", 2)
    client.force_login(reviewer)
    cl, rows, html = _search(client, "?q=龙井")
    assert not cl.result_count_capped and cl.result_count == 5 and cl.paginator.num_pages == 3
    assert "5 results" in html and "+ results" not in html
    pages = [rows] + [_search(client, f"?q=龙井&p={p}")[1] for p in (2, 3)]
    assert pages == [tea_orders[:2], tea_orders[2:4], tea_orders[4:]]
    cl, rows, _html = _search(client, "?q=礼盒")
    assert cl.result_count == 3 and rows == tea_orders[0:4:2]
    assert _search(client, "?q=nothing-like-this")[0].result_count == 0


def test_o2_product_search_keeps_a_column_sort(client, reviewer, tea_orders, monkeypatch):
    """A click on a column header sorts the matches (a plain column: read with
    the count; the shop, a related model: Django's page query)."""
    from orders.admin import OrderAdmin
    from orders.models import Order

    monkeypatch.setattr(OrderAdmin, "search_count_cap", 10)
    client.force_login(reviewer)
    matches = Order.objects.filter(order_no__in=tea_orders)
    by_time = list(matches.order_by("placed_at", "id").values_list("order_no", flat=True))
    columns = _search(client, "?q=龙井")[0].list_display
    assert _search(client, f"?q=龙井&o={columns.index('placed_at')}")[1] == by_time  # ascending
    by_shop = list(matches.order_by("-shop", "-placed_at", "-id").values_list("order_no", flat=True))
    assert _search(client, f"?q=龙井&o=-{columns.index('shop')}")[1] == by_shop


def test_o2_product_search_has_constant_queries(client, reviewer, shop_a, monkeypatch):
    """3 matches or 40, under the cap or past it: the same queries (no per-row query, no full count)."""
    from orders.admin import OrderAdmin

    monkeypatch.setattr(OrderAdmin, "search_count_cap", 30)
    tea = ProductFactory(shop=shop_a, name="明前龙井 250g")
    for _ in range(3):
        order_placed(shop=shop_a, product=tea)
    client.force_login(reviewer)
    client.get(ORDERS + "?q=龙井")  # warm caches
    with CaptureQueriesContext(connection) as few:
        client.get(ORDERS + "?q=龙井")
    for _ in range(37):
        order_placed(shop=shop_a, product=tea)
    with CaptureQueriesContext(connection) as many:
        response = client.get(ORDERS + "?q=龙井")
    assert len(response.context["cl"].result_list) == 40 and response.context["cl"].result_count_capped
    assert len(many) <= len(few) + 1  # past the cap: one statement (the walk's planner settings) more
    assert not any("COUNT(*)" in q["sql"] and "LIMIT" not in q["sql"] for q in many)
