"""Database-level anchors for the reviewer's searches (O2): what a btree or
trigram index answers, measured through the ORM on the same data set, plus
the same searches with index scans disabled (what a missing index costs).

The search values are picked once per data set by ``samples()`` and shared
with ``bench.admin_search`` so target and anchor look up the same thing."""

from __future__ import annotations

from django.db import connection, transaction

from orders import privacy
from orders.bulk import pool_phone, product_name
from orders.models import Order

from .core import Ctx, median_ms


def samples(ctx: Ctx) -> dict:
    """An order in the middle of the data set, a phone from the pool and a
    product-name substring (one product's name without its first word),
    typed in lower case as a reviewer would."""
    mid = Order.objects.order_by("id").values_list("id", flat=True)[ctx.orders // 2]
    order = Order.objects.get(pk=mid)
    return {
        "order_no": order.order_no,
        "phone": privacy.decrypt_phone(order.buyer_phone_encrypted) if order.buyer_phone_encrypted else pool_phone(1),
        "product": product_name(57, 3).split(" ", 1)[1].lower(),
    }


def _seqscan(fn):
    def wrapped():
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL enable_indexscan = off")
            cur.execute("SET LOCAL enable_bitmapscan = off")
            cur.execute("SET LOCAL enable_indexonlyscan = off")
            return fn()

    return wrapped


def run(ctx: Ctx) -> dict:
    s = samples(ctx)
    newest = Order.objects.order_by("-placed_at", "-id")

    def by_order_no():
        return list(Order.objects.filter(order_no=s["order_no"]))

    def by_phone():
        return list(newest.filter(buyer_phone_hash=privacy.phone_hash(s["phone"]))[:100])

    def by_product():
        return list(newest.filter(product_names__icontains=s["product"])[:100])

    def first_page():
        return list(newest[:100])

    product_rows = newest.filter(product_names__icontains=s["product"]).count()
    return {
        "samples": s,
        "order_no": {"ms": median_ms(by_order_no, ctx.reps)},
        "phone": {"ms": median_ms(by_phone, ctx.reps), "rows": len(by_phone())},
        "product": {"ms": median_ms(by_product, ctx.reps), "rows": product_rows},
        "first_page": {"ms": median_ms(first_page, ctx.reps)},
        "phone_no_index": {"ms": median_ms(_seqscan(by_phone), 3)},
        "product_no_index": {"ms": median_ms(_seqscan(by_product), 3)},
    }
