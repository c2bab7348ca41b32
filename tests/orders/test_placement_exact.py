"""O1/O3 intake, exactly (issue 13, mutation testing): every refusal of
``order_place``/``order_pay``/``intake_times_check`` with its code, text and
status and nothing written; the order's fields, items and events as placed
and paid; the order number's Asia/Shanghai day and random part; the O3
promise; the clock-skew and equal-time boundaries to the second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orders.errors import OrderError
from orders.models import Order, OrderEvent, OrderItem, Product, Shop
from orders.policy import rule
from orders.services import placement
from orders.services.placement import ItemSpec, intake_times_check, order_no_generate, order_pay, order_place
from orders.transitions import orders_move
from tests.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 2026-03-02 00:30 in Asia/Shanghai


def place(shop, items, **kwargs):
    kwargs.setdefault("now", NOW)
    return order_place(shop=shop, buyer_name="王五", buyer_phone="13812345678", address="上海", items=items, **kwargs)


def refused(call) -> tuple[str, str, int]:
    with pytest.raises(OrderError) as info:
        call()
    return info.value.code, info.value.detail, info.value.status


def nothing_written():
    return (Order.objects.count(), OrderItem.objects.count(), OrderEvent.objects.count()) == (0, 0, 0)


def test_o1_place_refusals_each_with_its_code_text_and_status():
    shop = ShopFactory(name="甲店")
    other = ShopFactory()
    mine = ProductFactory(shop=shop, name="茶杯")
    theirs = ProductFactory(shop=other)
    banned = ProductFactory(shop=shop, name="禁品", status=Product.Status.BANNED)
    one = [ItemSpec(mine, 1, Decimal("10.00"))]
    assert refused(lambda: place(shop, [])) == ("no_items", "An order needs at least one item.", 400)
    assert refused(lambda: place(shop, [ItemSpec(theirs, 1, Decimal("1.00"))])) == (
        "product_not_in_shop",
        f"Product {theirs.pk} is not sold by this shop.",
        400,
    )
    assert refused(lambda: place(shop, [ItemSpec(banned, 1, Decimal("1.00"))])) == (
        "product_banned",
        "Product 禁品 is banned and cannot be sold.",
        409,
    )
    for quantity in (0, -1):
        assert refused(lambda q=quantity: place(shop, [ItemSpec(mine, q, Decimal("1.00"))])) == (
            "invalid_quantity",
            "Quantity must be positive.",
            400,
        )
    shop.status = Shop.Status.SUSPENDED
    shop.save(update_fields=["status"])
    assert refused(lambda: place(shop, one)) == (
        "shop_not_active",
        "Shop 甲店 is suspended; it cannot take orders.",
        409,
    )
    assert nothing_written()


def test_o1_placed_order_fields_items_and_event_exact(reviewer):
    shop = ShopFactory()
    cup = ProductFactory(shop=shop, name="茶杯")
    pot = ProductFactory(shop=shop, name="茶壶")
    order = place(shop, [ItemSpec(cup, 2, Decimal("10.50")), ItemSpec(pot, 1, Decimal("9.00"))], by=reviewer)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None and order.ship_by is None
    assert order.total_amount == Decimal("30.00")
    assert order.product_names == "茶杯 | 茶壶"
    assert order.items_summary == "茶杯 × 2; 茶壶 × 1"
    assert order.placed_at == NOW and order.buyer_name == "王五" and order.address == "上海"
    assert order.buyer_phone_masked == "138****5678" and "13812345678" not in str(order.buyer_phone_encrypted)
    assert list(order.items.order_by("pk").values_list("product_id", "name", "unit_price", "quantity")) == [
        (cup.pk, "茶杯", Decimal("10.50"), 2),
        (pot.pk, "茶壶", Decimal("9.00"), 1),
    ]
    assert list(OrderEvent.objects.values_list("kind", "actor_id", "from_status", "to_status", "created_at")) == [
        ("placed", reviewer.pk, "", Order.Status.PENDING_PAYMENT, NOW)
    ]


def test_o3_paid_at_placement_event_ship_by_and_actor(reviewer):
    shop = ShopFactory(ship_hours=None)
    cup = ProductFactory(shop=shop, ship_hours=24)
    paid = NOW + timedelta(minutes=3)
    order = place(shop, [ItemSpec(cup, 1, Decimal("1.00"))], placed_at=NOW, paid_at=paid, by=reviewer)
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_SHIPMENT
    assert order.paid_at == paid and order.ship_by == paid + timedelta(hours=24)
    event = OrderEvent.objects.get(kind="paid")
    assert (event.actor_id, event.from_status, event.to_status, event.created_at) == (
        reviewer.pk,
        Order.Status.PENDING_PAYMENT,
        Order.Status.AWAITING_SHIPMENT,
        NOW,
    )
    assert event.data == {"ship_by": (paid + timedelta(hours=24)).isoformat()}


def test_o1_pay_refusals_already_paid_not_payable_paid_before_placed():
    shop = ShopFactory()
    cup = ProductFactory(shop=shop)
    order = place(shop, [ItemSpec(cup, 1, Decimal("1.00"))])
    assert refused(lambda: order_pay(order=order, paid_at=NOW - timedelta(seconds=1), now=NOW)) == (
        "paid_before_placed",
        "paid_at is before placed_at.",
        400,
    )
    order_pay(order=order, paid_at=NOW, now=NOW)  # paid at the very instant of placement: accepted
    assert refused(lambda: order_pay(order=order, paid_at=NOW, now=NOW)) == (
        "already_paid",
        "Order is awaiting_shipment.",
        409,
    )
    unpaid = place(shop, [ItemSpec(cup, 1, Decimal("1.00"))])
    orders_move(Order.objects.filter(pk=unpaid.pk), Order.Status.PENDING_PAYMENT, Order.Status.CLOSED)
    assert refused(lambda: order_pay(order=unpaid, paid_at=NOW, now=NOW)) == (
        "not_payable",
        "Order is closed.",
        409,
    )
    assert OrderEvent.objects.filter(kind="paid").count() == 1


def test_o3_the_earliest_product_promise_binds_else_the_shop_else_the_platform():
    shop = ShopFactory(ship_hours=36)
    none, slow, fast = (ProductFactory(shop=shop, ship_hours=h) for h in (None, 72, 12))
    assert placement.ship_hours_for(shop=shop, products=[none, slow, fast]) == 12
    assert placement.ship_hours_for(shop=shop, products=[slow]) == 72
    assert placement.ship_hours_for(shop=shop, products=[none]) == 36
    shop.ship_hours = None
    assert placement.ship_hours_for(shop=shop, products=[none]) == rule("SHIP_HOURS") == 48


def test_o1_order_number_is_the_shanghai_day_then_eleven_random_digits(monkeypatch):
    asked = []

    def randbelow(n):
        asked.append(n)
        return 42

    monkeypatch.setattr(placement.secrets, "randbelow", randbelow)
    assert order_no_generate(NOW) == "20260302" + "00000000042"  # 00:30 in Shanghai is already the 2nd
    assert order_no_generate(NOW - timedelta(minutes=31)) == "20260301" + "00000000042"
    assert asked == [10**11, 10**11]
    monkeypatch.undo()
    number = order_no_generate(NOW)
    assert len(number) == 19 and number.isdigit()


def test_o1_a_taken_number_is_drawn_again_up_to_five_times(monkeypatch):
    shop = ShopFactory()
    cup = ProductFactory(shop=shop)
    taken = place(shop, [ItemSpec(cup, 1, Decimal("1.00"))], order_no="2026030200000000001").order_no
    draws = iter([taken] * 4 + ["2026030200000000002"])
    monkeypatch.setattr(placement, "order_no_generate", lambda now: next(draws))
    assert place(shop, [ItemSpec(cup, 1, Decimal("1.00"))]).order_no == "2026030200000000002"
    monkeypatch.setattr(placement, "order_no_generate", lambda now: taken)
    assert refused(lambda: place(shop, [ItemSpec(cup, 1, Decimal("1.00"))])) == (
        "duplicate_order_no",
        "An order with this number exists.",
        409,
    )
    assert refused(lambda: place(shop, [ItemSpec(cup, 1, Decimal("1.00"))], order_no=taken)) == (
        "duplicate_order_no",
        "An order with this number exists.",
        409,
    )
    assert Order.objects.count() == 2 and OrderEvent.objects.count() == 2


def test_intake_times_at_the_clock_skew_and_equal_time_boundaries():
    shop = ShopFactory(created_at=NOW - timedelta(days=1))
    skew = placement.CLOCK_SKEW
    assert skew == timedelta(minutes=5)
    edge = NOW + skew
    second = timedelta(seconds=1)

    def check(placed_at=None, paid_at=None):
        return intake_times_check(shop=shop, placed_at=placed_at, paid_at=paid_at, now=NOW)

    check(placed_at=edge, paid_at=edge)  # exactly at the skew: accepted
    check(placed_at=NOW - second, paid_at=NOW - second)  # paid the instant it was placed: accepted
    check(placed_at=shop.created_at)  # placed the instant the shop was made: accepted
    check(paid_at=NOW - skew - second)  # no placement time claimed: nothing to compare
    check(placed_at=NOW - skew - second)
    assert refused(lambda: check(placed_at=edge + second)) == ("placed_in_future", "placed_at is in the future.", 400)
    assert refused(lambda: check(paid_at=edge + second)) == ("paid_in_future", "paid_at is in the future.", 400)
    assert refused(lambda: check(placed_at=NOW, paid_at=NOW - second)) == (
        "paid_before_placed",
        "paid_at is before placed_at.",
        400,
    )
    assert refused(lambda: check(placed_at=shop.created_at - second)) == (
        "placed_before_shop_existed",
        "placed_at is before the shop existed.",
        400,
    )
