"""Issue 15: the day-range filter on the orders, tickets and violations lists
(config.admin_filters.DayRangeFilter): Asia/Shanghai days, both ends
included, bad input a form error (never a 500), other filters kept, and the
background export of the filtered list sees the same rows."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from orders.exports.registry import get_kind
from orders.exports.services import admin_selection
from orders.models import Order
from penalties.models import Violation
from penalties.services import violations_judge
from tests.factories import order_placed
from tickets.models import ServiceType
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
ORDERS = "/admin/orders/order/"


def sh(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def three_days(shop_a):
    """Orders placed late on 1 March, just after midnight on 2 March and on
    3 March (Asia/Shanghai): 1 March 23:30 is 15:30 UTC, 2 March 00:30 is
    still 1 March 16:30 in UTC."""
    return [
        order_placed(shop=shop_a, now=sh(2026, 3, 1, 23, 30)),
        order_placed(shop=shop_a, now=sh(2026, 3, 2, 0, 30)),
        order_placed(shop=shop_a, now=sh(2026, 3, 3, 23, 59)),
    ]


def _rows(client, query):
    response = client.get(ORDERS + query)
    assert response.status_code == 200, query
    return sorted(o.order_no for o in response.context["cl"].result_list), response.content.decode()


def test_w15_orders_placed_range_is_shanghai_days_both_ends_included(client, reviewer, three_days):
    late_1st, early_2nd, late_3rd = (o.order_no for o in three_days)
    client.force_login(reviewer)
    assert _rows(client, "?placed_at_from=2026-03-02&placed_at_to=2026-03-02")[0] == [early_2nd]
    assert _rows(client, "?placed_at_from=2026-03-02&placed_at_to=2026-03-03")[0] == sorted([early_2nd, late_3rd])
    assert _rows(client, "?placed_at_to=2026-03-01")[0] == [late_1st]
    assert _rows(client, "?placed_at_from=2026-03-03")[0] == [late_3rd]
    # kept with the other filters: the form carries them as hidden fields
    rows, html = _rows(client, "?status__exact=awaiting_shipment&placed_at_from=2026-03-02&placed_at_to=2026-03-02")
    assert rows == [early_2nd]
    assert '<input type="hidden" name="status__exact" value="awaiting_shipment">' in html
    assert 'name="placed_at_from"' in html and 'value="2026-03-02"' in html


@pytest.mark.parametrize(
    "query, error",
    [
        ("?placed_at_from=2026-13-01", "Enter a valid date."),
        ("?placed_at_from=not-a-day&placed_at_to=2026-03-02", "Enter a valid date."),
        ("?placed_at_from=0001-01-01", "Enter a day between 2000-01-01 and 2099-12-31."),
        ("?placed_at_to=9999-12-31", "Enter a day between 2000-01-01 and 2099-12-31."),
        ("?placed_at_from=2026-03-03&placed_at_to=2026-03-01", "The end day is before the start day."),
        ("?placed_at_from=2026-03-01%00", "Enter a valid date."),
    ],
)
def test_w15_orders_placed_range_bad_input_is_a_form_error(client, reviewer, three_days, query, error):
    """Bad input is shown under the field and that bound is not applied: never a 500."""
    client.force_login(reviewer)
    rows, html = _rows(client, query)
    assert error in html
    if "placed_at_to=2026-03-02" in query:
        assert len(rows) == 2  # the valid bound still applies
    else:
        assert len(rows) == 3


def test_w15_orders_placed_range_in_chinese(client, reviewer, three_days):
    client.force_login(reviewer)
    html = client.get(ORDERS + "?placed_at_from=2026-13-01", headers={"accept-language": "zh-hans"}).content.decode()
    texts = ["下单时间", "今日", "最近 7 天", "本月", "应用", "开始日期", "结束日期（含当天）", "输入一个有效的日期。"]
    for text in texts:
        assert text in html, text


def test_w15_background_export_sees_the_same_range(reviewer, three_days):
    """The admin export replays the change list's query string: same rows."""
    selection = admin_selection(
        kind=get_kind("orders"), query="placed_at_from=2026-03-02&placed_at_to=2026-03-02", user=reviewer
    )
    assert list(selection.values_list("order_no", flat=True)) == [three_days[1].order_no]
    assert Order.objects.count() == 3


def test_w15_tickets_created_range(client, support, shop_a):
    stype = ServiceType.objects.get(code="logistics_query")
    order = order_placed(shop=shop_a, now=sh(2026, 3, 1, 9, 0))
    ticket_open(order=order, service_type=stype, description="一", by=support, now=sh(2026, 3, 1, 23, 50))
    order = order_placed(shop=shop_a, now=sh(2026, 3, 1, 9, 0))
    second = ticket_open(order=order, service_type=stype, description="二", by=support, now=sh(2026, 3, 2, 0, 10))
    client.force_login(support)
    url = reverse("admin:tickets_ticket_changelist")
    page = client.get(url + "?created_at_from=2026-03-02&created_at_to=2026-03-02")
    assert page.status_code == 200
    assert [t.ticket_no for t in page.context["cl"].result_list] == [second.ticket_no]
    bad = client.get(url + "?created_at_from=2026-02-30")
    assert bad.status_code == 200 and "Enter a valid date." in bad.content.decode()
    assert len(bad.context["cl"].result_list) == 2


def test_w15_violations_judged_range(client, reviewer, shop_a):
    t = sh(2026, 3, 2, 10, 0)
    order_placed(shop=shop_a, now=t, paid_at=t)
    first = t + timedelta(hours=48, minutes=5)  # 4 March 10:05
    for k in range(2):
        violations_judge(now=first + timedelta(hours=24 * k))
    assert Violation.objects.count() == 2
    client.force_login(reviewer)
    url = reverse("admin:penalties_violation_changelist")
    page = client.get(url + "?judged_at_from=2026-03-05&judged_at_to=2026-03-05")
    assert page.status_code == 200
    assert [v.judgement_no for v in page.context["cl"].result_list] == [2]
    bad = client.get(url + "?judged_at_to=abc")
    assert bad.status_code == 200 and len(bad.context["cl"].result_list) == 2
