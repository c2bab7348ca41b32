"""O6/P7 exactly (issue 13, mutation testing): what the lifecycle jobs write,
row by row, through the beat tasks: the timeline entries' kind, note, data,
actor and time on the order and on the ticket; the W1 events a closing
pushes; the decision texts; and that nothing of another order is touched."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from orders.models import Actor, AfterSale, CancellationRequest, Order, OrderEvent
from orders.tasks import close_unpaid
from orders.webhooks.models import WebhookEvent
from penalties.tasks import auto_close_orders
from tests.factories import order_placed
from tickets.models import Ticket, TicketEvent

from .helpers import T0, fresh

pytestmark = pytest.mark.django_db
AUTO_CLOSE = timedelta(days=150)


@pytest.fixture(autouse=True)
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


def _at(moment, fn, *args, **kwargs):
    with time_machine.travel(moment, tick=False):
        return fn(*args, **kwargs)


def _ok(response, status=201):
    assert response.status_code == status, response.content
    return response.json()


def _open_after_sale(api, storefront, order, at):
    return _ok(
        _at(
            at,
            api(storefront).post,
            "/api/v1/intake/after-sales/",
            {"order_no": order.order_no, "type": "refund_only", "reason": "quality_issue", "amount": "10.00"},
            format="json",
        )
    )


def _open_ticket(api, support, order, at, service_type="urge_shipment", description="催发货"):
    return _at(
        at,
        api(support).post,
        "/api/v1/tickets/",
        {"order_no": order.order_no, "service_type": service_type, "description": description},
        format="json",
    )


def _pending_everything(api, merchant, storefront, support, order, placed):
    """A pending cancellation request, a pending after-sale and an open ticket on ``order``."""
    _ok(
        _at(
            placed + timedelta(hours=7),
            api(merchant).post,
            f"/api/v1/orders/{order.order_no}/cancel/",
            {"reason": "out_of_stock"},
            format="json",
        )
    )
    _open_after_sale(api, storefront, order, placed + timedelta(days=1))
    return _ok(_open_ticket(api, support, order, placed + timedelta(days=2)))["ticket_no"]


def test_p7_auto_close_resolves_exactly_what_the_closed_order_had_pending(api, merchant, storefront, support, shop_a):
    _ok(
        api(merchant).post(
            "/api/v1/webhooks/",
            {
                "shop": shop_a.pk,
                "url": "http://127.0.0.1:9399/hook",
                "events": ["ticket.closed", "cancellation.decided", "after_sale.decided"],
            },
            format="json",
        )
    )
    placed = T0 - AUTO_CLOSE
    closing = order_placed(shop=shop_a, placed_at=placed, paid_at=placed + timedelta(hours=6), now=placed)
    young = placed + timedelta(days=1)
    staying = order_placed(shop=shop_a, placed_at=young, paid_at=young + timedelta(hours=6), now=young)
    ticket_no = _pending_everything(api, merchant, storefront, support, closing, placed)
    kept_ticket_no = _pending_everything(api, merchant, storefront, support, staying, young)
    # a ticket of the closing order that was already closed: left as it is
    old = Ticket.objects.get(ticket_no=ticket_no)
    # A number of the same shape that no ticket has (the generated ones end in a random digit).
    taken = set(Ticket.objects.values_list("ticket_no", flat=True))
    done_no = next(n for n in (ticket_no[:-1] + d for d in "0123456789") if n not in taken)
    done = Ticket.objects.create(
        ticket_no=done_no,
        order=closing,
        shop=shop_a,
        service_type=old.service_type,
        description="已处理",
        status=Ticket.Status.CLOSED,
        outcome=Ticket.Outcome.AGREED,
        handle_deadline=old.handle_deadline,
        opened_by=old.opened_by,
        closed_at=placed + timedelta(days=3),
        created_at=old.created_at,
    )
    before = fresh(closing).updated_at

    summary = _at(T0, auto_close_orders)

    assert (summary["closed"], summary["cancellations"], summary["after_sales"], summary["tickets"]) == (1, 1, 1, 1)
    request = CancellationRequest.objects.get(order=closing)
    why = "The order was closed automatically, not shipped within 150 days (P7)."
    sale = AfterSale.objects.get(order=closing)
    ticket = Ticket.objects.get(ticket_no=ticket_no)
    assert (request.status, request.decided_at, request.decision_reason) == ("closed", T0, why)
    assert (sale.status, sale.decided_at, sale.decision_note) == ("closed", T0, why)
    assert (ticket.status, ticket.outcome, ticket.closed_at) == ("closed", "order_closed", T0)
    assert fresh(closing).in_after_sale is False and fresh(closing).updated_at > before
    resolved = OrderEvent.objects.filter(
        order=closing, kind__in=["cancellation_closed", "after_sale_closed", "ticket_closed"]
    )
    assert sorted(resolved.values_list("kind", "actor_role", "note", "data", "created_at", "actor_id")) == [
        ("after_sale_closed", Actor.SYSTEM, why, {"after_sale_id": sale.pk}, T0, None),
        ("cancellation_closed", Actor.SYSTEM, why, {"cancellation_id": request.pk}, T0, None),
        ("ticket_closed", Actor.SYSTEM, why, {"ticket_id": ticket.pk}, T0, None),
    ]
    [closed] = TicketEvent.objects.filter(ticket=ticket, kind="order_closed")
    assert (closed.actor_role, closed.from_status, closed.to_status, closed.note, closed.created_at) == (
        TicketEvent.ActorRole.SYSTEM,
        "pending",
        "closed",
        why,
        T0,
    )
    done.refresh_from_db()
    assert done.outcome == "agreed" and not done.events.filter(kind="order_closed").exists()
    # W1: the ticket's closing and the two decisions by the rule
    pushed = {e.type: json.loads(e.body) for e in WebhookEvent.objects.filter(shop=shop_a)}
    assert pushed["ticket.closed"]["data"]["ticket_no"] == ticket_no
    assert pushed["ticket.closed"]["data"]["outcome"] == "order_closed"
    assert pushed["cancellation.decided"]["data"]["event"] == {
        "kind": "cancellation_closed",
        "note": why,
        "data": {"cancellation_id": request.pk},
    }
    assert pushed["after_sale.decided"]["data"]["event"]["data"] == {"after_sale_id": sale.pk}
    assert WebhookEvent.objects.filter(shop=shop_a, type="ticket.closed").count() == 1
    # the other order's pending items are untouched
    assert fresh(staying).status == Order.Status.AWAITING_SHIPMENT and fresh(staying).in_after_sale
    assert CancellationRequest.objects.get(order=staying).status == "pending_review"
    assert AfterSale.objects.get(order=staying).status == "pending"
    assert Ticket.objects.get(ticket_no=kept_ticket_no).status == "pending"
    assert not OrderEvent.objects.filter(order=staying, kind__endswith="_closed").exists()


def test_o6_unpaid_close_in_chunks_counts_and_records_every_order(api, shop_a, settings):
    """Three unpaid orders closed by chunks of one: all three closed and
    counted, each with its timeline entry (kind, from → to, the rule's note,
    no actor, the run's time); an order closed before is not counted again."""
    from orders.services.lifecycle import orders_close_unpaid

    placed = T0 - timedelta(minutes=31)
    unpaid = [order_placed(shop=shop_a, placed_at=placed, now=placed, paid=False) for _ in range(3)]
    assert orders_close_unpaid(now=T0, chunk=1) == {"closed": 3}
    rows = OrderEvent.objects.filter(kind="closed_unpaid").order_by("order_id")
    assert list(rows.values_list("order_id", "from_status", "to_status", "note", "actor_role", "created_at")) == [
        (o.pk, "pending_payment", "closed", "Not paid within 30 minutes: closed (O6).", Actor.SYSTEM, T0)
        for o in unpaid
    ]
    assert {fresh(o).closed_at for o in unpaid} == {T0}
    late = order_placed(shop=shop_a, placed_at=T0, now=T0, paid=False)
    assert _at(T0 + timedelta(minutes=30), close_unpaid) == {"closed": 1}
    assert fresh(late).status == Order.Status.CLOSED


def test_p7_nothing_to_resolve_counts_nothing():
    from orders.services.lifecycle import pending_resolve

    assert pending_resolve(order_ids=[], now=T0, why="x") == {"cancellations": 0, "after_sales": 0, "tickets": 0}


def test_o6_completion_is_per_order_and_leaves_open_tickets_alone(api, storefront, merchant, support, shop_a):
    """Another order's open after-sale does not hold this one; completing an
    order resolves nothing (its open ticket stays with support); the
    timeline entry says why, in the rule's words."""
    from orders.services.lifecycle import order_delivered, orders_complete_delivered
    from orders.services.shipping import order_ship

    done, disputed = (order_placed(shop=shop_a, now=T0, paid_at=T0) for _ in range(2))
    delivered = T0 + timedelta(days=1)
    for order in (done, disputed):
        order_ship(order=order, carrier="SF", tracking_no=f"SF{order.pk}", by=None, now=T0 + timedelta(hours=2))
        order_delivered(order=order, delivered_at=delivered, now=delivered)
    _open_after_sale(api, storefront, disputed, delivered + timedelta(hours=1))
    opened = _open_ticket(api, support, done, delivered + timedelta(hours=2), "logistics_query", "查物流")
    ticket_no = _ok(opened)["ticket_no"]
    run_at = delivered + timedelta(days=10)
    assert orders_complete_delivered(now=run_at) == {"completed": 1}
    assert fresh(done).status == Order.Status.COMPLETED and fresh(disputed).status == Order.Status.SHIPPED
    entry = OrderEvent.objects.get(order=done, kind="completed")
    assert (entry.note, entry.from_status, entry.to_status, entry.created_at) == (
        "Delivered 10 days ago without an open after-sale: completed (O6).",
        "shipped",
        "completed",
        run_at,
    )
    assert Ticket.objects.get(ticket_no=ticket_no).status == "pending"
    assert not OrderEvent.objects.filter(order=done, kind="ticket_closed").exists()


def test_o6_closing_an_unpaid_order_closes_its_open_ticket(api, support, shop_a):
    placed = T0 - timedelta(minutes=31)
    unpaid = order_placed(shop=shop_a, placed_at=placed, now=placed, paid=False)
    response = _open_ticket(api, support, unpaid, placed + timedelta(minutes=1), "logistics_query", "买家咨询")
    assert response.status_code == 201, response.content
    assert _at(T0, close_unpaid) == {"closed": 1}
    ticket = Ticket.objects.get(ticket_no=response.json()["ticket_no"])
    assert (ticket.status, ticket.outcome, ticket.closed_at) == ("closed", "order_closed", T0)
    entry = OrderEvent.objects.get(order=unpaid, kind="ticket_closed")
    assert (entry.note, entry.created_at, entry.data) == (
        "Not paid within 30 minutes: closed (O6).",
        T0,
        {"ticket_id": ticket.pk},
    )
