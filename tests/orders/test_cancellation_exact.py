"""C1–C5 (issue 13, ``SCOPE=cancellation``): exact windows, caps, messages,
records, events, refunds and notification texts of
``orders.services.cancellation``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from orders.errors import OrderError
from orders.models import CancellationRequest, Notification, OrderEvent, Refund
from orders.services import cancellation_approve, cancellation_reject, cancellation_request, refund_issue
from orders.services.cancellation import cancel_window_minutes
from tests.factories import ProductFactory, order_placed
from tests.orders.helpers import T0, fresh

pytestmark = pytest.mark.django_db


def _error(call) -> OrderError:
    with pytest.raises(OrderError) as info:
        call()
    return info.value


def _order(shop, at=T0, price="100.00"):
    return order_placed(shop=shop, product=ProductFactory(shop=shop, price=Decimal(price)), now=at)


def test_c4_window_is_the_platforms_narrowed_by_the_shop(shop_a, settings):
    assert cancel_window_minutes(shop_a) == 120
    shop_a.cancel_window_minutes = 30
    assert cancel_window_minutes(shop_a) == 30
    shop_a.cancel_window_minutes = 0
    assert cancel_window_minutes(shop_a) == 0
    settings.PLATFORM = {**settings.PLATFORM, "CANCEL_WINDOW_MINUTES": 20}
    assert cancel_window_minutes(shop_a) == 0
    shop_a.cancel_window_minutes = 90
    assert cancel_window_minutes(shop_a) == 20  # never wider than the platform's


def test_c1_window_closes_one_second_after_the_exact_end(shop_a, merchant):
    """Paid at T0: a request at T0 + 120 min is accepted; at T0 + 120 min 1 s
    refused with the window in the message."""
    late = _order(shop_a)
    err = _error(
        lambda: cancellation_request(
            order=late, reason="out_of_stock", by=merchant, now=T0 + timedelta(minutes=120, seconds=1)
        )
    )
    assert (err.code, err.status) == ("cancel_window_closed", 409)
    assert err.detail == "Cancellation is allowed only within 120 minutes after payment."
    edge = _order(shop_a)
    request = cancellation_request(order=edge, reason="out_of_stock", by=merchant, now=T0 + timedelta(minutes=120))
    assert request.status == "pending_review"
    shop_a.cancel_window_minutes = 30
    shop_a.save()
    narrow = _order(shop_a)
    err = _error(
        lambda: cancellation_request(
            order=narrow, reason="out_of_stock", by=merchant, now=T0 + timedelta(minutes=30, seconds=1)
        )
    )
    assert err.detail == "Cancellation is allowed only within 30 minutes after payment."


@pytest.mark.parametrize(
    ("reason", "detail", "code", "message"),
    [
        ("nope", "", "invalid_reason", "Unknown cancellation reason."),
        ("other", "", "detail_required", "A reason of 'other' needs a detail."),
        ("other", "   ", "detail_required", "A reason of 'other' needs a detail."),
        ("other", None, "detail_required", "A reason of 'other' needs a detail."),
    ],
)
def test_c2_reason_refusals(shop_a, merchant, reason, detail, code, message):
    order = _order(shop_a)
    err = _error(lambda: cancellation_request(order=order, reason=reason, detail=detail, by=merchant, now=T0))
    assert (err.code, err.status, err.detail) == (code, 400, message)
    assert not CancellationRequest.objects.exists()


def test_c5_request_records_everything_and_its_event(shop_a, merchant):
    order = _order(shop_a)
    at = T0 + timedelta(minutes=10)
    request = cancellation_request(order=order, reason="other", detail="  客户要求  ", by=merchant, now=at)
    row = CancellationRequest.objects.get(pk=request.pk)
    assert (row.order_id, row.shop_id, row.reason, row.detail, row.status) == (
        order.pk,
        shop_a.pk,
        "other",
        "客户要求",
        "pending_review",
    )
    assert (row.requested_by_id, row.requested_at, row.decided_at, row.decided_by_id) == (merchant.pk, at, None, None)
    event = OrderEvent.objects.get(order=order, kind="cancel_requested")
    assert (event.note, event.actor_id, event.actor_role, event.created_at) == ("客户要求", merchant.pk, "merchant", at)
    assert event.data == {"cancellation_id": request.pk, "reason": "other"}
    err = _error(lambda: cancellation_request(order=order, reason="out_of_stock", by=merchant, now=at))
    assert (err.code, err.status, err.detail) == (
        "cancellation_pending",
        409,
        "A cancellation request for this order is already pending.",
    )


def test_c1_no_request_on_a_shipped_order(shop_a, merchant):
    from orders.services import order_ship

    order = order_ship(order=_order(shop_a), carrier="SF", tracking_no="1", by=None, now=T0)
    assert _error(lambda: cancellation_request(order=order, reason="out_of_stock", by=merchant, now=T0)).code == (
        "already_shipped"
    )


def test_c4_daily_cap_counts_todays_requests_but_not_rejected_ones(shop_a, merchant, reviewer):
    """Cap 2: two requests today pass, the third is refused with the cap in
    the message; a rejected one frees its place; yesterday's do not count."""
    shop_a.daily_cancel_cap = 2
    shop_a.save()
    yesterday = T0 - timedelta(days=1)
    cancellation_request(order=_order(shop_a, at=yesterday), reason="out_of_stock", by=merchant, now=yesterday)
    first = cancellation_request(order=_order(shop_a), reason="out_of_stock", by=merchant, now=T0)
    cancellation_request(order=_order(shop_a), reason="out_of_stock", by=merchant, now=T0)
    third = _order(shop_a)
    err = _error(lambda: cancellation_request(order=third, reason="out_of_stock", by=merchant, now=T0))
    assert (err.code, err.status) == ("cancel_daily_cap_reached", 409)
    assert err.detail == "This shop allows 2 cancellation requests per day; today's are used."
    cancellation_reject(cancellation=first, reason="有货", by=reviewer, now=T0 + timedelta(minutes=1))
    assert cancellation_request(order=third, reason="out_of_stock", by=merchant, now=T0 + timedelta(minutes=2))
    # the Shanghai day starts at 16:00 UTC: a request at 15:59:59 UTC is still today's
    shop_a.daily_cancel_cap = 3
    shop_a.save()
    end = T0.replace(hour=15, minute=59, second=59)
    fourth = _order(shop_a, at=end - timedelta(minutes=1))
    assert cancellation_request(order=fourth, reason="out_of_stock", by=merchant, now=end)
    fifth = _order(shop_a, at=end - timedelta(minutes=1))
    assert _error(lambda: cancellation_request(order=fifth, reason="out_of_stock", by=merchant, now=end)).code == (
        "cancel_daily_cap_reached"
    )
    assert cancellation_request(order=fifth, reason="out_of_stock", by=merchant, now=end + timedelta(seconds=1))


def test_c4_a_cap_of_zero_refuses_every_request(shop_a, merchant):
    shop_a.daily_cancel_cap = 0
    shop_a.save()
    err = _error(lambda: cancellation_request(order=_order(shop_a), reason="out_of_stock", by=merchant, now=T0))
    assert err.detail == "This shop allows 0 cancellation requests per day; today's are used."


def test_c3_approve_cancels_refunds_the_rest_and_notifies(shop_a, merchant, reviewer):
    order = _order(shop_a)
    refund_issue(order=order, cause="earlier", amount=Decimal("25.00"), now=T0)
    request = cancellation_request(order=order, reason="quality_issue", by=merchant, now=T0 + timedelta(minutes=5))
    at = T0 + timedelta(hours=1)
    decided = cancellation_approve(cancellation=request, by=reviewer, now=at)
    row = CancellationRequest.objects.get(pk=request.pk)
    assert (row.status, row.decided_by_id, row.decided_at) == ("approved", reviewer.pk, at)
    assert decided.status == "approved"
    o = fresh(order)
    assert (o.status, o.cancelled_at, o.refunded_amount) == ("cancelled", at, Decimal("100.00"))
    refund = Refund.objects.get(cause=f"cancellation:{request.pk}")
    assert (refund.amount, refund.order_id, refund.created_at) == (Decimal("75.00"), order.pk, at)
    event = OrderEvent.objects.get(order=order, kind="cancelled")
    assert (event.from_status, event.to_status, event.actor_id, event.actor_role, event.created_at) == (
        "awaiting_shipment",
        "cancelled",
        reviewer.pk,
        "reviewer",
        at,
    )
    assert event.data == {"cancellation_id": request.pk, "reason": "quality_issue"}
    note = Notification.objects.get(shop=shop_a, kind="cancellation_approved")
    assert note.title == f"Cancellation of order {order.order_no} approved"
    assert note.body == "The order is cancelled and the buyer is refunded in full."
    assert note.data == {"order_no": order.order_no, "cancellation_id": request.pk}
    assert note.dedupe_key == f"cancellation_decided:{request.pk}"
    err = _error(lambda: cancellation_approve(cancellation=request, by=reviewer, now=at))
    assert (err.code, err.status, err.detail) == (
        "cancellation_not_pending",
        409,
        "This request was already decided (Approved).",
    )
    err = _error(lambda: cancellation_reject(cancellation=request, reason="x", by=reviewer, now=at))
    assert err.code == "cancellation_not_pending"


def test_c3_reject_keeps_the_order_resumes_the_clock_and_notifies(shop_a, merchant, reviewer):
    """Held 30 minutes: ship_by moves 30 minutes later, the event says so."""
    order = _order(shop_a)
    ship_by = fresh(order).ship_by
    asked = T0 + timedelta(minutes=10)
    request = cancellation_request(order=order, reason="out_of_stock", by=merchant, now=asked)
    err = _error(lambda: cancellation_reject(cancellation=request, reason="  ", by=reviewer, now=asked))
    assert (err.code, err.status, err.detail) == ("reason_required", 400, "A rejection needs a reason.")
    err = _error(lambda: cancellation_reject(cancellation=request, reason=None, by=reviewer, now=asked))
    assert err.code == "reason_required"
    at = asked + timedelta(minutes=30)
    cancellation_reject(cancellation=request, reason="  有库存  ", by=reviewer, now=at)
    row = CancellationRequest.objects.get(pk=request.pk)
    assert (row.status, row.decided_by_id, row.decided_at, row.decision_reason) == (
        "rejected",
        reviewer.pk,
        at,
        "有库存",
    )
    o = fresh(order)
    assert (o.status, o.ship_by, o.cancelled_at) == ("awaiting_shipment", ship_by + timedelta(minutes=30), None)
    event = OrderEvent.objects.get(order=order, kind="cancel_rejected")
    assert (event.note, event.actor_id, event.created_at) == ("有库存", reviewer.pk, at)
    assert event.data == {
        "cancellation_id": request.pk,
        "held_seconds": 1800,
        "ship_by_before": ship_by.isoformat(),
        "ship_by": (ship_by + timedelta(minutes=30)).isoformat(),
    }
    note = Notification.objects.get(shop=shop_a, kind="cancellation_rejected")
    assert note.title == f"Cancellation of order {order.order_no} rejected"
    assert (note.body, note.data) == ("有库存", {"order_no": order.order_no, "cancellation_id": request.pk})
    assert note.dedupe_key == f"cancellation_decided:{request.pk}"
    assert not Refund.objects.exists()
    err = _error(lambda: cancellation_approve(cancellation=request, by=reviewer, now=at))
    assert err.detail == "This request was already decided (Rejected)."
