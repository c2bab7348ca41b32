"""Demo world for ``seed_demo``: users, shops, products and orders.

Other apps add theirs in their own ``demo.py`` (``seed(ctx)``), called in
app order after this one, so ``orders`` never imports them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from .models import Product, Shop, ShopMembership
from .roles import INTAKE, REVIEWER, SUPPORT
from .services import ItemSpec, order_place
from .verification.services import user_phone_set

PASSWORD = "demo-pass-123"
LOGINS = [
    ("reviewer", "platform reviewer (admin)"),
    ("support", "support staff (admin + API)"),
    ("storefront", "order intake system user (API)"),
    ("merchant", "merchant, member of 2 shops (API)"),
    ("merchant2", "merchant, member of 1 other shop (API)"),
]


@dataclass
class DemoContext:
    now: datetime
    users: dict = field(default_factory=dict)
    shops: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)
    orders: dict = field(default_factory=dict)


# K1: every demo login has a registered phone (the dev SMS backend logs the code).
PHONES = {
    "reviewer": "13900000001",
    "support": "13900000002",
    "storefront": "13900000003",
    "merchant": "13900000004",
    "merchant2": "13900000005",
    "admin": "13900000006",
}


def _user(username: str, *, staff: bool = False, group: str | None = None):
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
    user.is_staff = staff
    user.set_password(PASSWORD)
    user.save()
    if group:
        user.groups.add(Group.objects.get(name=group))
    user_phone_set(user=user, phone=PHONES[username], now=timezone.now())
    return user


def _order(ctx: DemoContext, key: str, shop: str, product: str, *, placed_ago: timedelta, paid: bool = True, qty=1):
    p = ctx.products[product]
    placed_at = ctx.now - placed_ago
    order = order_place(
        shop=ctx.shops[shop],
        buyer_name=["张伟", "王芳", "李娜", "刘洋", "陈静"][len(ctx.orders) % 5],
        buyer_phone=f"1381234{len(ctx.orders):04d}",
        address="上海市浦东新区世纪大道100号",
        items=[ItemSpec(product=p, quantity=qty, unit_price=p.price)],
        now=placed_at,
        placed_at=placed_at,
        paid_at=placed_at + timedelta(minutes=3) if paid else None,
        by=ctx.users["storefront"],
    )
    ctx.orders[key] = order
    return order


def seed(ctx: DemoContext) -> None:
    ctx.users["reviewer"] = _user("reviewer", staff=True, group=REVIEWER)
    ctx.users["support"] = _user("support", staff=True, group=SUPPORT)
    ctx.users["storefront"] = _user("storefront", group=INTAKE)
    ctx.users["merchant"] = _user("merchant")
    ctx.users["merchant2"] = _user("merchant2")
    admin = _user("admin", staff=True)
    admin.is_superuser = True
    admin.save()

    for key, name, members in [
        ("tea", "西湖龙井茶叶旗舰店", ["merchant"]),
        ("fruit", "赣南脐橙果园直供", ["merchant"]),
        ("digital", "数码配件专营店", ["merchant2"]),
    ]:
        shop, _ = Shop.objects.get_or_create(name=name)
        ctx.shops[key] = shop
        for username in members:
            ShopMembership.objects.get_or_create(user=ctx.users[username], shop=shop)

    catalogue = {
        "longjing": ("tea", "明前龙井 250g", "TEA-LJ-250", "168.00"),
        "biluochun": ("tea", "碧螺春 礼盒装", "TEA-BLC-GIFT", "238.00"),
        "orange": ("fruit", "赣南脐橙 5kg", "FRT-ORG-5", "59.90"),
        "cable": ("digital", "Type-C 快充数据线 1m", "DIG-USBC-1", "19.90"),
        "earbuds": ("digital", "蓝牙耳机 降噪版", "DIG-BT-ANC", "299.00"),
    }
    for key, (shop, name, sku, price) in catalogue.items():
        ctx.products[key], _ = Product.objects.get_or_create(
            shop=ctx.shops[shop], sku=sku, defaults={"name": name, "price": Decimal(price), "stock": 500}
        )

    _order(ctx, "unpaid", "tea", "longjing", placed_ago=timedelta(minutes=20), paid=False)
    _order(ctx, "fresh", "tea", "biluochun", placed_ago=timedelta(minutes=30))
    _order(ctx, "due_soon", "fruit", "orange", placed_ago=timedelta(hours=30), qty=2)
    _order(ctx, "overdue", "fruit", "orange", placed_ago=timedelta(hours=60))
    _order(ctx, "digital_fresh", "digital", "cable", placed_ago=timedelta(hours=1), qty=3)
    _order(ctx, "digital_due", "digital", "earbuds", placed_ago=timedelta(hours=40))
    _lifecycle(ctx)


def _lifecycle(ctx: DemoContext) -> None:
    """Orders in every status, a pending cancellation, after-sales, a
    logistics-abnormal order and a failed refund in the reviewers' queue.
    Everything goes through the real services (refunds are processed here,
    synchronously, so the demo does not depend on a worker)."""
    from .gateways import SandboxGateway
    from .models import Refund
    from .services import (
        after_sale_approve,
        after_sale_open,
        cancellation_approve,
        cancellation_request,
        order_complete,
        order_ship,
        order_tracking_update,
        orders_flag_logistics_abnormal,
        refund_process,
    )

    now, merchant, reviewer = ctx.now, ctx.users["merchant"], ctx.users["reviewer"]

    def ago(**kw):
        return now - timedelta(**kw)

    shipped = _order(ctx, "shipped", "tea", "longjing", placed_ago=timedelta(hours=20))
    order_ship(order=shipped, carrier="顺丰速运", tracking_no="SF1400000001", by=merchant, now=ago(hours=10))
    order_tracking_update(
        order=shipped, event_at=ago(hours=2), description="快件已到达【杭州转运中心】", now=ago(hours=2)
    )

    completed = _order(ctx, "completed", "fruit", "orange", placed_ago=timedelta(days=8))
    order_ship(order=completed, carrier="中通快递", tracking_no="ZT7500000002", by=merchant, now=ago(days=7))
    order_complete(order=completed, now=ago(days=4))

    abnormal = _order(ctx, "abnormal", "tea", "biluochun", placed_ago=timedelta(days=5))
    order_ship(order=abnormal, carrier="圆通速递", tracking_no="YT8800000003", by=merchant, now=ago(days=4))
    orders_flag_logistics_abnormal(now=now)

    pending_cancel = _order(ctx, "pending_cancel", "tea", "longjing", placed_ago=timedelta(minutes=50))
    cancellation_request(
        order=pending_cancel, reason="out_of_stock", detail="明前龙井已售罄", by=merchant, now=ago(minutes=30)
    )

    cancelled = _order(ctx, "cancelled", "fruit", "orange", placed_ago=timedelta(hours=3))
    request = cancellation_request(order=cancelled, reason="quality_issue", by=merchant, now=ago(hours=2, minutes=30))
    cancellation_approve(cancellation=request, by=reviewer, now=ago(hours=2))

    # F1: the original route refuses this one; it waits in the reviewers' queue.
    failed = _order(ctx, "refund_failed", "tea", "biluochun", placed_ago=timedelta(hours=5))
    request = cancellation_request(
        order=failed, reason="other", detail="买家地址在停运区域", by=merchant, now=ago(hours=4, minutes=30)
    )
    cancellation_approve(cancellation=request, by=reviewer, now=ago(hours=4))

    class _Refusing(SandboxGateway):
        def refund(self, **kw):
            from .gateways import GatewayError

            raise GatewayError("sandbox: 原路退回失败（银行卡已注销）")

    for refund in Refund.objects.filter(status=Refund.Status.PENDING, route=Refund.Route.ORIGINAL):
        gateway = _Refusing() if refund.order_id == failed.pk else SandboxGateway()
        refund_process(refund_id=refund.pk, now=now, gateway=gateway)

    in_after_sale = _order(ctx, "in_after_sale", "fruit", "orange", placed_ago=timedelta(days=6), qty=2)
    order_ship(order=in_after_sale, carrier="中通快递", tracking_no="ZT7500000004", by=merchant, now=ago(days=5))
    after_sale_open(
        order=in_after_sale,
        type="refund_only",
        reason="quality_issue",
        amount=in_after_sale.total_amount / 2,
        description="一半果子坏了",
        now=ago(days=1),
    )

    closed = _order(ctx, "closed", "tea", "longjing", placed_ago=timedelta(days=10))
    order_ship(order=closed, carrier="顺丰速运", tracking_no="SF1400000005", by=merchant, now=ago(days=9))
    order_complete(order=closed, now=ago(days=7))
    after_sale = after_sale_open(
        order=closed, type="return_refund", reason="no_reason_7d", amount=closed.total_amount, now=ago(days=6)
    )
    after_sale_approve(after_sale=after_sale, note="同意退货", by=merchant, now=ago(days=5))
    for refund in Refund.objects.filter(status=Refund.Status.PENDING, route=Refund.Route.ORIGINAL):
        refund_process(refund_id=refund.pk, now=now, gateway=SandboxGateway())
