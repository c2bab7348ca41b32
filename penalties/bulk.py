"""Violations for ``manage.py seed_bulk`` (issue 7): the history of a real
platform, so the judgement benchmark still finds the data set's 10 % overdue
orders *newly* overdue.

One completed order in 50 of this run shipped 6 h late and was judged once
(P1), charged 10.00 the next day (P3) through the ledger (P8): each bench
shop gets a 5,000.00 top-up, then one deduction entry per charged violation,
and ``Shop.deposit_balance`` ends as the sum of its entries.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import DateTimeField, ExpressionWrapper, F, IntegerField
from django.db.models.functions import Greatest, Mod

from orders.bulk import BulkContext
from orders.models import Order, Shop
from orders.policy import business_day

EVERY = 50
FEE = Decimal("10.00")
TOP_UP = Decimal("5000.00")
LATE = timedelta(hours=6)


def seed(ctx: BulkContext) -> None:
    try:
        Violation = apps.get_model("penalties", "Violation")
        DepositEntry = apps.get_model("penalties", "DepositEntry")
    except LookupError:  # the penalties models are not merged yet
        return
    late = (
        Order.objects.filter(id__gt=ctx.first_order_id, status=Order.Status.COMPLETED)
        .annotate(m=Mod("id", EVERY, output_field=IntegerField()))
        .filter(m=0)
    )
    late.update(
        shipped_at=ExpressionWrapper(F("ship_by") + LATE, output_field=DateTimeField()),
        completed_at=Greatest(
            F("completed_at"), ExpressionWrapper(F("ship_by") + LATE * 2, output_field=DateTimeField())
        ),
    )
    rows = list(Order.objects.filter(pk__in=late.values("pk")).values_list("id", "shop_id", "ship_by").order_by("id"))
    violations = []
    for order_id, shop_id, ship_by in rows:
        judged = ship_by + timedelta(minutes=5)
        violations.append(
            Violation(
                order_id=order_id,
                shop_id=shop_id,
                judgement_no=1,
                judged_at=judged,
                judgement_day=business_day(judged),
                charge_status=Violation.ChargeStatus.CHARGED,
                charged_amount=FEE,
                settled_at=judged + timedelta(days=1),
            )
        )
    Violation.objects.bulk_create(violations, batch_size=2000, ignore_conflicts=True)
    charged = Violation.objects.filter(order__in=late.values("pk"), judgement_no=1)
    entries, balance = [], {}
    for shop_id in ctx.shop_ids:
        balance[shop_id] = Shop.objects.filter(pk=shop_id).values_list("deposit_balance", flat=True)[0] + TOP_UP
        entries.append(
            DepositEntry(
                shop_id=shop_id,
                kind=DepositEntry.Kind.TOP_UP,
                amount=TOP_UP,
                balance_after=balance[shop_id],
                created_at=ctx.now - timedelta(days=200),
                reason="seed_bulk",
            )
        )
    for v in charged.order_by("judged_at", "id").values("id", "shop_id", "settled_at", "judgement_day"):
        balance[v["shop_id"]] -= FEE
        entries.append(
            DepositEntry(
                shop_id=v["shop_id"],
                kind=DepositEntry.Kind.DEDUCTION,
                amount=-FEE,
                violation_id=v["id"],
                balance_after=balance[v["shop_id"]],
                created_at=v["settled_at"],
                business_day=v["judgement_day"] + timedelta(days=1),  # P3: the day after the judgement
            )
        )
    DepositEntry.objects.bulk_create(entries, batch_size=2000)
    for shop_id, value in balance.items():
        Shop.objects.filter(pk=shop_id).update(deposit_balance=value)
    ctx.summary["violations"] = len(violations)
    # The history is settled: the nightly batch starts after it, as on a platform
    # that has run for years (see penalties.services.deductions).
    if not Violation.objects.exclude(charge_status=Violation.ChargeStatus.CHARGED).exists():
        from .services.deductions import deductions_mark_set

        deductions_mark_set((Violation.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1)
