"""Issue 9: reviewers' workbench shows the sanction list queue (P5) and the
30-day charts of judgements (P1/P2) and deductions (P3)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from penalties.services.deductions import deductions_run
from penalties.services.judgement import violations_judge
from tests.factories import order_placed

pytestmark = pytest.mark.django_db

PAID = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def _panel(html: str, key: str) -> str:
    start = html.index(f'data-panel="{key}"')
    return html[start : html.index("</div>\n  </div>", start)]


def test_p5_reviewer_workbench_lists_sanctions_judgements_and_deductions(client, reviewer, shop_a):
    """An order left unshipped is judged 3 times (P2) and charged twice (P3):
    the shop shows on the sanction queue, the judgement chart counts 3, the
    deduction chart sums 20.00."""
    order_placed(shop=shop_a, now=PAID, placed_at=PAID, paid_at=PAID)
    for hours in (49, 49 + 24, 49 + 48):
        violations_judge(now=PAID + timedelta(hours=hours))
    for days in (4, 5, 6):
        deductions_run(now=PAID + timedelta(days=days))
    now = PAID + timedelta(days=7)

    client.force_login(reviewer)
    with time_machine.travel(now, tick=False):
        html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'data-count="1"' in _panel(html, "penalties-sanction-list")
    assert "/admin/penalties/sanctioncandidate/?status__exact=active" in _panel(html, "penalties-sanction-list")
    judged = _panel(html, "penalties-judgements-chart")
    assert sum(int(v) for v in judged.split('data-value="')[1:] for v in [v.split('"')[0]]) == 3
    deducted = _panel(html, "penalties-deductions-chart")
    total = sum(Decimal(v.split('"')[0].replace(",", "")) for v in deducted.split('data-value="')[1:])
    assert total == Decimal("20.00")
