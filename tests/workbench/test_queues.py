"""Issue 15 point 5: the support queue is right at a glance. The "by time
left" links sort soonest first (the ``o=`` index counts the checkbox
column), the deadline buckets are exclusive and each links to exactly its
tickets, and the time-left column carries its urgency."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine

from tests.factories import order_placed
from tickets import services
from tickets.models import ServiceType, Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 10:00 Asia/Shanghai: "later today" has room


def _ticket(shop, support, *, due_in: timedelta) -> Ticket:
    kind, _ = ServiceType.objects.get_or_create(code="t24", defaults={"name": "物流查询", "sla_hours": 24})
    opened = NOW + due_in - timedelta(hours=24)
    order = order_placed(shop=shop, now=opened - timedelta(hours=1))
    return services.ticket_open(order=order, service_type=kind, description="物流查询", by=support, now=opened)


def _queue_links(html: str) -> list[str]:
    panel = html[html.index('data-panel="tickets-time-left"') :].split("</ul>")[0]
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', panel)]


def _listed(client, url: str) -> list[str]:
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    return re.findall(r"T\d{16}", html.split('id="result_list"', 1)[1].split("</table>")[0])


@pytest.fixture
def queue(support, shop_a):
    with time_machine.travel(NOW, tick=False):
        return {
            "overdue": _ticket(shop_a, support, due_in=-timedelta(minutes=30)),
            "soon_late": _ticket(shop_a, support, due_in=timedelta(minutes=90)),
            "soon_early": _ticket(shop_a, support, due_in=timedelta(minutes=20)),
            "today": _ticket(shop_a, support, due_in=timedelta(hours=5)),
            "later": _ticket(shop_a, support, due_in=timedelta(hours=30)),
        }


def test_w15_deadline_buckets_are_exclusive_and_link_to_exactly_their_tickets(client, support, queue):
    """Past the deadline 1, within 2 h 2, later today 1 (not 3: the 2 h ones
    are not counted again); each link lists exactly those tickets."""
    client.force_login(support)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        panel = html[html.index('data-panel="tickets-time-left"') :].split("</ul>")[0]
        counts = [int(c.split('"')[0]) for c in panel.split('data-count="')[1:]]
        assert counts[:3] == [1, 2, 1]
        overdue, soon, today = _queue_links(html)[:3]
        assert len({overdue, soon, today}) == 3
        assert set(_listed(client, overdue)) == {queue["overdue"].ticket_no}
        assert set(_listed(client, soon)) == {queue["soon_early"].ticket_no, queue["soon_late"].ticket_no}
        assert set(_listed(client, today)) == {queue["today"].ticket_no}


def test_w15_time_left_link_sorts_soonest_deadline_first(client, support, queue):
    """The "due within 2 h" link lists the 20-minute ticket before the
    90-minute one (it sorted by the column next to it before: ``o`` was off
    by the checkbox column)."""
    client.force_login(support)
    with time_machine.travel(NOW, tick=False):
        soon = _queue_links(client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode())[1]
        assert _listed(client, soon) == [queue["soon_early"].ticket_no, queue["soon_late"].ticket_no]
        everything = soon.replace("time_left=soon", "time_left=")
        order = [queue[k].ticket_no for k in ("overdue", "soon_early", "soon_late", "today", "later")]
        assert _listed(client, everything) == order


def test_w15_time_left_column_carries_its_urgency(client, support, queue):
    client.force_login(support)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/admin/tickets/ticket/?status__exact=pending", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = {no: row for row in html.split("<tr")[1:] for no in re.findall(r"T\d{16}", row)[:1]}
    assert 'data-urgency="overdue"' in rows[queue["overdue"].ticket_no]
    assert 'data-urgency="soon"' in rows[queue["soon_early"].ticket_no]
    assert 'data-urgency="today"' in rows[queue["today"].ticket_no]
    assert 'data-urgency="later"' in rows[queue["later"].ticket_no]
