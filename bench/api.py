"""Merchant API at scale: ``GET /api/v1/orders/`` (first page) and
``GET /api/v1/orders/{order_no}/`` for the merchant of the biggest shop,
through DRF's ``APIClient`` in process (wall time is server time). Target:
≤ 50 ms each, ≤ 1.3× the figure at 100k. Anchor: the first-page and
order-number lookups in ``bench.lookups``.

``prepare(ctx)`` gives the requests; ``make bench`` times them at 1M and
100k alternately (``bench.interleave``), ``run(ctx)`` on one data set."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from orders.models import Order

from .core import Ctx, measure_all, merchant_client


def prepare(ctx: Ctx) -> dict:
    """{figure: a call doing one request}, or {"pending": why}."""
    try:
        list_url = reverse("order-list")
    except NoReverseMatch:
        return {"pending": "orders API (order-list) not on main yet"}
    client, shop_id = merchant_client()
    order_no = Order.objects.filter(shop_id=shop_id).order_by("-placed_at").values_list("order_no", flat=True)[500]
    detail_url = f"{list_url}{order_no}/"
    calls = {}
    for name, url in (("list", list_url), ("detail", detail_url)):

        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        calls[name] = get
    return calls


def run(ctx: Ctx) -> dict:
    return measure_all(prepare(ctx), ctx.reps)
