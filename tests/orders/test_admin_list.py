"""The order list's rows built by compiled columns (orders/admin_list.py) are
the admin theme's own rows (django-unfold's ``items_for_result``), cell for
cell (O2 at scale, O5 masking kept)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from unfold.templatetags.unfold_list import items_for_result

from config.labels import money
from orders.admin_list import compile_row, datetime_formatter, fast_results
from orders.models import Order
from tests.factories import ShopFactory, order_placed

pytestmark = pytest.mark.django_db
ORDERS = "/admin/orders/order/"


def _both(client, query=""):
    response = client.get(ORDERS + query)
    assert response.status_code == 200
    cl = response.context["cl"]
    django_rows = ["".join(items_for_result(cl, obj, None)) for obj in cl.result_list]
    fast_rows = [str(row[0]) for row in fast_results(cl)]
    return response, cl, django_rows, fast_rows


@pytest.mark.parametrize("who", ["reviewer", "support"])
def test_o2_fast_rows_are_djangos_rows(client, request, who):
    """Every cell (checkbox, link with preserved filters, shop, status label,
    escaped text, full or masked phone, money, local times, empty ship-by,
    boolean icons) is the HTML Django's items_for_result renders."""
    user = request.getfixturevalue(who)
    shop = ShopFactory(name='Tea & "Co" <b>')
    now = timezone.now()
    paid = order_placed(shop=shop, buyer_name="<script>x</script>", phone="13911112222", placed_at=now)
    order_placed(shop=shop, paid=False, placed_at=now - timedelta(hours=1))  # no ship-by: empty cell
    Order.objects.filter(pk=paid.pk).update(in_after_sale=True, buyer_name="  ")
    client.force_login(user)
    for query in ("", "?status__exact=awaiting_shipment&o=-7", "?q=13911112222"):
        response, cl, django_rows, fast_rows = _both(client, query)
        assert compile_row(cl) is not None
        assert fast_rows == django_rows and fast_rows
        page = response.content.decode()
        assert all(row in page for row in fast_rows)
    phone = re.search(r'<td class="field-(buyer_phone\w*) [^"]*" data-label="[^"]*">([^<]*)</td>', fast_rows[0])
    total = re.search(r'<td class="field-total [^"]*" data-label="[^"]*">([^<]*)</td>', fast_rows[0])
    assert total and total.group(1) == money(paid.total_amount)  # ¥1,940.00 (issue 15)
    if who == "support":
        assert phone.groups() == ("buyer_phone", "139****2222")
    else:
        assert phone.groups() == ("buyer_phone_full", "13911112222")


def test_o2_fast_rows_leave_popups_to_django(client, reviewer, shop_a):
    """A popup change list (links carry data-popup-opener) is rendered by Django."""
    order_placed(shop=shop_a)
    client.force_login(reviewer)
    response = client.get(ORDERS + "?_popup=1&_to_field=id")
    assert response.status_code == 200
    assert compile_row(response.context["cl"]) is None
    assert "data-popup-opener" in response.content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans", "de"])
@pytest.mark.parametrize("fmt", [None, "N j, Y, P", r"Y-m-d H:i:s.u \a\t e O T", "D, j M Y f A a g:i c r U"])
def test_o2_datetime_cells_match_djangos_localisation(language, fmt):
    """The memoised datetime formatter writes what formats.localize(template_localtime())
    writes, for many instants across days, hours, minutes and seconds."""
    from django.utils import formats, translation

    with translation.override(language), timezone.override("Asia/Shanghai"):
        fmt = fmt or formats.get_format("DATETIME_FORMAT")
        fast = datetime_formatter(fmt)
        start = timezone.now().replace(microsecond=123456)
        for step in range(0, 3 * 24 * 3600, 3607):
            value = start + timedelta(seconds=step)
            want = formats.date_format(timezone.template_localtime(value), fmt)
            assert fast(value) == want
        naive = timezone.make_naive(start)
        assert fast(naive) == formats.date_format(naive, fmt)


def test_o2_search_reads_rows_and_count_in_one_query(client, reviewer, shop_a):
    """A list searched by phone gets its page and the number of matches from one
    query (COUNT(*) OVER ()), on every page, and a one-page result is not
    re-read; a product-name search counts and pages separately (Django's way)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.admin import OrderAdmin
    from tests.factories import ProductFactory

    tea = ProductFactory(shop=shop_a, name="明前龙井 250g")
    orders = [
        order_placed(shop=shop_a, product=tea, phone="13911112222", placed_at=timezone.now() - timedelta(minutes=i))
        for i in range(5)
    ]
    client.force_login(reviewer)
    client.get(ORDERS + "?q=13911112222")  # warm the session and permission caches
    OrderAdmin.list_per_page, per_page = 2, OrderAdmin.list_per_page
    try:
        pages = []
        for p in (1, 2, 3):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(ORDERS + f"?q=13911112222&p={p}")
            cl = response.context["cl"]
            assert cl.result_count == 5
            pages.append([o.order_no for o in cl.result_list])
            order_queries = [q["sql"] for q in queries if '"orders_order"' in q["sql"]]
            assert len(order_queries) == 1 and "OVER ()" in order_queries[0]
        assert pages == [[o.order_no for o in orders[0:2]], [o.order_no for o in orders[2:4]], [orders[4].order_no]]
        # past the end: Django's invalid-page redirect
        assert client.get(ORDERS + "?q=13911112222&p=9").status_code == 302
    finally:
        OrderAdmin.list_per_page = per_page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ORDERS + "?q=13911112222")
    assert len(response.context["cl"].result_list) == 5
    assert len([q for q in queries if '"orders_order"' in q["sql"]]) == 1
    assert client.get(ORDERS + "?q=13900000000").context["cl"].result_count == 0
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ORDERS + "?q=龙井")
    assert response.context["cl"].result_count == 5
    assert [o.order_no for o in response.context["cl"].result_list] == [o.order_no for o in orders]
    assert not any("OVER ()" in q["sql"] for q in queries)
