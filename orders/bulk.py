"""Bulk data for benchmarks (``manage.py seed_bulk --orders N``).

Shops, products, merchants and N orders with items and a few events, in a
realistic spread of statuses (``STATUS_MIX``, per mille; 10 % overdue, i.e.
``awaiting_shipment`` with ``ship_by`` in the past). On PostgreSQL the orders
are made by set-based SQL over ``generate_series`` (no Python per row); on
SQLite (tests, small N) the same plan runs in Python with ``bulk_create``.

Rows are derived from the row number ``g`` by independent hashes, so a run is
reproducible and the spread does not depend on the chunk size. Phones come
from a pool encrypted once (rule O5: Fernet + keyed hash + mask from
``orders.privacy``) and reused. Other apps add their rows through their own
``bulk.seed(ctx)`` (tickets, violations), discovered like ``demo.seed``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.db.models import Max

from . import privacy
from .models import Order, OrderEvent, OrderItem, Product, Shop, ShopMembership, SoldName
from .policy import PLATFORM_TZ
from .roles import REVIEWER
from .services.placement import items_summary

N_SHOPS = 200
PRODUCTS_PER_SHOP = 10
# At most: about 50 orders per phone up to 10M orders (a bigger marketplace
# has more buyers, not busier ones: the phone search's growth is the index's).
PHONE_POOL = 200_000
EVENT_EVERY = 20  # one "placed" event for every 20th order
PASSWORD = "bench-pass-123"
SHOP_PREFIX = "Bench shop "
MERCHANT_PREFIX = "bench_m"
REVIEWER_NAME = "bench_reviewer"

# Per mille of orders in each state; the keys are (label, status).
STATUS_MIX: list[tuple[str, str, int]] = [
    ("pending", Order.Status.PENDING_PAYMENT, 30),
    ("awaiting", Order.Status.AWAITING_SHIPMENT, 80),
    ("overdue", Order.Status.AWAITING_SHIPMENT, 100),
    ("shipped", Order.Status.SHIPPED, 150),
    ("completed", Order.Status.COMPLETED, 560),
    ("cancelled", Order.Status.CANCELLED, 50),
    ("closed", Order.Status.CLOSED, 30),
]
assert sum(w for _, _, w in STATUS_MIX) == 1000

DAY = 86400.0
HOUR = 3600.0
SHIP_HOURS = 48
CARRIERS = ["SF Express", "ZTO", "YTO", "JD Logistics", "EMS"]
BUYER_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴霞", "Li Wei", "Anna Chen"]
ADDRESSES = [
    "上海市浦东新区世纪大道100号",
    "北京市朝阳区建国路88号",
    "广州市天河区体育西路103号",
    "深圳市南山区科技园南区8栋",
    "杭州市西湖区文三路90号",
    "成都市武侯区天府大道北段1700号",
    "南京市鼓楼区中山路321号",
    "武汉市洪山区珞喻路1037号",
]
_ADJ = ["Classic", "Premium", "Organic", "Wireless", "Portable", "Deluxe", "Mini", "Smart", "Eco", "Pro"]
_NOUN = [
    ("Earbuds", "无线耳机"),
    ("Green Tea", "西湖龙井"),
    ("Navel Orange", "赣南脐橙"),
    ("Charging Cable", "快充数据线"),
    ("Power Bank", "充电宝"),
    ("Desk Lamp", "台灯"),
    ("Backpack", "双肩包"),
    ("Thermos", "保温杯"),
    ("Phone Case", "手机壳"),
    ("Rice Cooker", "电饭煲"),
    ("Silk Scarf", "丝巾"),
    ("Running Shoes", "跑鞋"),
    ("Keyboard", "机械键盘"),
    ("Honey", "土蜂蜜"),
    ("Notebook", "笔记本"),
    ("Umbrella", "折叠伞"),
    ("Yoga Mat", "瑜伽垫"),
    ("Coffee Beans", "咖啡豆"),
    ("Face Cream", "面霜"),
    ("Walnuts", "核桃"),
]


@dataclass
class BulkContext:
    now: datetime
    orders: int
    vendor: str
    progress: Callable[[int], None] = lambda n: None
    chunk: int = 50_000
    shop_ids: list[int] = field(default_factory=list)
    merchant_ids: list[int] = field(default_factory=list)
    first_order_id: int = 0  # orders made by this run have ids first_order_id + 1 … + orders
    summary: dict = field(default_factory=dict)


# ---------------------------------------------------------------- the plan
def product_name(shop_idx: int, k: int) -> str:
    adj = _ADJ[(shop_idx * 7 + k * 3) % len(_ADJ)]
    en, zh = _NOUN[(shop_idx * 3 + k) % len(_NOUN)]
    return f"{adj} {en} {zh} {100 + (shop_idx * 31 + k * 17) % 900}"


def phone_pool(size: int = PHONE_POOL) -> list[tuple[str, str, str]]:
    """(encrypted, hash, masked) for ``size`` distinct mobile numbers; the
    expensive Fernet encryption runs once per pool entry, not per order."""
    return [
        (privacy.encrypt_phone(p), privacy.phone_hash(p), privacy.mask_phone(p))
        for p in (pool_phone(i) for i in range(size))
    ]


def pool_size(orders: int) -> int:
    return min(PHONE_POOL, max(50, orders // 50))


def pool_phone(i: int) -> str:
    return f"13{(i * 7) % 10}{(i * 7919 + 12345678) % 100_000_000:08d}"


def _h(g: int, seed: int) -> int:
    """Python twin of the SQL hash (same role, not the same numbers)."""
    return int.from_bytes(hashlib.blake2b(f"{seed}:{g}".encode(), digest_size=8).digest(), "big")


def _u(g: int, seed: int) -> float:
    return (_h(g, seed) % 1_000_000) / 1_000_000.0


# ------------------------------------------------------------ shared setup
def seed_world(ctx: BulkContext) -> None:
    """200 shops with 10 products each, one merchant per shop, a reviewer.
    Idempotent: reuses what an earlier run made."""
    User = get_user_model()
    existing = {s.name: s for s in Shop.objects.filter(name__startswith=SHOP_PREFIX)}
    Shop.objects.bulk_create(
        [
            Shop(name=f"{SHOP_PREFIX}{i:03d}", created_at=ctx.now)
            for i in range(N_SHOPS)
            if f"{SHOP_PREFIX}{i:03d}" not in existing
        ]
    )
    shops = list(Shop.objects.filter(name__startswith=SHOP_PREFIX).order_by("name"))
    ctx.shop_ids = [s.pk for s in shops]
    have = set(Product.objects.filter(shop__in=shops).values_list("shop_id", "sku"))
    Product.objects.bulk_create(
        [
            Product(
                shop=s,
                name=product_name(i, k),
                sku=f"B{i:03d}-{k:02d}",
                price=Decimal(9 + (i * 37 + k * 53) % 490) + Decimal("0.90"),
                stock=1000,
            )
            for i, s in enumerate(shops)
            for k in range(PRODUCTS_PER_SHOP)
            if (s.pk, f"B{i:03d}-{k:02d}") not in have
        ]
    )
    # The orders are sold under the products' names (the product search's dictionary).
    SoldName.objects.bulk_create(
        [SoldName(name=n) for n in Product.objects.filter(shop__in=shops).values_list("name", flat=True)],
        ignore_conflicts=True,
    )
    pw = make_password(PASSWORD)
    names = [f"{MERCHANT_PREFIX}{i:03d}" for i in range(N_SHOPS)]
    have_users = set(User.objects.filter(username__in=[*names, REVIEWER_NAME]).values_list("username", flat=True))
    User.objects.bulk_create(
        [User(username=n, password=pw, email=f"{n}@example.com") for n in names if n not in have_users]
    )
    if REVIEWER_NAME not in have_users:
        reviewer = User.objects.create(username=REVIEWER_NAME, password=pw, is_staff=True)
        reviewer.groups.add(Group.objects.get(name=REVIEWER))
    users = {u.username: u.pk for u in User.objects.filter(username__in=names)}
    ctx.merchant_ids = [users[n] for n in names]
    ShopMembership.objects.bulk_create(
        [ShopMembership(user_id=users[n], shop=s) for n, s in zip(names, shops, strict=True)],
        ignore_conflicts=True,
    )


# ----------------------------------------------------------------- orders
def seed(ctx: BulkContext) -> None:
    seed_world(ctx)
    ctx.first_order_id = Order.objects.aggregate(m=Max("id"))["m"] or 0
    if ctx.vendor == "postgresql":
        _orders_postgres(ctx)
    else:
        _orders_python(ctx)
    ctx.summary["orders"] = ctx.orders


def _status_case(col: str = "bucket") -> str:
    parts, lo = [], 0
    for label, _status, w in STATUS_MIX:
        parts.append(f"WHEN {col} < {lo + w} THEN '{label}'")
        lo += w
    return "CASE " + " ".join(parts) + " END"


def _pg_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


# Row ``g`` → everything about the order, in one pass (seconds as floats).
_PG_STAGE = """
CREATE TEMP TABLE bulk_stage AS
WITH r AS (
  SELECT g,
         abs(hashint8extended(g, 11)) %% 1000 AS bucket,
         (abs(hashint8extended(g, 12)) %% 1000000) / 1e6::float8 AS u,
         (abs(hashint8extended(g, 13)) %% 1000000) / 1e6::float8 AS u2,
         (abs(hashint8extended(g, 14)) %% 1000000) / 1e6::float8 AS u3,
         least(floor(200 * power((abs(hashint8extended(g, 15)) %% 1000000) / 1e6::float8, 1.3::float8))::int, 199)
           AS shop_idx,
         abs(hashint8extended(g, 16)) %% {pps} AS k1,
         CASE WHEN abs(hashint8extended(g, 17)) %% 4 = 0
              THEN (abs(hashint8extended(g, 16)) + 1 + abs(hashint8extended(g, 18)) %% ({pps} - 1)) %% {pps} END AS k2,
         1 + abs(hashint8extended(g, 19)) %% 3 AS q1,
         1 + abs(hashint8extended(g, 20)) %% 2 AS q2,
         abs(hashint8extended(g, 21)) %% {pool} AS phone_idx,
         abs(hashint8extended(g, 22)) AS h
  FROM generate_series(1, %(n)s::bigint) AS g
), s AS (
  SELECT r.*, {status} AS label FROM r
), a AS (
  SELECT s.*, CASE label
      WHEN 'pending' THEN u * 12 * 3600
      WHEN 'awaiting' THEN u * 46 * 3600
      WHEN 'overdue' THEN 50 * 3600 + power(u, 3) * 178 * 86400
      WHEN 'shipped' THEN 2 * 86400 + u * 13 * 86400
      WHEN 'completed' THEN 3 * 86400 + u * 177 * 86400
      WHEN 'cancelled' THEN 3600 + u * 180 * 86400
      ELSE 150 * 86400 + u * 30 * 86400 END AS age
  FROM s
), t AS (
  SELECT a.*, %(now)s::timestamptz - age * interval '1 second' AS placed_at FROM a
)
SELECT t.*,
       CASE WHEN label <> 'pending' THEN placed_at + interval '3 minutes' END AS paid_at,
       CASE WHEN label IN ('shipped', 'completed')
            THEN placed_at + interval '3 minutes' + (3600 + u2 * 40 * 3600) * interval '1 second' END AS shipped_at
FROM t
"""

# Ids follow placed_at, as they do when orders arrive over time (the newest
# orders sit together on disk, like in production).
_PG_NUMBER = """
CREATE TEMP TABLE bulk_rows AS
SELECT s.*, %(first)s::bigint + row_number() OVER (ORDER BY placed_at, g) AS id FROM bulk_stage s
"""

_PG_ORDERS = """
INSERT INTO orders_order (id, order_no, shop_id, status, buyer_name, buyer_phone_encrypted, buyer_phone_hash,
  buyer_phone_masked, address, total_amount, refunded_amount, product_names, items_summary, placed_at, paid_at,
  ship_by,
  shipped_at, carrier, tracking_no, last_tracking_at, logistics_abnormal, in_after_sale, completed_at,
  cancelled_at, closed_at, updated_at)
SELECT b.id,
       to_char(b.placed_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(b.id::text, 11, '0'),
       p1.shop_id, {status_of_label}, ({names})[1 + b.h %% {n_names}], ph.enc, ph.hash, ph.masked,
       ({addresses})[1 + (b.h / 7) %% {n_addresses}],
       p1.price * b.q1 + coalesce(p2.price * b.q2, 0),
       CASE WHEN b.label IN ('cancelled', 'closed') THEN p1.price * b.q1 + coalesce(p2.price * b.q2, 0) ELSE 0 END,
       p1.name || coalesce(' | ' || p2.name, ''),
       p1.name || ' × ' || b.q1 || coalesce('; ' || p2.name || ' × ' || b.q2, ''),
       b.placed_at, b.paid_at, b.paid_at + interval '{ship_hours} hours', b.shipped_at,
       CASE WHEN b.shipped_at IS NOT NULL THEN ({carriers})[1 + (b.h / 13) %% {n_carriers}] ELSE '' END,
       CASE WHEN b.shipped_at IS NOT NULL THEN 'T' || lpad(b.id::text, 12, '0') ELSE '' END,
       b.shipped_at + (%(now)s::timestamptz - b.shipped_at) * b.u3,
       false, false,
       CASE WHEN b.label = 'completed' THEN b.shipped_at + (%(now)s::timestamptz - b.shipped_at) * 0.8 END,
       CASE WHEN b.label = 'cancelled' THEN b.paid_at + interval '30 minutes' END,
       CASE WHEN b.label = 'closed' THEN b.placed_at + interval '150 days' END,
       %(now)s::timestamptz
FROM bulk_rows b
JOIN bulk_product p1 ON p1.shop_idx = b.shop_idx AND p1.k = b.k1
LEFT JOIN bulk_product p2 ON p2.shop_idx = b.shop_idx AND p2.k = b.k2
JOIN bulk_phone ph ON ph.idx = b.phone_idx
WHERE b.id BETWEEN %(lo)s AND %(hi)s
"""

_PG_ITEMS = """
INSERT INTO orders_orderitem (order_id, product_id, name, unit_price, quantity, placed_at)
SELECT b.id, p.id, p.name, p.price, CASE v.n WHEN 1 THEN b.q1 ELSE b.q2 END, b.placed_at
FROM bulk_rows b
CROSS JOIN LATERAL (VALUES (1, b.k1), (2, b.k2)) AS v(n, k)
JOIN bulk_product p ON p.shop_idx = b.shop_idx AND p.k = v.k
WHERE b.id BETWEEN %(lo)s AND %(hi)s
"""

_PG_EVENTS = """
INSERT INTO orders_orderevent (order_id, kind, actor_role, from_status, to_status, note, data, created_at)
SELECT b.id, 'placed', 'system', '', 'pending_payment', '', '{{}}'::jsonb, b.placed_at
FROM bulk_rows b WHERE b.g %% {every} = 0 AND b.id BETWEEN %(lo)s AND %(hi)s
"""


@contextmanager
def secondary_indexes_dropped(cur, tables: list[str]):
    """Drop the indexes that back no constraint while loading, rebuild them
    after (one sort per index instead of a million incremental inserts; the
    trigram GIN index especially). Rebuilt even if the load fails."""
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%s)"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [tables],
    )
    saved = cur.fetchall()
    for name, _ in saved:
        cur.execute(f'DROP INDEX IF EXISTS "{name}"')
    try:
        yield
    finally:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in saved:
            cur.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        cur.execute("RESET maintenance_work_mem")


def _orders_postgres(ctx: BulkContext) -> None:
    pool = phone_pool(pool_size(ctx.orders))
    status_of_label = (
        "CASE b.label " + " ".join(f"WHEN '{label}' THEN '{status}'" for label, status, _ in STATUS_MIX) + " END"
    )
    fmt = dict(
        pps=PRODUCTS_PER_SHOP,
        pool=len(pool),
        status=_status_case(),
        status_of_label=status_of_label,
        names=_pg_array(BUYER_NAMES),
        n_names=len(BUYER_NAMES),
        addresses=_pg_array(ADDRESSES),
        n_addresses=len(ADDRESSES),
        carriers=_pg_array(CARRIERS),
        n_carriers=len(CARRIERS),
        ship_hours=SHIP_HOURS,
        every=EVENT_EVERY,
    )
    stage, orders_sql = _PG_STAGE.format(**fmt), _PG_ORDERS.format(**fmt)
    items_sql, events_sql = _PG_ITEMS.format(**fmt), _PG_EVENTS.format(**fmt)
    shop_idx = {pk: i for i, pk in enumerate(ctx.shop_ids)}
    products = [
        (shop_idx[p.shop_id], int(p.sku.rsplit("-", 1)[1]), p.pk, p.shop_id, p.name, p.price)
        for p in Product.objects.filter(shop_id__in=ctx.shop_ids, sku__startswith="B")
    ]
    with connection.cursor() as cur:
        raw = cur.cursor  # psycopg 3 cursor, for COPY
        try:  # the staging rows stay in memory (only possible before this session's first temp table)
            with transaction.atomic():
                cur.execute("SET temp_buffers = '512MB'")
        except DatabaseError:
            pass
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bulk_product (shop_idx int, k int, id bigint, shop_id bigint,"
            " name text, price numeric(12,2), PRIMARY KEY (shop_idx, k))"
        )
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bulk_phone (idx int PRIMARY KEY, enc text, hash text, masked text)"
        )
        cur.execute("TRUNCATE bulk_product, bulk_phone")
        with raw.copy("COPY bulk_product FROM STDIN") as copy:
            for row in products:
                copy.write_row(row)
        with raw.copy("COPY bulk_phone FROM STDIN") as copy:
            for i, (enc, h, masked) in enumerate(pool):
                copy.write_row((i, enc, h, masked))
        cur.execute("ANALYZE bulk_product")
        cur.execute("ANALYZE bulk_phone")
        tables = ["orders_order", "orders_orderitem", "orders_orderevent"]
        big = ctx.orders >= 20_000
        cur.execute("SET synchronous_commit = off")
        # Rows are consistent by construction: skip the per-row foreign-key
        # triggers like pg_restore --disable-triggers (needs a superuser; else
        # the checks simply run).
        try:
            with transaction.atomic():
                cur.execute("SET session_replication_role = replica")
        except DatabaseError:
            pass
        try:
            cur.execute("SET work_mem = '256MB'")
            cur.execute("DROP TABLE IF EXISTS bulk_stage")
            cur.execute("DROP TABLE IF EXISTS bulk_rows")
            cur.execute(stage, {"n": ctx.orders, "now": ctx.now})
            cur.execute(_PG_NUMBER, {"first": ctx.first_order_id})
            cur.execute("DROP TABLE bulk_stage")
            cur.execute("CREATE INDEX ON bulk_rows (id)")
            cur.execute("ANALYZE bulk_rows")
            with secondary_indexes_dropped(cur, tables) if big else nullcontext():
                for lo in range(1, ctx.orders + 1, ctx.chunk):
                    hi = min(lo + ctx.chunk - 1, ctx.orders)
                    first = ctx.first_order_id
                    params = {"lo": first + lo, "hi": first + hi, "now": ctx.now}
                    with transaction.atomic():
                        cur.execute(orders_sql, params)
                        cur.execute(items_sql, params)
                        cur.execute(events_sql, params)
                    ctx.progress(hi - lo + 1)
            cur.execute("DROP TABLE bulk_rows")
        finally:
            cur.execute("RESET synchronous_commit")
            cur.execute("RESET session_replication_role")
            cur.execute("RESET work_mem")
        for table in ("orders_order", "orders_orderitem", "orders_orderevent"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 1))"
            )
        if connection.in_atomic_block:
            cur.execute("ANALYZE orders_order")
            cur.execute("ANALYZE orders_orderitem")
        else:  # hint bits and visibility map set once, as a live table has them
            cur.execute("VACUUM (ANALYZE) orders_order")
            cur.execute("ANALYZE orders_orderitem")
            cur.execute("ANALYZE orders_orderevent")


def _orders_python(ctx: BulkContext) -> None:
    """Same plan, row by row in Python with ``bulk_create`` (SQLite, small N)."""
    pool = phone_pool(pool_size(ctx.orders))
    products = {}
    for p in Product.objects.filter(shop_id__in=ctx.shop_ids, sku__startswith="B"):
        products[(ctx.shop_ids.index(p.shop_id), int(p.sku.rsplit("-", 1)[1]))] = p
    rnd = random.Random(42)
    labels = []
    for label, _status, w in STATUS_MIX:
        labels += [label] * w
    status_of = {label: status for label, status, _ in STATUS_MIX}
    ages = {
        "pending": lambda u: u * 12 * HOUR,
        "awaiting": lambda u: u * 46 * HOUR,
        "overdue": lambda u: 50 * HOUR + u**3 * 178 * DAY,
        "shipped": lambda u: 2 * DAY + u * 13 * DAY,
        "completed": lambda u: 3 * DAY + u * 177 * DAY,
        "cancelled": lambda u: HOUR + u * 180 * DAY,
        "closed": lambda u: 150 * DAY + u * 30 * DAY,
    }

    def placed_of(g: int) -> datetime:
        return ctx.now - timedelta(seconds=ages[labels[_h(g, 11) % 1000]](_u(g, 12)))

    by_time = sorted(range(1, ctx.orders + 1), key=lambda g: (placed_of(g), g))  # ids follow placed_at
    for lo in range(0, ctx.orders, ctx.chunk):
        batch = by_time[lo : lo + ctx.chunk]
        orders, items, events = [], [], []
        for pos, g in enumerate(batch, start=lo + 1):
            oid = ctx.first_order_id + pos
            label = labels[_h(g, 11) % 1000]
            u, u2, u3 = _u(g, 12), _u(g, 13), _u(g, 14)
            shop_idx = min(int(200 * _u(g, 15) ** 1.3), N_SHOPS - 1)
            k1 = _h(g, 16) % PRODUCTS_PER_SHOP
            p1 = products[(shop_idx, k1)]
            lines = [(p1, 1 + _h(g, 19) % 3)]
            if _h(g, 17) % 4 == 0:  # a second, different product
                k2 = (k1 + 1 + _h(g, 18) % (PRODUCTS_PER_SHOP - 1)) % PRODUCTS_PER_SHOP
                lines.append((products[(shop_idx, k2)], 1 + _h(g, 20) % 2))
            total = sum((p.price * q for p, q in lines), Decimal("0.00"))
            enc, ph, masked = pool[rnd.randrange(len(pool))]
            placed = ctx.now - timedelta(seconds=ages[label](u))
            paid = placed + timedelta(minutes=3) if label != "pending" else None
            shipped = paid + timedelta(seconds=HOUR + u2 * 40 * HOUR) if label in ("shipped", "completed") else None
            h = _h(g, 22)
            orders.append(
                Order(
                    id=oid,
                    order_no=placed.astimezone(PLATFORM_TZ).strftime("%Y%m%d") + f"{oid:011d}",
                    shop_id=p1.shop_id,
                    status=status_of[label],
                    buyer_name=BUYER_NAMES[h % len(BUYER_NAMES)],
                    buyer_phone_encrypted=enc,
                    buyer_phone_hash=ph,
                    buyer_phone_masked=masked,
                    address=ADDRESSES[(h // 7) % len(ADDRESSES)],
                    total_amount=total,
                    refunded_amount=total if label in ("cancelled", "closed") else Decimal("0.00"),
                    product_names=" | ".join(p.name for p, _ in lines),
                    items_summary=items_summary((p.name, q) for p, q in lines),
                    placed_at=placed,
                    paid_at=paid,
                    ship_by=paid + timedelta(hours=SHIP_HOURS) if paid else None,
                    shipped_at=shipped,
                    carrier=CARRIERS[(h // 13) % len(CARRIERS)] if shipped else "",
                    tracking_no=f"T{oid:012d}" if shipped else "",
                    last_tracking_at=shipped + (ctx.now - shipped) * u3 if shipped else None,
                    completed_at=shipped + (ctx.now - shipped) * 0.8 if label == "completed" else None,
                    cancelled_at=paid + timedelta(minutes=30) if label == "cancelled" else None,
                    closed_at=placed + timedelta(days=150) if label == "closed" else None,
                )
            )
            items += [
                OrderItem(order_id=oid, product=p, name=p.name, unit_price=p.price, quantity=q, placed_at=placed)
                for p, q in lines
            ]
            if g % EVENT_EVERY == 0:
                events.append(
                    OrderEvent(order_id=oid, kind="placed", to_status=Order.Status.PENDING_PAYMENT, created_at=placed)
                )
        with transaction.atomic():
            Order.objects.bulk_create(orders, batch_size=500)
            OrderItem.objects.bulk_create(items, batch_size=500)
            OrderEvent.objects.bulk_create(events, batch_size=500)
        ctx.progress(len(batch))
