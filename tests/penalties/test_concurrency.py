"""PostgreSQL only: two workers running the same job at once judge nothing
twice and charge nothing twice (P1/P2/P3), even without the advisory lock."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count

from orders.models import Notification, Order, OrderEvent, Shop
from orders.timeline import order_timeline
from penalties.models import DepositEntry, Violation
from penalties.services import _sql, deductions_run, violations_judge
from tests.factories import ProductFactory, ShopFactory, order_placed

from .conftest import sh

T = sh(2026, 3, 2, 10, 0)


def run_in_threads(fn, n=2):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker(i):
        try:
            barrier.wait()
            results.append(fn(i))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


@pytest.fixture(params=["advisory_lock", "constraints_only"])
def lock_mode(request, monkeypatch):
    if request.param == "constraints_only":
        monkeypatch.setattr(_sql, "advisory_lock", lambda name: None)
        from penalties.services import deductions, judgement

        monkeypatch.setattr(judgement, "advisory_lock", lambda name: None)
        monkeypatch.setattr(deductions, "advisory_lock", lambda name: None)
    return request.param


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_p1_p3_two_workers_judge_and_deduct_concurrently_without_duplicates(lock_mode):
    """Two workers judge the same overdue orders at the same moments and then
    run the same night's deduction batch at once: one violation per (order,
    judgement), one event each, one notification per shop per run, one
    deduction per violation, balances equal to their ledgers."""
    shops = [ShopFactory() for _ in range(2)]
    for shop in shops:
        product = ProductFactory(shop=shop)
        for i in range(30):
            order_placed(shop=shop, product=product, now=T, paid_at=T + timedelta(seconds=i))
    j1 = T + timedelta(hours=49)

    for k in range(3):
        moment = j1 + timedelta(hours=24 * k)
        results = run_in_threads(lambda i, moment=moment: violations_judge(now=moment + timedelta(microseconds=i)))
        assert sum(r["judged"] for r in results) == 60

    assert Violation.objects.count() == 180
    assert not Violation.objects.values("order", "judgement_no").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not OrderEvent.objects.filter(kind="overdue_judged").exists()  # on the timeline from the violations
    assert sum(e.kind == "overdue_judged" for order in Order.objects.all() for e in order_timeline(order)) == 180
    assert Notification.objects.filter(kind="overdue_judged").count() == 6  # 2 shops × 3 runs with judgements

    for day in (5, 6, 7):
        run_in_threads(lambda i, day=day: deductions_run(now=sh(2026, 3, day, 0, 30)))
    assert DepositEntry.objects.filter(kind="deduction").count() == 120  # judgements 1 and 2 of 60 orders
    assert not DepositEntry.objects.values("violation").annotate(n=Count("id")).filter(n__gt=1).exists()
    for shop in Shop.objects.filter(pk__in=[s.pk for s in shops]):
        assert shop.deposit_balance == Decimal("-600.00")
        last = DepositEntry.objects.filter(shop=shop).order_by("-id").first()
        assert last.balance_after == shop.deposit_balance


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_p3_same_batch_twice_at_once_charges_once():
    """The very same run (same moment) started twice at once charges once."""
    shop = ShopFactory()
    for i in range(5):
        order_placed(shop=shop, now=T, paid_at=T + timedelta(seconds=i))
    violations_judge(now=T + timedelta(hours=49))
    moment = sh(2026, 3, 5, 0, 30)
    results = run_in_threads(lambda i: deductions_run(now=moment))
    assert sorted(r["charged"] for r in results) == [0, 5]
    shop.refresh_from_db()
    assert shop.deposit_balance == Decimal("-50.00")
    assert DepositEntry.objects.filter(shop=shop).count() == 5
