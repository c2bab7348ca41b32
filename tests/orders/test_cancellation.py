"""C1–C5: cancellation requested by the merchant, decided by a reviewer."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from orders.models import CancellationRequest, Notification, Refund
from tests.factories import order_placed
from tests.orders.helpers import T0, fresh

pytestmark = pytest.mark.django_db


def _cancel(api, user, order, **body):
    return api(user).post(f"/api/v1/orders/{order.order_no}/cancel/", body or {"reason": "out_of_stock"}, format="json")


def test_c1_cancel_refused_after_2h(api, merchant, shop_a):
    """Within 2 h of payment the request is accepted; after, 409 cancel_window_closed."""
    # given
    early = order_placed(shop=shop_a, now=T0)
    late = order_placed(shop=shop_a, now=T0)
    # when
    with time_machine.travel(T0 + timedelta(minutes=119), tick=False):
        ok = _cancel(api, merchant, early)
    with time_machine.travel(T0 + timedelta(minutes=121), tick=False):
        refused = _cancel(api, merchant, late)
    # then
    assert ok.status_code == 201 and ok.json()["status"] == "pending_review"
    assert refused.status_code == 409 and refused.json()["code"] == "cancel_window_closed"
    assert not CancellationRequest.objects.filter(order=late).exists()


def test_c1_cancel_refused_once_shipped(api, merchant, shop_a):
    order = order_placed(shop=shop_a)
    api(merchant).post(f"/api/v1/orders/{order.order_no}/ship/", {"carrier": "SF", "tracking_no": "1"})
    response = _cancel(api, merchant, order)
    assert response.status_code == 409 and response.json()["code"] == "already_shipped"


def test_c2_reason_required_and_other_needs_detail(api, merchant, shop_a):
    """Unknown reason → 400; `other` with a blank detail → 400; with a detail → 201."""
    order = order_placed(shop=shop_a)
    unknown = _cancel(api, merchant, order, reason="bored")
    blank = _cancel(api, merchant, order, reason="other", detail="   ")
    missing = api(merchant).post(f"/api/v1/orders/{order.order_no}/cancel/", {}, format="json")
    assert unknown.status_code == blank.status_code == missing.status_code == 400
    assert not CancellationRequest.objects.exists()
    ok = _cancel(api, merchant, order, reason="other", detail="买家地址无法送达")
    assert ok.status_code == 201 and ok.json()["detail"] == "买家地址无法送达"


def test_c3_approve_cancels_and_refunds_in_full_and_notifies(
    api, merchant, reviewer, shop_a, django_capture_on_commit_callbacks
):
    """Approve → order cancelled, one full refund on the original route, merchant notified;
    one pending request per order."""
    # given
    order = order_placed(shop=shop_a, quantity=2)
    request_id = _cancel(api, merchant, order).json()["id"]
    duplicate = _cancel(api, merchant, order, reason="quality_issue")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "cancellation_pending"
    # a merchant cannot decide
    assert api(merchant).post(f"/api/v1/cancellations/{request_id}/approve/").status_code == 403
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api(reviewer).post(f"/api/v1/cancellations/{request_id}/approve/")
    # then
    assert response.status_code == 200 and response.json()["status"] == "approved"
    order = fresh(order)
    assert order.status == "cancelled" and order.refunded_amount == order.total_amount == Decimal("198.00")
    refund = Refund.objects.get(order=order)
    assert (refund.route, refund.status, refund.amount) == ("original", "succeeded", Decimal("198.00"))
    assert Notification.objects.filter(shop=shop_a, kind="cancellation_approved").count() == 1
    again = api(reviewer).post(f"/api/v1/cancellations/{request_id}/approve/")
    assert again.status_code == 409 and again.json()["code"] == "cancellation_not_pending"
    assert Refund.objects.count() == 1


def test_c3_reject_needs_reason_keeps_order_and_notifies(api, merchant, reviewer, shop_a):
    order = order_placed(shop=shop_a)
    request_id = _cancel(api, merchant, order).json()["id"]
    no_reason = api(reviewer).post(f"/api/v1/cancellations/{request_id}/reject/", {"reason": " "}, format="json")
    assert no_reason.status_code == 400
    response = api(reviewer).post(f"/api/v1/cancellations/{request_id}/reject/", {"reason": "有库存"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert fresh(order).status == "awaiting_shipment" and not Refund.objects.exists()
    note = Notification.objects.get(shop=shop_a, kind="cancellation_rejected")
    assert note.body == "有库存"
    listed = api(merchant).get("/api/v1/notifications/").json()["results"]
    assert [n["kind"] for n in listed] == ["cancellation_rejected"]


def test_c4_shop_window_narrowed_and_daily_cap(api, merchant, shop_a):
    """A shop's 30-minute window refuses at 31 min; its cap of 1 a day refuses
    the second request that Asia/Shanghai day and allows one the next day."""
    shop_a.cancel_window_minutes = 30
    shop_a.daily_cancel_cap = 1
    shop_a.save()
    late = order_placed(shop=shop_a, now=T0)
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        r = _cancel(api, merchant, late)
    assert r.status_code == 409 and r.json()["code"] == "cancel_window_closed"
    a, b = order_placed(shop=shop_a, now=T0), order_placed(shop=shop_a, now=T0)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert _cancel(api, merchant, a).status_code == 201
        capped = _cancel(api, merchant, b)
    assert capped.status_code == 409 and capped.json()["code"] == "cancel_daily_cap_reached"
    # 16:00 UTC is midnight in Shanghai: a new day, a fresh cap
    next_day = T0.replace(hour=16, minute=1)
    c = order_placed(shop=shop_a, now=next_day)
    with time_machine.travel(next_day + timedelta(minutes=1), tick=False):
        assert _cancel(api, merchant, c).status_code == 201


def test_c5_record_keeps_who_and_when(api, merchant, reviewer, shop_a):
    """The request keeps order, reason, detail, who/when asked and who/when decided."""
    order = order_placed(shop=shop_a, now=T0)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        rid = _cancel(api, merchant, order, reason="other", detail="客户要求").json()["id"]
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        api(reviewer).post(f"/api/v1/cancellations/{rid}/approve/")
    row = CancellationRequest.objects.get(pk=rid)
    assert (row.order_id, row.reason, row.detail) == (order.pk, "other", "客户要求")
    assert row.requested_by == merchant and row.requested_at == T0 + timedelta(minutes=10)
    assert row.decided_by == reviewer and row.decided_at == T0 + timedelta(minutes=40)
    listed = api(reviewer).get(f"/api/v1/cancellations/?order_no={order.order_no}&status=approved").json()
    assert [r["id"] for r in listed["results"]] == [rid]
    detail = api(merchant).get(f"/api/v1/orders/{order.order_no}/").json()
    assert detail["cancellation"]["status"] == "approved"
