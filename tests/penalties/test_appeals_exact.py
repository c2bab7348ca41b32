"""V3/P4 exactly (issue 13, mutation testing): a granted appeal lifts only
the bans its order caused, product by product; a ban another live order
still justifies is kept and names that order's latest judgement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orders.models import OrderEvent, Product
from orders.services import ItemSpec, order_place
from penalties.models import ProductBan, Violation
from penalties.services import violations_judge
from tests.factories import ProductFactory, order_placed

from .conftest import at
from .test_appeals import J1, T, appeal

pytestmark = pytest.mark.django_db


def test_v3_each_ban_of_the_order_lifted_or_kept_on_its_own(api, merchant, shop_a, reviewer):
    kept_product, lifted_product, unrelated = (ProductFactory(shop=shop_a) for _ in range(3))
    both = order_place(
        shop=shop_a,
        buyer_name="张三",
        buyer_phone="13812345678",
        address="上海",
        items=[ItemSpec(kept_product, 1, kept_product.price), ItemSpec(lifted_product, 1, lifted_product.price)],
        now=T,
        paid_at=T,
    )
    keeper = order_placed(shop=shop_a, now=T, paid_at=T, product=kept_product)
    elsewhere = order_placed(shop=shop_a, now=T, paid_at=T, product=unrelated)
    for k in range(3):
        violations_judge(now=J1 + timedelta(hours=24 * k))
    # the bans of ``both``: one per product (the kept product's ban may name either order)
    ProductBan.objects.filter(product=kept_product).update(
        order=both, violation=Violation.objects.get(order=both, judgement_no=3)
    )
    assert set(ProductBan.objects.values_list("product_id", flat=True)) == {
        kept_product.pk,
        lifted_product.pk,
        unrelated.pk,
    }
    granted = Violation.objects.get(order=both, judgement_no=3)
    with at(J1 + timedelta(days=3)):
        appeal_id = appeal(api(merchant), granted).json()["id"]
        assert api(reviewer).post(f"/api/v1/appeals/{appeal_id}/approve/", {}).status_code == 200
    status = dict(Product.objects.values_list("pk", "status"))
    assert status[kept_product.pk] == status[unrelated.pk] == Product.Status.BANNED
    assert status[lifted_product.pk] == Product.Status.ON_SALE
    assert set(ProductBan.objects.values_list("product_id", "order_id")) == {
        (kept_product.pk, keeper.pk),
        (unrelated.pk, elsewhere.pk),
    }
    kept = ProductBan.objects.get(product=kept_product)
    assert kept.violation == Violation.objects.get(order=keeper, judgement_no=3)
    event = OrderEvent.objects.get(order=both, kind="appeal_approved")
    assert (event.data["bans_lifted"], event.data["bans_kept"]) == ([lifted_product.pk], [kept_product.pk])
