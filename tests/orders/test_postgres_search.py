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
def test_o2_product_search_uses_trigram_index(shop_a):
    order_placed(shop=shop_a, product=ProductFactory(shop=shop_a, name="明前龙井 250g"))
    _route, condition = search_route("龙井")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = Order.objects.filter(condition).explain()
        cursor.execute("RESET enable_seqscan")
    assert "order_product_names_trgm" in plan


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
            response = client.get("/admin/orders/order/?q=龙井")
        cl = response.context["cl"]
        assert [o.order_no for o in cl.result_list] == newest[:1]
        assert cl.result_count == min(cap, 12) and cl.result_count_capped is walked
        sqls = [q["sql"] for q in queries]
        assert any("AS MATERIALIZED" in s for s in sqls)
        assert any("enable_bitmapscan = off" in s for s in sqls) is walked
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_bitmapscan")
            assert cursor.fetchone()[0] == "on"  # local to the walk's transaction
