"""Issue 9: the admin home as a workbench (panels by role, queue counts that
link to filtered lists, 30-day charts drawn server-side)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import workbench
from config.charts import bar_chart_svg, daily_series
from orders.models import CancellationRequest
from tests.workbench.helpers import pending_cancellation, refund_on_alternative_route

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def _panel(html: str, key: str) -> str:
    start = html.index(f'data-panel="{key}"')
    return html[start : html.index("</div>\n  </div>", start)]


@time_machine.travel(NOW, tick=False)
def test_reviewer_sees_review_queues_linking_to_filtered_lists(admin_client_for, reviewer, merchant, shop_a):
    """Given 2 pending cancellations (one decided already) and 1 refund on the
    alternative route, the reviewer's home shows 2 and 1, each linking to the
    admin list filtered to exactly those rows, with the oldest one's wait."""
    pending_cancellation(shop=shop_a, by=merchant, at=NOW - timedelta(hours=3))
    pending_cancellation(shop=shop_a, by=merchant, at=NOW - timedelta(minutes=20))
    decided = pending_cancellation(shop=shop_a, by=merchant, at=NOW - timedelta(minutes=5))
    CancellationRequest.objects.filter(pk=decided.pk).update(status=CancellationRequest.Status.REJECTED)
    refund_on_alternative_route(shop=shop_a, at=NOW - timedelta(minutes=30))

    html = admin_client_for(reviewer).get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    queues = _panel(html, "orders-review-queues")
    assert 'data-count="2"' in queues and 'data-count="1"' in queues
    assert "oldest waiting 3 h" in queues and "oldest waiting 30 min" in queues
    assert 'href="/admin/orders/cancellationrequest/?status__exact=pending_review"' in queues
    assert 'href="/admin/orders/alternativerouterefund/"' in queues


@time_machine.travel(NOW, tick=False)
def test_cancellation_chart_counts_requests_per_shanghai_day(admin_client_for, reviewer, merchant, shop_a):
    """A request at 23:30 Shanghai time counts on that day, one at 00:30 on the
    next: the chart's days are platform days, its 30 bars end today."""
    pending_cancellation(shop=shop_a, by=merchant, at=datetime(2026, 11, 19, 15, 30, tzinfo=UTC))  # 11-19 23:30
    pending_cancellation(shop=shop_a, by=merchant, at=datetime(2026, 11, 19, 16, 30, tzinfo=UTC))  # 11-20 00:30
    old = pending_cancellation(shop=shop_a, by=merchant, at=NOW - timedelta(days=40))
    CancellationRequest.objects.filter(pk=old.pk).update(status=CancellationRequest.Status.APPROVED)

    series = daily_series(CancellationRequest.objects.all(), "requested_at", now=NOW)

    assert len(series) == 30 and series[-1][0] == date(2026, 11, 21) and series[0][0] == date(2026, 10, 23)
    assert dict(series)[date(2026, 11, 19)] == 1 and dict(series)[date(2026, 11, 20)] == 1
    assert sum(v for _, v in series) == 2
    html = admin_client_for(reviewer).get("/admin/").content.decode()
    chart = _panel(html, "orders-cancellations-chart")
    assert chart.count('class="wb-bar"') == 30
    assert 'data-day="2026-11-20" data-value="1"' in chart
    assert "<svg" in chart and "<script" not in html.split('id="workbench"')[1].split("</section>")[0]


@time_machine.travel(NOW, tick=False)
def test_workbench_counts_never_scan_the_orders_table(admin_client_for, reviewer, merchant, shop_a):
    """The home page runs only small indexed counts: no query reads the orders table."""
    pending_cancellation(shop=shop_a, by=merchant, at=NOW - timedelta(hours=1))
    client = admin_client_for(reviewer)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/").status_code == 200
    order_table = '"orders_order"'
    assert not [q["sql"] for q in queries.captured_queries if f"FROM {order_table}" in q["sql"]]


def test_support_does_not_see_reviewer_queues(admin_client_for, support):
    """Panels follow the role: support staff get no cancellation/refund queues."""
    html = admin_client_for(support).get("/admin/").content.decode()
    assert 'data-panel="orders-review-queues"' not in html
    assert 'data-panel="orders-cancellations-chart"' not in html


def test_a_merchant_is_not_let_into_the_admin(client, merchant):
    """Merchants are not staff: the admin home sends them to the login page."""
    client.force_login(merchant)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_failing_panel_shows_an_error_card_not_a_500(admin_client_for, reviewer, monkeypatch):
    """One broken app panel is logged and shown as an error; the page stays up."""
    from orders import dashboard

    def broken(request, now):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard, "panels", broken)
    response = admin_client_for(reviewer).get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert b"This panel could not be loaded" in response.content


def test_changelist_url_is_none_for_a_model_without_admin():
    """A panel keeps its count even when the model has no admin list to link to."""
    assert workbench.changelist_url("orders", "nosuchmodel", status="x") is None


def test_bar_chart_svg_escapes_and_scales():
    """Labels are escaped, the axis top is a round number above the maximum,
    every day gets a bar with a tooltip."""
    series = [(date(2026, 11, d), v) for d, v in [(1, 0), (2, 7), (3, 3)]]
    svg = str(bar_chart_svg(series, label="<b>x</b>"))
    assert "&lt;b&gt;x&lt;/b&gt;" in svg and "<b>" not in svg
    assert svg.count('class="wb-bar"') == 3
    assert ">10</text>" in svg  # 7 rounds up to an axis of 10
    assert "<title>2026-11-02: 7</title>" in svg


def test_x3_running_export_shows_rows_written_of_total(admin_client_for, support):
    """While an export runs, its owner's workbench shows rows written of the total."""
    from orders.models import Export

    Export.objects.create(
        kind="orders",
        format="csv",
        status=Export.Status.RUNNING,
        created_by=support,
        row_count=48000,
        rows_written=12000,
    )
    html = admin_client_for(support).get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    panel = _panel(html, "orders-my-exports")
    assert 'data-done="12000" data-total="48000"' in panel
    assert "12000 of 48000 rows" in panel and '<progress max="100" value="25">' in panel


@time_machine.travel(NOW, tick=False)
def test_w15_charts_say_their_unit_and_an_empty_window_says_so(admin_client_for, reviewer, merchant, shop_a):
    """Issue 15 point 5: every figure and tooltip carries its unit (「个」, ¥ for
    money); a chart with nothing in its 30 days says 「近 30 天没有记录。」
    instead of drawing an empty grid."""
    pending_cancellation(shop=shop_a, by=merchant, at=NOW - timedelta(hours=1))
    html = admin_client_for(reviewer).get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    chart = _panel(html, "orders-cancellations-chart")
    assert "<strong>1 个</strong>" in chart and "<title>2026-11-21: 1 个</title>" in chart
    assert "近 30 天没有记录" not in chart
    for empty in ("penalties-judgements-chart", "penalties-deductions-chart"):
        panel = _panel(html, empty)
        assert "近 30 天没有记录。" in panel and "<svg" not in panel
    assert "<strong>¥0.00</strong>" in _panel(html, "penalties-deductions-chart")


def test_w15_money_chart_reads_as_yuan():
    series = [(date(2026, 11, d), v) for d, v in [(1, Decimal("0.00")), (2, Decimal("30.00")), (3, Decimal("7.50"))]]
    svg = str(bar_chart_svg(series, label="扣款", money=True))
    assert "<title>2026-11-02: ¥30.00</title>" in svg and "<title>2026-11-03: ¥7.50</title>" in svg
    assert ">¥50</text>" in svg and ">¥0</text>" in svg  # the axis in yuan, short
    assert "¥37.50" in svg  # the summary read by screen readers
