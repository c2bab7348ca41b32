"""P1 (issue 13): one definition of "overdue", and the clock that stops while
the platform forbids shipping (a cancellation waiting for review).

The judgement (beat task, raw SQL on PostgreSQL), the merchant API filter and
24 h board, and the reviewer's admin filters must name the same orders; a slow
review queue must never produce a violation, a deduction or a ban."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from orders import overdue
from orders.models import CancellationRequest, Order, OrderEvent, Product
from orders.services import cancellation_request, refund_issue
from penalties import tasks
from penalties.models import DepositEntry, ProductBan, Violation
from tests.factories import ProductFactory, order_placed

from .conftest import at, sh, ship

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
# Asia/Shanghai midnight: 4 March 16:00 UTC.
NOW = sh(2026, 3, 5, 0, 0, 0)


def judge(moment):
    with at(moment):
        return tasks.judge_overdue_shipments.delay().get()


def deduct(moment):
    with at(moment):
        return tasks.run_deductions.delay().get()


def order_due(shop, ship_by, *, placed_before_payment=timedelta(hours=10), **kwargs):
    """An order placed 10 h before it was paid, its ``ship_by`` (paid + 48 h) at ``ship_by``."""
    paid_at = ship_by - timedelta(hours=48)
    order = order_placed(shop=shop, now=paid_at, placed_at=paid_at - placed_before_payment, paid_at=paid_at, **kwargs)
    assert order.ship_by == ship_by and order.placed_at != order.paid_at
    return order


def hold(order, merchant, *, after_payment=HOUR):
    return cancellation_request(order=order, reason="out_of_stock", by=merchant, now=order.paid_at + after_payment)


def api_orders(api, user, query):
    with at(NOW):
        response = api(user).get(f"/api/v1/orders/?{query}&page_size=100")
    assert response.status_code == 200, response.content
    return {row["order_no"] for row in response.json()["results"]}


def admin_orders(client, query):
    with at(NOW):
        response = client.get(f"/admin/orders/order/?{query}")
    assert response.status_code == 200
    return {o.order_no for o in response.context["cl"].result_list}


def test_p1_one_overdue_definition_for_judgement_api_admin_and_board(api, client, merchant, reviewer, shop_a, shop_b):
    """Orders around Asia/Shanghai midnight, placed and paid at different
    times: late by one second, due at this very instant, due in one second,
    partly refunded, held by a cancellation under review, shipped, unpaid,
    at the 24 h edge of the board. Every reader names the same orders."""
    late = order_due(shop_a, NOW - SECOND)  # 4 March 23:59:59 local
    long_late = order_due(shop_b, NOW - timedelta(days=1, hours=3))
    at_instant = order_due(shop_a, NOW)  # not late at ship_by itself
    soon = order_due(shop_b, NOW + SECOND)
    board_edge_in = order_due(shop_a, NOW + timedelta(hours=24) - SECOND)
    board_edge_out = order_due(shop_a, NOW + timedelta(hours=24))
    partly_refunded = order_due(shop_a, NOW - timedelta(hours=5), quantity=2)
    refund_issue(order=partly_refunded, cause="test:partial", amount=Decimal("1.00"), now=NOW - timedelta(hours=6))
    partly_refunded_soon = order_due(shop_b, NOW + timedelta(hours=3), quantity=2)
    refund_issue(order=partly_refunded_soon, cause="test:partial2", amount=Decimal("1.00"), now=NOW - HOUR)
    held_late = order_due(shop_a, NOW - timedelta(hours=2))
    hold(held_late, merchant)
    held_soon = order_due(shop_b, NOW + timedelta(hours=2))
    hold(held_soon, merchant)
    shipped = order_due(shop_a, NOW - timedelta(hours=4))
    ship(shipped, NOW - timedelta(hours=3))
    unpaid = order_placed(shop=shop_a, now=NOW - timedelta(days=3), paid=False)

    expected_overdue = {late.order_no, long_late.order_no}
    expected_board = {at_instant.order_no, soon.order_no, board_edge_in.order_no}
    everyone = {
        o.order_no
        for o in (late, long_late, at_instant, soon, board_edge_in, board_edge_out)
        + (partly_refunded, partly_refunded_soon, held_late, held_soon, shipped, unpaid)
    }

    assert api_orders(api, merchant, "overdue=true") == expected_overdue
    assert api_orders(api, merchant, "overdue=false") == everyone - expected_overdue
    assert api_orders(api, merchant, "ship_due_within_hours=24") == expected_board
    client.force_login(reviewer)
    assert admin_orders(client, "overdue=yes") == expected_overdue
    assert admin_orders(client, "ship_due=24h") == expected_board
    assert {o.order_no for o in Order.objects.all() if overdue.is_overdue(o, NOW)} == expected_overdue

    counts = judge(NOW)
    assert counts["judged"] == 2
    assert set(Violation.objects.values_list("order__order_no", flat=True)) == expected_overdue
    # judged at 00:00 local: the business day is 5 March, not the UTC 4 March
    assert {v.judgement_day.isoformat() for v in Violation.objects.all()} == {"2026-03-05"}
    # the instant after, the order due at NOW is late too: and nothing else
    assert judge(NOW + SECOND)["judged"] == 1
    assert Violation.objects.filter(order=at_instant).count() == 1


def test_p1_clock_stops_while_the_cancellation_waits_and_resumes_on_rejection(api, merchant, reviewer, shop_a):
    """The merchant asks to cancel 1 h after payment (47 h left); the review
    queue takes 5 days. Judgement and deduction runs all along find nothing
    (no violation, no deduction, no ban); rejection gives the 5 days back:
    ``ship_by`` moves by the time held, shown by the API, recorded on the
    order's event; the order is judged one second after the new deadline,
    not at it."""
    product = ProductFactory(shop=shop_a)
    paid_at = sh(2026, 3, 2, 22, 30)
    order = order_placed(
        shop=shop_a, product=product, now=paid_at, placed_at=paid_at - timedelta(hours=3), paid_at=paid_at
    )
    original = order.ship_by
    assert original == paid_at + timedelta(hours=48)

    asked = paid_at + HOUR
    with at(asked):
        r = api(merchant).post(f"/api/v1/orders/{order.order_no}/cancel/", {"reason": "out_of_stock"}, format="json")
    assert r.status_code == 201, r.content
    cancellation_id = r.json()["id"]

    # the countdown the merchant sees is frozen at what was left (47 h), in the list and the page
    with at(asked + timedelta(days=3)):
        listed = api(merchant).get("/api/v1/orders/").json()["results"]
        page = api(merchant).get(f"/api/v1/orders/{order.order_no}/").json()
    assert [o["remaining_ship_seconds"] for o in listed] == [47 * 3600] == [page["remaining_ship_seconds"]]

    moment = original - HOUR
    while moment < asked + timedelta(days=5):
        judge(moment)
        deduct(moment)
        moment += timedelta(hours=7)
    assert not Violation.objects.exists() and not DepositEntry.objects.exists() and not ProductBan.objects.exists()
    assert Product.objects.get(pk=product.pk).status == "on_sale"

    rejected_at = asked + timedelta(days=5)
    with at(rejected_at):
        r = api(reviewer).post(
            f"/api/v1/cancellations/{cancellation_id}/reject/", {"reason": "库存充足"}, format="json"
        )
    assert r.status_code == 200, r.content
    held = rejected_at - asked
    order.refresh_from_db()
    assert order.ship_by == original + held
    event = OrderEvent.objects.get(order=order, kind="cancel_rejected")
    assert event.data["held_seconds"] == int(held.total_seconds())
    assert datetime.fromisoformat(event.data["ship_by"]) == original + held
    with at(rejected_at):
        detail = api(merchant).get(f"/api/v1/orders/{order.order_no}/").json()
    assert detail["remaining_ship_seconds"] == 47 * 3600  # what was left when the hold began

    assert judge(order.ship_by)["judged"] == 0
    assert judge(order.ship_by + SECOND)["judged"] == 1
    assert Violation.objects.get(order=order).judged_at == order.ship_by + SECOND


def test_p1_hold_after_judgement_1_moves_the_next_turn(api, merchant, reviewer, shop_a):
    """A shop promising 1 h: judged once 1 h 1 s after payment, then the
    merchant asks to cancel (within the 2 h window) and the review takes
    10 h. No judgement while held; judgement 2 falls at judgement 1 + 24 h +
    10 h (shown as ``next_judgement_at``), not a second earlier."""
    shop_a.ship_hours = 1
    shop_a.save(update_fields=["ship_hours"])
    paid_at = sh(2026, 3, 2, 23, 0)
    order = order_placed(shop=shop_a, now=paid_at, placed_at=paid_at - timedelta(minutes=20), paid_at=paid_at)
    assert order.ship_by == paid_at + HOUR
    j1 = paid_at + HOUR + SECOND
    assert judge(j1)["judged"] == 1
    request = hold(order, merchant, after_payment=timedelta(minutes=90))
    assert judge(j1 + timedelta(hours=24))["judged"] == 0  # held: the turn has come, the clock has not
    rejected_at = request.requested_at + timedelta(hours=10)
    with at(rejected_at):
        r = api(reviewer).post(f"/api/v1/cancellations/{request.pk}/reject/", {"reason": "不予取消"}, format="json")
    assert r.status_code == 200, r.content
    order.refresh_from_db()
    assert order.ship_by == paid_at + HOUR  # already passed when the hold began: unchanged

    turn = j1 + timedelta(hours=24) + timedelta(hours=10)
    with at(rejected_at):
        listed = api(merchant).get("/api/v1/violations/").json()["results"]
    assert [datetime.fromisoformat(v["next_judgement_at"]) for v in listed] == [turn]
    assert Violation.objects.get(order=order, judgement_no=1).next_judgement_at == turn
    assert judge(turn - SECOND)["judged"] == 0
    assert judge(turn)["judgement_2"] == 1


def test_p1_hold_ended_by_approval_never_judges(api, merchant, reviewer, shop_a):
    """A cancellation approved after the original deadline: the order is
    cancelled, never judged, nothing deducted."""
    order = order_due(shop_a, NOW)
    request = hold(order, merchant)
    judge(NOW + HOUR)
    with at(NOW + timedelta(hours=2)):
        r = api(reviewer).post(f"/api/v1/cancellations/{request.pk}/approve/", format="json")
    assert r.status_code == 200, r.content
    judge(NOW + timedelta(days=2))
    deduct(NOW + timedelta(days=3))
    assert CancellationRequest.objects.get(pk=request.pk).status == "approved"
    assert not Violation.objects.exists() and not DepositEntry.objects.exists()
