"""Money integrity under random sequences (issue 8 point 5), with hypothesis.

Random sequences of top-ups, order placements, judgements (the real job, the
clock travelling a day at a time), deduction batches, reversals, refunds from
cancellations and after-sales, and double approvals must always leave:

* P8: each shop's ``deposit_balance`` equal to the sum of its ledger entries,
  and each entry's ``balance_after`` the running sum in entry order;
* F2: one refund per cause, at most one deduction and one reversal per
  judgement, and each order's ``refunded_amount`` equal to the sum of its
  refunds and never above its total.

Bounded: a few examples of at most a dozen steps (``max_examples`` below).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Count, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.errors import DomainError
from orders.models import Order, Refund, Shop
from orders.services import after_sale_approve, after_sale_open, cancellation_approve, cancellation_request
from penalties.models import DepositEntry, Violation
from penalties.services import deposit_reverse, deposit_top_up
from penalties.tasks import judge_overdue_shipments, run_deductions
from tests.factories import ProductFactory, order_placed

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Asia/Shanghai

amounts = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) / 100)
steps = st.one_of(
    st.tuples(st.just("next_day_judge"), st.just(None)),
    st.tuples(st.just("deduct"), st.just(None)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("place"), st.integers(min_value=1, max_value=3)),
    st.tuples(st.just("top_up"), amounts),
    st.tuples(st.just("cancel"), st.booleans()),
    st.tuples(st.just("after_sale"), st.tuples(st.integers(min_value=1, max_value=100), st.booleans())),
)


class World:
    def __init__(self, shop, merchant, reviewer):
        self.shop, self.merchant, self.reviewer = shop, merchant, reviewer
        self.product = ProductFactory(shop=shop, price=Decimal("30.00"))
        self.now = T0
        self.clock = T0

    def run(self, step, arg):
        with time_machine.travel(self.now, tick=False):
            getattr(self, step)(arg)
        self.now += timedelta(minutes=1)

    def top_up(self, amount):
        deposit_top_up(shop=self.shop, amount=amount, by=self.reviewer, reason="wire", now=self.now)

    def place(self, quantity):
        order_placed(shop=self.shop, product=self.product, quantity=quantity, now=self.now)

    def next_day_judge(self, _):
        self.now += timedelta(hours=25)
        with time_machine.travel(self.now, tick=False):
            judge_overdue_shipments.apply(throw=True)

    def deduct(self, _):
        run_deductions.apply(throw=True)

    def reverse(self, index):
        charged = list(Violation.objects.filter(charge_status="charged").order_by("pk"))
        if charged:
            deposit_reverse(violation=charged[index % len(charged)], by=self.reviewer, reason="appeal", now=self.now)

    def cancel(self, twice):
        order = order_placed(shop=self.shop, product=self.product, now=self.now)
        request = cancellation_request(order=order, reason="out_of_stock", by=self.merchant, now=self.now)
        cancellation_approve(cancellation=request, by=self.reviewer, now=self.now)
        if twice:
            with pytest.raises(DomainError):
                cancellation_approve(cancellation=request, by=self.reviewer, now=self.now)

    def after_sale(self, arg):
        percent, twice = arg
        order = order_placed(shop=self.shop, product=self.product, now=self.now)
        amount = (order.total_amount * percent / 100).quantize(Decimal("0.01")) or Decimal("0.01")
        request = after_sale_open(order=order, type="refund_only", reason="wrong_item", amount=amount, now=self.now)
        after_sale_approve(after_sale=request, by=self.merchant, now=self.now)
        if twice:
            with pytest.raises(DomainError):
                after_sale_approve(after_sale=request, by=self.merchant, now=self.now)


def assert_money_invariants():
    for shop in Shop.objects.all():
        running = Decimal("0.00")
        for amount, balance_after in (
            DepositEntry.objects.filter(shop=shop).order_by("pk").values_list("amount", "balance_after")
        ):
            running += amount
            assert balance_after == running, f"shop {shop.pk}: balance_after {balance_after} != {running}"
        assert shop.deposit_balance == running, f"shop {shop.pk}: balance {shop.deposit_balance} != ledger {running}"
    assert (
        not DepositEntry.objects.filter(violation__isnull=False)
        .values("violation", "kind")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert Refund.objects.values("cause").distinct().count() == Refund.objects.count()
    for order in Order.objects.annotate(refunds_sum=Sum("refunds__amount")):
        assert order.refunded_amount == (order.refunds_sum or Decimal("0.00")), order.order_no
        assert order.refunded_amount <= order.total_amount, order.order_no


@pytest.mark.django_db
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=1, max_size=12))
def test_p8_f2_ledger_and_refund_invariants_hold_after_random_operations(sequence, shop_a, merchant, reviewer):
    """Given any sequence of money operations on a shop (hypothesis), when it
    runs through the real services and jobs, then the ledger and refund
    invariants hold after every step."""
    world = World(shop_a, merchant, reviewer)
    # Every example starts with an order judged and charged, so reversals,
    # re-judgements and later batches have something to work on.
    prologue = [("place", 1), ("next_day_judge", None), ("next_day_judge", None), ("next_day_judge", None)]
    for step, arg in [*prologue, ("deduct", None), *sequence]:
        world.run(step, arg)
        assert_money_invariants()
