"""Demo data for penalties (called by ``seed_demo`` after orders and tickets):
violations at each judgement count, a banned product, a shop on the sanction
list, ledger history (top-ups, deductions, a reversal, a lifted suspension)
and a week of ratings. Everything is made by replaying the real jobs at past
moments, so the rows are exactly what the system would have produced."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from orders.demo import DemoContext
from orders.models import Product
from orders.policy import business_day, day_bounds
from orders.services import ItemSpec, order_place

from .models import Violation
from .services import (
    deductions_run,
    deposit_reverse,
    deposit_top_up,
    ratings_compute,
    shop_lift,
    shop_suspend,
    violations_judge,
)


def _paid_order(ctx: DemoContext, key: str, shop: str, product: Product, paid_at):
    order = order_place(
        shop=ctx.shops[shop],
        buyer_name="赵敏",
        buyer_phone=f"1391234{len(ctx.orders):04d}",
        address="浙江省杭州市西湖区文三路90号",
        items=[ItemSpec(product=product, quantity=1, unit_price=product.price)],
        now=paid_at - timedelta(minutes=3),
        placed_at=paid_at - timedelta(minutes=3),
        paid_at=paid_at,
        by=ctx.users.get("storefront"),
    )
    ctx.orders[key] = order
    return order


def seed(ctx: DemoContext) -> None:
    now = ctx.now
    reviewer = ctx.users["reviewer"]
    day = timedelta(days=1)

    for shop, amount in (("tea", "500.00"), ("fruit", "300.00"), ("digital", "200.00")):
        deposit_top_up(
            shop=ctx.shops[shop], amount=Decimal(amount), by=reviewer, reason="保证金缴纳 (demo)", now=now - 10 * day
        )

    promo, _ = Product.objects.get_or_create(
        shop=ctx.shops["fruit"],
        sku="FRT-ORG-PROMO",
        defaults={"name": "赣南脐橙 特价批次 10kg", "price": Decimal("79.90"), "stock": 100},
    )
    # paid so that ship_by falls 10 min before the replayed judgement runs below
    _paid_order(ctx, "judged_3x", "fruit", promo, now - 5 * day - timedelta(minutes=10))  # 3 judgements, banned
    _paid_order(ctx, "judged_2x", "tea", ctx.products["longjing"], now - 4 * day - timedelta(minutes=10))
    _paid_order(ctx, "judged_1x", "digital", ctx.products["earbuds"], now - 3 * day - timedelta(minutes=10))

    # Replay the judgement job and the nightly batch over the last three days.
    runs = [
        now - 3 * day + timedelta(minutes=5),
        now - 2 * day + timedelta(minutes=5),
        now - day + timedelta(minutes=5),
    ]
    nights = []
    d = business_day(runs[0]) + day
    while d <= business_day(now):
        night = day_bounds(d)[0] + timedelta(minutes=30)
        if night <= now:
            nights.append(night)
        d += day
    for moment in sorted([(m, "judge") for m in runs] + [(m, "deduct") for m in nights]):
        if moment[1] == "judge":
            violations_judge(now=moment[0])
        else:
            deductions_run(now=moment[0])
    violations_judge(now=now)

    # An appeal granted: the tea shop's first deduction is given back.
    wrongful = (
        Violation.objects.filter(order=ctx.orders["judged_2x"], charge_status=Violation.ChargeStatus.CHARGED)
        .order_by("judgement_no")
        .first()
    )
    if wrongful:
        deposit_reverse(
            violation=wrongful, by=reviewer, reason="申诉通过：快递揽收延误 (demo)", now=now - timedelta(hours=2)
        )

    # A suspension that was lifted (history on the sanction log; the shop is active again).
    shop_suspend(shop=ctx.shops["digital"], by=reviewer, reason="多笔订单超时未发货 (demo)", now=now - 6 * day)
    shop_lift(shop=ctx.shops["digital"], by=reviewer, reason="已整改 (demo)", now=now - 5 * day)

    for back in range(7, 0, -1):
        ratings_compute(day=business_day(now) - timedelta(days=back), now=now)
