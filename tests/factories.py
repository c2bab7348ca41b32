"""factory_boy factories. State beyond plain rows is made by calling the real
services (``order_placed`` below), never by writing statuses by hand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from orders.models import Product, Shop, ShopMembership
from orders.services import ItemSpec, order_place

PASSWORD = "demo-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"Shop {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShopMembership

    user = factory.SubFactory(UserFactory)
    shop = factory.SubFactory(ShopFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Decimal("99.00")
    stock = 100


def order_placed(
    *,
    shop: Shop,
    product: Product | None = None,
    quantity: int = 1,
    phone: str = "13812345678",
    now: datetime | None = None,
    placed_at: datetime | None = None,
    paid_at: datetime | None = None,
    paid: bool = True,
    **kwargs,
):
    """An order placed (and by default paid) through the real service."""
    now = now or timezone.now()
    product = product or ProductFactory(shop=shop)
    placed_at = placed_at or now
    if paid and paid_at is None:
        paid_at = placed_at
    return order_place(
        shop=shop,
        buyer_name=kwargs.pop("buyer_name", "张三"),
        buyer_phone=phone,
        address=kwargs.pop("address", "上海市浦东新区世纪大道100号"),
        items=[ItemSpec(product=product, quantity=quantity, unit_price=product.price)],
        now=now,
        placed_at=placed_at,
        paid_at=paid_at if paid else None,
        **kwargs,
    )
