"""Placing and paying orders (intake from the storefront)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction

from .. import privacy
from ..errors import OrderError
from ..models import Order, OrderItem, Product, Shop, SoldName
from ..policy import PLATFORM_TZ, rule
from ..transitions import order_move
from .events import order_event_record

S = Order.Status


@dataclass(frozen=True)
class ItemSpec:
    product: Product
    quantity: int
    unit_price: Decimal


def items_summary(lines) -> str:
    """``Order.items_summary``: "name × quantity; …" of (name, quantity) pairs."""
    return "; ".join(f"{name} × {quantity}" for name, quantity in lines)


def order_no_generate(now: datetime) -> str:
    """19 digits: the Asia/Shanghai date, then 11 random digits
    (people read it out on the phone; it never looks like an 11-digit phone)."""
    return now.astimezone(PLATFORM_TZ).strftime("%Y%m%d") + f"{secrets.randbelow(10**11):011d}"


def ship_hours_for(*, shop: Shop, products: list[Product]) -> int:
    """O3: the product's promise, else the shop's, else the platform's 48 h.
    With several products, the earliest promise binds."""
    promised = [p.ship_hours for p in products if p.ship_hours]
    if promised:
        return min(promised)
    return shop.ship_hours or rule("SHIP_HOURS")


def order_place(
    *,
    shop: Shop,
    buyer_name: str,
    buyer_phone: str,
    address: str,
    items: list[ItemSpec],
    now: datetime,
    placed_at: datetime | None = None,
    paid_at: datetime | None = None,
    order_no: str | None = None,
    by=None,
) -> Order:
    """Record an order pushed by the storefront. Refuses a shop that is not
    active (P5) and banned products (P4)."""
    if not items:
        raise OrderError("no_items", "An order needs at least one item.", status=400)
    if shop.status != Shop.Status.ACTIVE:
        raise OrderError("shop_not_active", f"Shop {shop.name} is {shop.status}; it cannot take orders.")
    for spec in items:
        if spec.product.shop_id != shop.pk:
            raise OrderError("product_not_in_shop", f"Product {spec.product.pk} is not sold by this shop.", status=400)
        if spec.product.status == spec.product.Status.BANNED:
            raise OrderError("product_banned", f"Product {spec.product.name} is banned and cannot be sold.")
        if spec.quantity <= 0:
            raise OrderError("invalid_quantity", "Quantity must be positive.", status=400)
    placed_at = placed_at or now
    total = sum((s.unit_price * s.quantity for s in items), Decimal("0.00"))
    phone = privacy.normalize_phone(buyer_phone)
    fields = dict(
        shop=shop,
        buyer_name=buyer_name,
        buyer_phone_encrypted=privacy.encrypt_phone(phone),
        buyer_phone_hash=privacy.phone_hash(phone),
        buyer_phone_masked=privacy.mask_phone(phone),
        address=address,
        total_amount=total,
        product_names=" | ".join(s.product.name for s in items),
        items_summary=items_summary((s.product.name, s.quantity) for s in items),
        placed_at=placed_at,
    )
    with transaction.atomic():
        for attempt in range(5):
            try:
                with transaction.atomic():
                    order = Order.objects.create(order_no=order_no or order_no_generate(now), **fields)
                break
            except IntegrityError:
                if order_no or attempt == 4:
                    raise OrderError("duplicate_order_no", "An order with this number exists.") from None
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    product=s.product,
                    name=s.product.name,
                    unit_price=s.unit_price,
                    quantity=s.quantity,
                    placed_at=order.placed_at,
                )
                for s in items
            ]
        )
        # O2: the product search's dictionary of names (a name seen before costs one index probe).
        SoldName.objects.bulk_create([SoldName(name=s.product.name) for s in items], ignore_conflicts=True)
        order_event_record(order=order, kind="placed", by=by, now=now, to_status=order.status)
        if paid_at is not None:
            order = order_pay(order=order, paid_at=paid_at, now=now, by=by)
    return order


def order_pay(*, order: Order, paid_at: datetime, now: datetime, by=None) -> Order:
    """O1/O3: payment moves the order to awaiting shipment and sets ``ship_by``."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != S.PENDING_PAYMENT:
            raise OrderError("already_paid" if order.paid_at else "not_payable", f"Order is {order.status}.")
        if paid_at < order.placed_at:
            raise OrderError("paid_before_placed", "paid_at is before placed_at.", status=400)
        products = [item.product for item in order.items.select_related("product")]
        hours = ship_hours_for(shop=order.shop, products=products)
        order_move(order, S.AWAITING_SHIPMENT)
        order.paid_at = paid_at
        order.ship_by = paid_at + timedelta(hours=hours)
        order.save(update_fields=["status", "paid_at", "ship_by", "updated_at"])
        order_event_record(
            order=order,
            kind="paid",
            by=by,
            now=now,
            from_status=S.PENDING_PAYMENT,
            to_status=S.AWAITING_SHIPMENT,
            data={"ship_by": order.ship_by.isoformat()},
        )
    return order


CLOCK_SKEW = timedelta(minutes=5)  # a storefront's clock may run this far ahead of ours


def intake_times_check(*, shop: Shop, placed_at: datetime | None, paid_at: datetime | None, now: datetime) -> None:
    """Times an intake push claims must be plausible (issue 14): nothing placed
    or paid in the future (beyond ``CLOCK_SKEW``), nothing paid before it was
    placed, nothing placed before its shop existed. Each refusal is a 400 with
    its own code."""
    if placed_at is not None and placed_at > now + CLOCK_SKEW:
        raise OrderError("placed_in_future", "placed_at is in the future.", status=400)
    if paid_at is not None and paid_at > now + CLOCK_SKEW:
        raise OrderError("paid_in_future", "paid_at is in the future.", status=400)
    if paid_at is not None and placed_at is not None and paid_at < placed_at:
        raise OrderError("paid_before_placed", "paid_at is before placed_at.", status=400)
    if placed_at is not None and placed_at < shop.created_at:
        raise OrderError("placed_before_shop_existed", "placed_at is before the shop existed.", status=400)
