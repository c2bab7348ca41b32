"""O6 (new) and P7 clarified (issue 13, point 5): the ends of an order's
life, driven through the intake, merchant, reviewer and support APIs and the
beat tasks; boundaries at the exact instant and one second either side."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from orders.models import AfterSale, CancellationRequest, Order
from orders.tasks import close_unpaid, complete_delivered, flag_logistics_abnormal
from orders.transitions import EDGES
from penalties.tasks import auto_close_orders
from tests.factories import ProductFactory, order_placed
from tickets.models import Ticket

from .helpers import T0, events, fresh

pytestmark = pytest.mark.django_db
S = Order.Status
SECOND = timedelta(seconds=1)
WINDOW = timedelta(days=10)  # CONFIRM_RECEIPT_DAYS
UNPAID = timedelta(minutes=30)  # UNPAID_CLOSE_MINUTES
AUTO_CLOSE = timedelta(days=150)  # AUTO_CLOSE_DAYS
EDGE = {"-1s": -SECOND, "exact": timedelta(0), "+1s": SECOND}


def _at(moment, fn, *args, **kwargs):
    with time_machine.travel(moment, tick=False):
        return fn(*args, **kwargs)


def _ship(api, merchant, order, at):
    r = _at(at, api(merchant).post, f"/api/v1/orders/{order.order_no}/ship/", {"carrier": "SF", "tracking_no": "SF1"})
    assert r.status_code == 200, r.json()


def _deliver(api, storefront, order, *, now, delivered_at):
    return _at(
        now,
        api(storefront).post,
        f"/api/v1/intake/orders/{order.order_no}/delivered/",
        {"delivered_at": delivered_at.isoformat()},
        format="json",
    )


def _after_sale(api, storefront, order, *, now, amount="10.00", type="refund_only"):
    r = _at(
        now,
        api(storefront).post,
        "/api/v1/intake/after-sales/",
        {"order_no": order.order_no, "type": type, "reason": "quality_issue", "amount": amount},
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()["id"]


# --- O6: delivered → completed after the buyer's window --------------------------------------


@pytest.mark.parametrize("edge", EDGE, ids=list(EDGE))
def test_o6_delivered_order_completes_when_the_confirmation_window_ends(api, storefront, merchant, shop_a, edge):
    """Delivered at D, the order is completed by the job run at D + 10 days
    exactly (and later), not one second before."""
    order = order_placed(shop=shop_a, now=T0)
    _ship(api, merchant, order, T0)
    delivered = T0 + timedelta(days=2, hours=3)
    response = _deliver(api, storefront, order, now=delivered + timedelta(minutes=1), delivered_at=delivered)
    assert response.status_code == 200 and response.json()["status"] == "shipped"
    run_at = delivered + WINDOW + EDGE[edge]
    summary = _at(run_at, complete_delivered)
    after = fresh(order)
    if edge == "-1s":
        assert summary == {"completed": 0} and after.status == S.SHIPPED and after.completed_at is None
        return
    assert summary == {"completed": 1}
    assert after.status == S.COMPLETED and after.completed_at == run_at and after.delivered_at == delivered
    assert events(order)[-2:] == ["delivered", "completed"]
    assert _at(run_at + timedelta(hours=1), complete_delivered) == {"completed": 0}
    listed = api(merchant).get(f"/api/v1/orders/?status=completed&shop={shop_a.pk}").json()["results"]
    assert [row["order_no"] for row in listed] == [order.order_no]


def test_o6_an_open_after_sale_holds_completion_until_it_is_decided(api, storefront, merchant, shop_a):
    """An after-sale open when the window ends keeps the order shipped; once
    the merchant decides it, the next run completes the order."""
    order = order_placed(shop=shop_a, now=T0)
    _ship(api, merchant, order, T0)
    delivered = T0 + timedelta(days=1)
    assert _deliver(api, storefront, order, now=delivered, delivered_at=delivered).status_code == 200
    after_sale = _after_sale(api, storefront, order, now=delivered + WINDOW - SECOND)
    assert _at(delivered + WINDOW, complete_delivered) == {"completed": 0}
    assert _at(delivered + WINDOW + timedelta(days=3), complete_delivered) == {"completed": 0}
    assert fresh(order).status == S.SHIPPED
    rejected = _at(
        delivered + WINDOW + timedelta(days=4),
        api(merchant).post,
        f"/api/v1/after-sales/{after_sale}/reject/",
        {"reason": "商品无质量问题"},
        format="json",
    )
    assert rejected.status_code == 200, rejected.json()
    assert _at(delivered + WINDOW + timedelta(days=4, minutes=15), complete_delivered) == {"completed": 1}
    assert fresh(order).status == S.COMPLETED


def test_o6_an_undelivered_shipped_order_never_completes(api, merchant, shop_a):
    """Without the carrier's confirmation nothing completes, however old."""
    order = order_placed(shop=shop_a, now=T0)
    _ship(api, merchant, order, T0)
    assert _at(T0 + timedelta(days=400), complete_delivered) == {"completed": 0}
    assert fresh(order).status == S.SHIPPED


@pytest.mark.parametrize(
    ("ahead", "status"),
    [(timedelta(minutes=5) - SECOND, 200), (timedelta(minutes=5), 200), (timedelta(minutes=5) + SECOND, 400)],
    ids=["skew-1s", "skew", "skew+1s"],
)
def test_o6_delivery_dated_in_the_future_is_refused(api, storefront, merchant, shop_a, ahead, status):
    order = order_placed(shop=shop_a, now=T0)
    _ship(api, merchant, order, T0)
    now = T0 + timedelta(days=1)
    response = _deliver(api, storefront, order, now=now, delivered_at=now + ahead)
    assert response.status_code == status
    if status == 400:
        assert response.json()["code"] == "delivered_in_future" and fresh(order).delivered_at is None


def test_o6_delivery_confirmation_refuses_what_cannot_be(api, storefront, merchant, merchant2, shop_a):
    """Before shipping time: 400; an unshipped order: 409 ``not_shipped``; an
    unknown order: 404; a bad body: 400; a merchant: 403; a repeat: 200, unchanged."""
    order = order_placed(shop=shop_a, now=T0)
    unshipped = order_placed(shop=shop_a, now=T0)
    _ship(api, merchant, order, T0 + timedelta(hours=5))
    now = T0 + timedelta(days=1)
    early = _deliver(api, storefront, order, now=now, delivered_at=T0 + timedelta(hours=5) - SECOND)
    assert early.status_code == 400 and early.json()["code"] == "delivered_before_shipped"
    not_shipped = _deliver(api, storefront, unshipped, now=now, delivered_at=now)
    assert not_shipped.status_code == 409 and not_shipped.json()["code"] == "not_shipped"
    missing = _at(now, api(storefront).post, "/api/v1/intake/orders/NOPE123/delivered/", {"delivered_at": now})
    assert missing.status_code == 404
    bad = _at(now, api(storefront).post, f"/api/v1/intake/orders/{order.order_no}/delivered/", {"delivered_at": "x"})
    assert bad.status_code == 400 and set(bad.json()) >= {"code", "detail"}
    forbidden = _at(now, api(merchant).post, f"/api/v1/intake/orders/{order.order_no}/delivered/", {})
    assert forbidden.status_code == 403
    first = _deliver(api, storefront, order, now=now, delivered_at=now - timedelta(hours=1))
    again = _deliver(api, storefront, order, now=now + timedelta(hours=1), delivered_at=now)
    assert first.status_code == again.status_code == 200
    assert fresh(order).delivered_at == now - timedelta(hours=1)
    assert events(order).count("delivered") == 1


def test_o6_a_delivered_order_is_not_flagged_logistics_abnormal(api, storefront, merchant, shop_a):
    """Delivery is the carrier's last word: it clears the O4 flag and the
    72 h job leaves the order alone while the buyer's window runs."""
    order = order_placed(shop=shop_a, now=T0)
    quiet = order_placed(shop=shop_a, now=T0)
    _ship(api, merchant, order, T0)
    _ship(api, merchant, quiet, T0)
    assert _at(T0 + timedelta(hours=73), flag_logistics_abnormal)["flagged"] == 2
    delivered = T0 + timedelta(hours=80)
    assert _deliver(api, storefront, order, now=delivered, delivered_at=delivered).status_code == 200
    assert not fresh(order).logistics_abnormal
    assert _at(delivered + timedelta(hours=100), flag_logistics_abnormal)["flagged"] == 0
    assert not fresh(order).logistics_abnormal and fresh(quiet).logistics_abnormal


# --- O6: unpaid orders close ----------------------------------------------------------------


@pytest.mark.parametrize("edge", EDGE, ids=list(EDGE))
def test_o6_an_order_unpaid_for_30_minutes_is_closed(api, storefront, merchant, shop_a, edge):
    """Placed at P without payment, the order is closed by the minute job at
    P + 30 min exactly (and later), not one second before; a payment pushed
    after that is refused (409), the order stays closed."""
    placed = T0 + timedelta(hours=15, minutes=59, seconds=30)  # 23:59:30 Asia/Shanghai: closes the next day
    product = ProductFactory(shop=shop_a, price=Decimal("25.00"))
    created = _at(
        placed,
        api(storefront).post,
        "/api/v1/intake/orders/",
        {
            "shop": shop_a.pk,
            "buyer_name": "李四",
            "buyer_phone": "13800001111",
            "address": "北京市朝阳区",
            "items": [{"product": product.pk, "quantity": 1, "unit_price": "25.00"}],
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["status"] == "pending_payment"
    order = Order.objects.get(order_no=created.json()["order_no"])
    paid_one = order_placed(shop=shop_a, placed_at=placed, now=placed)
    run_at = placed + UNPAID + EDGE[edge]
    summary = _at(run_at, close_unpaid)
    if edge == "-1s":
        assert summary == {"closed": 0} and fresh(order).status == S.PENDING_PAYMENT
        return
    assert summary == {"closed": 1}
    after = fresh(order)
    assert after.status == S.CLOSED and after.closed_at == run_at and after.refunded_amount == 0
    assert events(order)[-1] == "closed_unpaid"
    assert fresh(paid_one).status == S.AWAITING_SHIPMENT
    late = _at(run_at + SECOND, api(storefront).post, f"/api/v1/intake/orders/{order.order_no}/pay/", {})
    assert late.status_code == 409 and fresh(order).status == S.CLOSED
    assert _at(run_at + timedelta(minutes=1), close_unpaid) == {"closed": 0}


# --- P7 clarified: auto-close resolves what was pending ------------------------------------


def _paid_long_ago(shop, *, placed):
    return order_placed(shop=shop, placed_at=placed, paid_at=placed + timedelta(hours=6), now=placed)


@pytest.mark.parametrize("edge", EDGE, ids=list(EDGE))
def test_p7_auto_close_resolves_the_pending_cancellation_after_sale_and_ticket(
    api, storefront, merchant, reviewer, support, shop_a, edge
):
    """At placement + 150 days exactly (not 1 s before) the daily job closes
    the order and, in the same step, closes its pending cancellation request,
    its pending after-sale and its open tickets, each recorded; reviewers,
    merchants and support then find nothing pending and a late decision is
    a clean 409, never a 500."""
    placed = T0 - AUTO_CLOSE
    cancelled = _paid_long_ago(shop_a, placed=placed)
    disputed = _paid_long_ago(shop_a, placed=placed)
    asked = _at(
        placed + timedelta(hours=7),
        api(merchant).post,
        f"/api/v1/orders/{cancelled.order_no}/cancel/",
        {"reason": "out_of_stock"},
        format="json",
    )
    assert asked.status_code == 201, asked.json()
    after_sale = _after_sale(api, storefront, disputed, now=placed + timedelta(days=3))
    ticket = _at(
        placed + timedelta(days=4),
        api(support).post,
        "/api/v1/tickets/",
        {"order_no": disputed.order_no, "service_type": "urge_shipment", "description": "买家催发货"},
        format="json",
    )
    assert ticket.status_code == 201, ticket.json()
    ticket_no = ticket.json()["ticket_no"]
    run_at = T0 + EDGE[edge]
    summary = _at(run_at, auto_close_orders)
    if edge == "-1s":
        assert summary["closed"] == 0
        assert CancellationRequest.objects.get().status == "pending_review"
        assert AfterSale.objects.get().status == "pending" and Ticket.objects.get().status == "pending"
        return
    assert summary["closed"] == 2
    assert (summary["cancellations"], summary["after_sales"], summary["tickets"]) == (1, 1, 1)
    request = CancellationRequest.objects.get()
    assert request.status == "closed" and request.decided_at == run_at and request.decided_by is None
    sale = AfterSale.objects.get()
    assert sale.status == "closed" and sale.decided_at == run_at and not fresh(disputed).in_after_sale
    t = Ticket.objects.get()
    assert t.status == "closed" and t.outcome == "order_closed" and t.closed_at == run_at
    assert list(t.events.values_list("kind", flat=True))[-1] == "order_closed"
    assert "cancellation_closed" in events(cancelled)
    assert {"after_sale_closed", "ticket_closed"} <= set(events(disputed))
    later = run_at + timedelta(hours=1)
    queue = _at(later, api(reviewer).get, "/api/v1/cancellations/?status=pending_review").json()["results"]
    assert queue == []
    approve = _at(later, api(reviewer).post, f"/api/v1/cancellations/{request.pk}/approve/")
    assert approve.status_code == 409 and approve.json()["code"] == "cancellation_not_pending"
    decide = _at(later, api(merchant).post, f"/api/v1/after-sales/{after_sale}/approve/", {}, format="json")
    assert decide.status_code == 409 and decide.json()["code"] == "after_sale_not_pending"
    pending = _at(later, api(merchant).get, "/api/v1/after-sales/?status=pending").json()["results"]
    assert pending == []
    reply = _at(later, api(merchant).post, f"/api/v1/tickets/{ticket_no}/reply/", {"message": "已发货"}, format="json")
    assert reply.status_code == 409
    assert fresh(cancelled).status == fresh(disputed).status == S.CLOSED


def test_p7_a_ticket_closed_with_the_order_is_not_a_timeout(api, support, shop_a):
    """The order_closed outcome is not T3's timed_out: the minute timeout job
    finds nothing to time out and the shop is not counted for it."""
    from tickets.tasks import time_out_tickets

    placed = T0 - AUTO_CLOSE
    order = _paid_long_ago(shop_a, placed=placed)
    r = _at(
        T0 - timedelta(hours=1),
        api(support).post,
        "/api/v1/tickets/",
        {"order_no": order.order_no, "service_type": "urge_shipment", "description": "催发货"},
        format="json",
    )
    assert r.status_code == 201
    _at(T0, auto_close_orders)
    _at(T0 + timedelta(days=3), time_out_tickets)
    ticket = Ticket.objects.get()
    assert ticket.outcome == "order_closed" and not Ticket.objects.filter(outcome="timed_out").exists()


# --- O1: every edge of the table, walked through the public surface --------------------------


def _walk(api, storefront, merchant, reviewer, shop_a):
    """One driver per edge: from an order in the edge's source status (made
    through the real services), the public act that takes it along the edge."""
    now = T0

    def unpaid():
        return order_placed(shop=shop_a, paid=False, placed_at=now, now=now)

    def paid():
        return order_placed(shop=shop_a, placed_at=now, now=now)

    def shipped():
        order = paid()
        _ship(api, merchant, order, now + timedelta(hours=1))
        return order

    def completed():
        order = shipped()
        delivered = _deliver(api, storefront, order, now=now + timedelta(days=1), delivered_at=now + timedelta(days=1))
        assert delivered.status_code == 200, delivered.json()
        _at(now + timedelta(days=11), complete_delivered)
        return fresh(order)

    def pay(order):
        r = _at(now + timedelta(minutes=1), api(storefront).post, f"/api/v1/intake/orders/{order.order_no}/pay/", {})
        assert r.status_code == 200, r.json()

    def close_unpaid_(order):
        _at(now + UNPAID, close_unpaid)

    def ship(order):
        _ship(api, merchant, order, now + timedelta(hours=1))

    def cancel(order):
        at = now + timedelta(hours=1)
        asked = _at(at, api(merchant).post, f"/api/v1/orders/{order.order_no}/cancel/", {"reason": "out_of_stock"})
        assert asked.status_code == 201, asked.json()
        pk = asked.json()["id"]
        assert _at(at, api(reviewer).post, f"/api/v1/cancellations/{pk}/approve/").status_code == 200

    def auto_close(order):
        _at(now + AUTO_CLOSE, auto_close_orders)

    def complete(order):
        delivered = _deliver(api, storefront, order, now=now + timedelta(days=1), delivered_at=now + timedelta(days=1))
        assert delivered.status_code == 200, delivered.json()
        _at(now + timedelta(days=11), complete_delivered)

    def refund_in_full(order):
        at = now + timedelta(days=12)
        pk = _after_sale(api, storefront, order, now=at, amount=str(fresh(order).total_amount))
        r = _at(at, api(merchant).post, f"/api/v1/after-sales/{pk}/approve/", {}, format="json")
        assert r.status_code == 200, r.json()

    return {
        (S.PENDING_PAYMENT, S.AWAITING_SHIPMENT): (unpaid, pay),
        (S.PENDING_PAYMENT, S.CLOSED): (unpaid, close_unpaid_),
        (S.AWAITING_SHIPMENT, S.SHIPPED): (paid, ship),
        (S.AWAITING_SHIPMENT, S.CANCELLED): (paid, cancel),
        (S.AWAITING_SHIPMENT, S.CLOSED): (paid, auto_close),
        (S.SHIPPED, S.COMPLETED): (shipped, complete),
        (S.SHIPPED, S.CLOSED): (shipped, refund_in_full),
        (S.COMPLETED, S.CLOSED): (completed, refund_in_full),
    }


def test_o1_every_edge_of_the_table_is_walked_through_the_public_surface(api, storefront, merchant, reviewer, shop_a):
    """Each declared edge has a public act that takes an order along it (an
    edge without one, or an act landing elsewhere, turns this red), and the
    timeline records the move."""
    drivers = _walk(api, storefront, merchant, reviewer, shop_a)
    assert set(drivers) == set(EDGES)
    for (src, to), (make, act) in drivers.items():
        order = make()
        assert fresh(order).status == src, (src, to)
        act(order)
        assert fresh(order).status == to, (src, to, fresh(order).status)
        moves = list(order.events.exclude(to_status="").values_list("from_status", "to_status"))
        assert (src, to) in moves, (src, to, moves)
