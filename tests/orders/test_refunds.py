"""F1–F2: refunds go back the original route once; a failure waits for a reviewer."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from orders.models import CancellationRequest, Notification, Refund
from orders.services import cancellation_approve, cancellation_request, refund_issue
from tests.factories import UserFactory, order_placed
from tests.orders.helpers import T0, fresh


@pytest.mark.django_db
def test_f1_failed_refund_moves_to_alternative_route_queue(
    api, merchant, reviewer, shop_a, settings, django_capture_on_commit_callbacks
):
    """The sandbox refuses: the refund is tried once, moves to the alternative
    route, stays pending in the reviewer queue, the merchant is told; a
    reviewer then marks it settled."""
    # given
    settings.REFUND_SANDBOX_FAIL = True
    order = order_placed(shop=shop_a)
    rid = api(merchant).post(f"/api/v1/orders/{order.order_no}/cancel/", {"reason": "out_of_stock"}).json()["id"]
    # when
    with django_capture_on_commit_callbacks(execute=True):
        api(reviewer).post(f"/api/v1/cancellations/{rid}/approve/")
    # then
    refund = Refund.objects.get(order=order)
    assert (refund.route, refund.status, refund.attempts) == ("alternative", "pending", 1)
    assert Notification.objects.filter(shop=shop_a, kind="refund_alternative_route").count() == 1
    # not retried: processing again changes nothing
    from orders.tasks import process_refund, process_refunds

    process_refund(refund.pk)
    process_refunds()
    assert Refund.objects.get(pk=refund.pk).attempts == 1
    from orders.services import refund_settle_alternative

    settled = refund_settle_alternative(refund=refund, by=reviewer, note="银行转账", now=T0)
    assert settled.status == "succeeded" and settled.settled_by == reviewer


@pytest.mark.django_db
def test_f2_refund_issued_once_per_cause(shop_a):
    """A second refund_issue for the same cause returns the same refund and pays nothing more."""
    order = order_placed(shop=shop_a)
    first = refund_issue(order=order, cause="test:1", amount=Decimal("10.00"), now=T0)
    second = refund_issue(order=order, cause="test:1", amount=Decimal("10.00"), now=T0)
    assert first.pk == second.pk and Refund.objects.count() == 1
    assert fresh(order).refunded_amount == Decimal("10.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_f2_two_concurrent_approvals_make_one_refund(shop_a):
    """Two reviewers approve the same request at the same moment on
    PostgreSQL: exactly one approval wins and exactly one refund exists."""
    # given (no group fixtures: a transactional test may run after a flush)
    merchant, reviewer = UserFactory(username="m"), UserFactory(username="r", is_staff=True)
    order = order_placed(shop=shop_a, now=T0)
    request = cancellation_request(order=order, reason="out_of_stock", by=merchant, now=T0)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve():
        try:
            barrier.wait()
            cancellation_approve(cancellation=CancellationRequest.objects.get(pk=request.pk), by=reviewer, now=T0)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    assert sorted(outcomes) == ["cancellation_not_pending", "ok"]
    assert Refund.objects.filter(order=order).count() == 1
    assert fresh(order).refunded_amount == fresh(order).total_amount
