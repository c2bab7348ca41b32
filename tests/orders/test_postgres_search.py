"""PostgreSQL-only: the admin's product search uses the trigram index and the
unfiltered order list never counts the table."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.admin import search_route
from orders.models import Order
from tests.factories import ProductFactory, UserFactory, order_placed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_o2_product_search_uses_the_name_and_item_indexes(shop_a):
    """The names through the sold-name trigram index, the orders through the
    items' (name, placed_at) index: neither reads every order."""
    order_placed(shop=shop_a, product=ProductFactory(shop=shop_a, name="明前龙井 250g"))
    _route, condition = search_route("龙井")
    with connection.cursor() as cursor:
        # A tiny test table: only bitmap scans, so each index used is named.
        cursor.execute("SET enable_seqscan = off; SET enable_indexscan = off; SET enable_indexonlyscan = off")
        plan = Order.objects.filter(condition).explain()
        cursor.execute("RESET enable_seqscan; RESET enable_indexscan; RESET enable_indexonlyscan")
    assert "sold_name_trgm" in plan and "item_name_placed" in plan, plan
    assert "order_product_names_trgm" not in plan and "Seq Scan" not in plan, plan


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_admin_unfiltered_list_uses_estimated_count(client, shop_a):
    # transactional tests flush the migrated groups: use a superuser
    reviewer = UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(3):
        order_placed(shop=shop_a)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/orders/order/")
    assert response.status_code == 200
    sqls = [q["sql"] for q in queries]
    assert any("reltuples" in s for s in sqls)
    assert not any("COUNT(*)" in s and '"orders_order"' in s for s in sqls)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_o2_trigram_index_keeps_a_short_pending_list():
    """Every product search reads the GIN pending list in full: the index
    merges it past 256 kB instead of the 4 MB default (migration 0007)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'order_product_names_trgm'")
        (options,) = cursor.fetchone()
    assert "gin_pending_list_limit=256" in options


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_o2_product_search_past_the_cap_walks_the_time_index(client, shop_a, monkeypatch):
    """Past the cap, a page near the top is read by walking (placed_at, id)
    (planner settings local to that statement's transaction); under it, one
    statement over the matches gives the count and the page."""
    from orders.admin import OrderAdmin

    reviewer = UserFactory(username="root", is_staff=True, is_superuser=True)
    tea = ProductFactory(shop=shop_a, name="明前龙井 250g")
    newest = [order_placed(shop=shop_a, product=tea).order_no for _ in range(12)][::-1]
    monkeypatch.setattr(OrderAdmin, "list_per_page", 1)
    client.force_login(reviewer)
    for cap, walked in ((10, True), (20, False)):
        monkeypatch.setattr(OrderAdmin, "search_count_cap", cap)
        with CaptureQueriesContext(connection) as queries:
            # With a list filter (the shop): the generic count and walk, not the items' index.
            response = client.get(f"/admin/orders/order/?q=龙井&shop__id__exact={shop_a.pk}")
        cl = response.context["cl"]
        assert [o.order_no for o in cl.result_list] == newest[:1]
        assert cl.result_count == min(cap, 12) and cl.result_count_capped is walked
        sqls = [q["sql"] for q in queries]
        assert any("AS MATERIALIZED" in s for s in sqls)
        assert any("enable_bitmapscan = off" in s for s in sqls) is walked
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_bitmapscan")
            assert cursor.fetchone()[0] == "on"  # local to the walk's transaction


# --- the unfiltered product search reads its page from the items' index ------------


@pytest.fixture
def teas(shop_a, shop_b):
    """Seven orders selling a 龙井 name (two names, one order with both), newest first,
    and one order of something else."""
    from datetime import timedelta

    from django.utils import timezone

    from orders.services import ItemSpec, order_place

    t0 = timezone.now() - timedelta(days=1)
    longjing = ProductFactory(shop=shop_a, name="明前龙井 250g")
    other = ProductFactory(shop=shop_b, name="西湖龙井 礼盒")
    order_placed(shop=shop_a, product=ProductFactory(shop=shop_a, name="碧螺春"), placed_at=t0)
    made = []
    for i in range(6):
        product = longjing if i % 2 else other
        made.append(order_placed(shop=product.shop, product=product, placed_at=t0 - timedelta(hours=i + 1)))
    both = ProductFactory(shop=shop_a, name="西湖龙井 礼盒")  # the same name as sold, another product
    made.insert(
        0,
        order_place(
            shop=shop_a,
            buyer_name="张三",
            buyer_phone="13812345678",
            address="上海市浦东新区世纪大道100号",
            items=[
                ItemSpec(product=longjing, quantity=1, unit_price=longjing.price),
                ItemSpec(product=both, quantity=1, unit_price=both.price),
            ],
            now=t0,
            placed_at=t0 - timedelta(minutes=30),
        ),
    )
    return [o.order_no for o in made]


def _search(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return response.context["cl"], [q["sql"] for q in queries]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_o2_product_search_pages_from_the_item_index(client, teas, monkeypatch):
    """Newest first, every page, an order with two matching items counted
    once, the exact count under the cap and "cap+" past it, one statement
    for the page (no count of every match, no walk of the time index)."""
    from orders.admin import OrderAdmin

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    monkeypatch.setattr(OrderAdmin, "list_per_page", 3)
    monkeypatch.setattr(OrderAdmin, "search_count_cap", 10)
    pages = []
    for page in (1, 2, 3):
        cl, sqls = _search(client, f"/admin/orders/order/?q=龙井&p={page}")
        assert cl.result_count == 7 and not cl.result_count_capped
        assert any("CROSS JOIN LATERAL" in s and "orders_orderitem" in s for s in sqls)
        assert not any("AS MATERIALIZED" in s or "enable_bitmapscan" in s for s in sqls)
        pages += [o.order_no for o in cl.result_list]
    assert pages == teas
    monkeypatch.setattr(OrderAdmin, "search_count_cap", 5)
    cl, _sqls = _search(client, "/admin/orders/order/?q=龙井")
    assert cl.result_count == 5 and cl.result_count_capped and [o.order_no for o in cl.result_list] == teas[:3]
    cl, _sqls = _search(client, "/admin/orders/order/?q=礼盒")  # one name only
    assert cl.result_count == 4 and [o.order_no for o in cl.result_list] == [teas[0], teas[1], teas[3]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_o2_product_search_with_many_names_or_a_filter_gives_the_same_page(client, teas, shop_a, monkeypatch):
    """Past the names limit, or with a list filter, the generic count-and-sort
    answers, with the same rows as the index path."""
    from orders import selectors
    from orders.admin import OrderAdmin

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    monkeypatch.setattr(OrderAdmin, "list_per_page", 100)
    cl, _sqls = _search(client, "/admin/orders/order/?q=龙井")
    by_index = [o.order_no for o in cl.result_list]
    monkeypatch.setattr(selectors, "PRODUCT_SEARCH_MAX_NAMES", 1)
    cl, sqls = _search(client, "/admin/orders/order/?q=龙井")
    assert [o.order_no for o in cl.result_list] == by_index == teas and cl.result_count == 7
    assert not any("CROSS JOIN LATERAL" in s for s in sqls)
    cl, sqls = _search(client, f"/admin/orders/order/?q=龙井&shop__id__exact={shop_a.pk}")
    shop_a_orders = set(Order.objects.filter(shop=shop_a).values_list("order_no", flat=True))
    assert [o.order_no for o in cl.result_list] == [n for n in teas if n in shop_a_orders]
    assert not any("CROSS JOIN LATERAL" in s for s in sqls)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_o2_product_search_finds_an_alphanumeric_order_number(client, teas, shop_a):
    """Intake's alphanumeric order numbers: an exact hit merged into the page by time."""
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    Order.objects.filter(order_no=teas[2]).update(order_no="JD-龙井-7")
    cl, _sqls = _search(client, "/admin/orders/order/?q=JD-龙井-7")
    assert [o.order_no for o in cl.result_list] == ["JD-龙井-7"] and cl.result_count == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_p1_merchant_overdue_list_skips_unshipped_orders_not_yet_late_in_the_index(shop_a):
    """The merchant's ``overdue`` list walks the shop's unshipped orders newest
    first (``order_awaiting_shop_placed``) with the deadline checked in the
    index (``ship_by`` is its last key): the newest orders, not late yet, are
    never read from the table."""
    from django.utils import timezone

    from orders import overdue

    order_placed(shop=shop_a)
    now = timezone.now()
    queryset = Order.objects.filter(shop=shop_a).filter(overdue.overdue_q(now)).order_by("-placed_at", "-id")[:21]
    with connection.cursor() as cursor:
        # A one-row test table: no scan or sort the planner would take for so few rows.
        cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off")
        plan = queryset.explain()
        cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_sort")
    assert "order_awaiting_shop_placed" in plan, plan
    index_cond = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "shop_id" in index_cond and "ship_by <" in index_cond, plan
