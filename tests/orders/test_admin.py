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
    assert page.status_code == 200 and b"Yes, approve" in page.content
    assert CancellationRequest.objects.get(pk=request.pk).status == "pending_review"
    done = client.post(url, {"action": "approve", "_selected_action": [request.pk], "confirm": "yes"})
    assert done.status_code == 302
    assert CancellationRequest.objects.get(pk=request.pk).status == "approved"
    assert fresh(order).status == "cancelled" and Refund.objects.filter(order=order).count() == 1
    # approving again reports the refusal instead of failing
    again = client.post(url, {"action": "approve", "_selected_action": [request.pk], "confirm": "yes"}, follow=True)
    assert "cancellation_not_pending" in again.content.decode()
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
    assert page.status_code == 200 and 'name="note"' in page.content.decode()
    client.post(url, {"action": "mark_settled", "_selected_action": [refund.pk], "confirm": "yes", "note": "转账"})
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
