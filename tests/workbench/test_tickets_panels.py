"""Issue 9: support's workbench shows pending tickets by time left (T3) and
ticket timeouts per day; reviewers do not get it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories import order_placed
from tickets import services
from tickets.models import ServiceType, Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 12:00 Asia/Shanghai


def _ticket(shop, support, *, opened: datetime, sla_hours: int) -> Ticket:
    kind, _ = ServiceType.objects.get_or_create(code=f"t{sla_hours}", defaults={"name": "t", "sla_hours": sla_hours})
    order = order_placed(shop=shop, now=opened - timedelta(hours=1))
    return services.ticket_open(order=order, service_type=kind, description="物流查询", by=support, now=opened)


@time_machine.travel(NOW, tick=False)
def test_t3_support_sees_pending_tickets_by_time_left(client, support, merchant, shop_a):
    """Deadlines in 1 h and 6 h (both today, Shanghai) and in 30 h: 1 due
    within 2 h, 1 due later today (issue 15: the buckets are exclusive, the
    1 h one is not counted twice); one replied ticket waits for review. Each
    count links to the ticket list."""
    _ticket(shop_a, support, opened=NOW - timedelta(hours=23), sla_hours=24)  # due in 1 h
    _ticket(shop_a, support, opened=NOW - timedelta(hours=18), sla_hours=24)  # due in 6 h
    _ticket(shop_a, support, opened=NOW + timedelta(hours=6) - timedelta(hours=24), sla_hours=48)  # in 30 h
    replied = _ticket(shop_a, support, opened=NOW - timedelta(hours=1), sla_hours=24)
    services.ticket_reply(ticket=replied, message="已联系物流", by=merchant, now=NOW)

    client.force_login(support)
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    panel = html[html.index('data-panel="tickets-time-left"') :].split("</ul>")[0]
    counts = [int(c.split('"')[0]) for c in panel.split('data-count="')[1:]]
    assert counts == [0, 1, 1, 1]
    assert "/admin/tickets/ticket/?status__exact=pending" in panel
    assert "/admin/tickets/ticket/?status__exact=in_review" in panel
    assert 'data-panel="tickets-timeouts-chart"' in html
    assert 'data-panel="orders-review-queues"' not in html


def test_reviewer_does_not_get_the_support_panels(client, reviewer):
    client.force_login(reviewer)
    html = client.get("/admin/").content.decode()
    assert 'data-panel="tickets-time-left"' not in html
