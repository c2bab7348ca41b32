"""Issue 14 point 5: intake refuses implausible times with 400 codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _body(shop, product, **times):
    body = {
        "shop": shop.pk,
        "buyer_name": "王五",
        "buyer_phone": "13812345678",
        "address": "上海",
        "items": [{"product": product.pk, "quantity": 1, "unit_price": "10.00"}],
    }
    body.update({k: v.isoformat() for k, v in times.items()})
    return body


@pytest.mark.parametrize(
    "times,code",
    [
        ({"placed_at": timedelta(hours=1)}, "placed_in_future"),
        ({"placed_at": -timedelta(hours=2), "paid_at": timedelta(hours=1)}, "paid_in_future"),
        ({"placed_at": -timedelta(hours=1), "paid_at": -timedelta(hours=2)}, "paid_before_placed"),
        ({"placed_at": -timedelta(days=400)}, "placed_before_shop_existed"),
    ],
    ids=["placed_in_future", "paid_in_future", "paid_before_placed", "placed_before_shop"],
)
def test_intake_refuses_implausible_times(times, code, api, storefront, shop_a):
    """Placed or paid in the future, paid before placed, placed before the
    shop existed: 400 with the code, and no order is made."""
    from orders.models import Order

    now = timezone.now()
    shop_a.created_at = now - timedelta(days=30)
    shop_a.save(update_fields=["created_at"])
    product = ProductFactory(shop=shop_a)
    response = api(storefront).post(
        "/api/v1/intake/orders/", _body(shop_a, product, **{k: now + v for k, v in times.items()})
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert not Order.objects.exists()


def test_intake_accepts_plausible_times(api, storefront, shop_a):
    """Placed an hour ago, paid half an hour ago (after the shop existed): 201."""
    now = timezone.now()
    shop_a.created_at = now - timedelta(days=30)
    shop_a.save(update_fields=["created_at"])
    product = ProductFactory(shop=shop_a)
    body = _body(shop_a, product, placed_at=now - timedelta(hours=1), paid_at=now - timedelta(minutes=30))
    assert api(storefront).post("/api/v1/intake/orders/", body).status_code == 201
