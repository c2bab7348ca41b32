"""Rule W2: "changed since T" lists, oldest change first, keyset cursor on
(updated_at, id) that never skips or repeats a row."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model

from orders.models import Order
from orders.services import after_sale_open, cancellation_approve, cancellation_request, order_ship
from penalties.services import deductions_run, deposit_top_up, violations_judge
from tests.factories import order_placed

pytestmark = pytest.mark.django_db

T = datetime.fromisoformat("2026-03-02T10:00:00+08:00")


def walk(client, path: str, params: dict, *, cursor: str | None = None, limit: int = 100):
    """Follow ``next`` links from ``updated_after`` (or a saved cursor); the rows
    in order and the cursor to resume from."""
    rows: list[dict] = []
    query = dict(params)
    if cursor:
        query["cursor"] = cursor
    body = client.get(path, query).json()
    for _ in range(limit):
        rows += body["results"]
        if not body["next"]:
            return rows, body["sync_cursor"]
        body = client.get(body["next"]).json()
    raise AssertionError("no end")


def test_w2_orders_walk_never_skips_or_repeats_while_rows_share_a_time_and_change(api, merchant, shop_a, shop_b):
    """Given 23 orders sharing one change time, a client walking pages of 5
    while two of them change (one already read, one not yet): the walk lists
    every unchanged order exactly once, and the resumed walk lists the two
    changed orders once each in their new state; oldest change first."""
    with time_machine.travel(T, tick=False):
        orders = [order_placed(shop=shop_a if i % 2 else shop_b, now=T) for i in range(23)]
    assert len({o.updated_at for o in Order.objects.all()}) == 1
    client = api(merchant)
    since = (T - timedelta(seconds=1)).isoformat()

    with time_machine.travel(T + timedelta(minutes=1), tick=False):
        first = client.get("/api/v1/orders/", {"updated_after": since, "page_size": 5}).json()
        assert [r["updated_at"] for r in first["results"]] == sorted(r["updated_at"] for r in first["results"])
        seen = [r["order_no"] for r in first["results"]]
        unseen = next(o for o in orders if o.order_no not in seen)
        # Two orders change during the walk: one already read, one not yet.
        order_ship(order=Order.objects.get(order_no=seen[0]), carrier="SF", tracking_no="SF1", by=None, now=T)
        order_ship(order=unseen, carrier="SF", tracking_no="SF2", by=None, now=T)
        rest, cursor = walk(client, first["next"], {})
    walked = seen + [r["order_no"] for r in rest]
    assert len(walked) == len(set(walked)), "a row repeated within one walk"
    assert set(walked) == {o.order_no for o in orders} - {unseen.order_no}
    # The changed rows are not listed until they settle (SYNC_SETTLE_SECONDS).
    with time_machine.travel(T + timedelta(minutes=2), tick=False):
        resumed, _cursor = walk(client, "/api/v1/orders/", {"updated_after": since}, cursor=cursor)
    assert sorted(r["order_no"] for r in resumed) == sorted([seen[0], unseen.order_no])
    assert {r["status"] for r in resumed} == {"shipped"}
    # Nothing changed since: the same cursor answers an empty page with the same cursor.
    with time_machine.travel(T + timedelta(minutes=3), tick=False):
        again = client.get("/api/v1/orders/", {"updated_after": since, "cursor": _cursor}).json()
    assert again["results"] == [] and again["sync_cursor"] == _cursor and again["next"] is None


def test_w2_a_change_is_listed_only_once_settled(api, merchant, shop_a, settings):
    """A row changed less than SYNC_SETTLE_SECONDS ago is not listed yet (its
    transaction may still be committing an earlier change time elsewhere)."""
    settings.SYNC_SETTLE_SECONDS = 5
    with time_machine.travel(T, tick=False):
        order = order_placed(shop=shop_a, now=T)
    since = (T - timedelta(seconds=1)).isoformat()
    with time_machine.travel(T + timedelta(seconds=4), tick=False):
        assert api(merchant).get("/api/v1/orders/", {"updated_after": since}).json()["results"] == []
    with time_machine.travel(T + timedelta(seconds=5), tick=False):
        rows = api(merchant).get("/api/v1/orders/", {"updated_after": since}).json()["results"]
    assert [r["order_no"] for r in rows] == [order.order_no]


def test_w2_cancellation_and_refund_move_the_order(api, merchant, shop_a, reviewer):
    """A cancellation request, its approval and the refund it issues (shown on
    the order) each move the order's change time."""
    with time_machine.travel(T, tick=False):
        order = order_placed(shop=shop_a, now=T)
    stamps = [Order.objects.get(pk=order.pk).updated_at]
    with time_machine.travel(T + timedelta(minutes=10), tick=False):
        request = cancellation_request(order=order, reason="out_of_stock", by=merchant, now=T + timedelta(minutes=10))
    stamps.append(Order.objects.get(pk=order.pk).updated_at)
    with time_machine.travel(T + timedelta(minutes=20), tick=False):
        cancellation_approve(cancellation=request, by=reviewer, now=T + timedelta(minutes=20))
    stamps.append(Order.objects.get(pk=order.pk).updated_at)
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    since = (T + timedelta(minutes=15)).isoformat()
    with time_machine.travel(T + timedelta(hours=1), tick=False):
        rows = api(merchant).get("/api/v1/orders/", {"updated_after": since}).json()["results"]
    assert [(r["order_no"], r["status"]) for r in rows] == [(order.order_no, "cancelled")]


def test_w2_every_mirrored_list_reads_changed_since_oldest_first(api, merchant, merchant2, shop_a, shop_c, reviewer):
    """After-sales, tickets, violations and deposit entries answer
    ``updated_after`` oldest change first with ``updated_at``; a violation
    charged by the nightly SQL batch moves; another shop's rows never show."""
    support = get_user_model().objects.create_user("support_w2", is_staff=True)
    from django.contrib.auth.models import Group

    from orders.roles import SUPPORT
    from tickets.models import ServiceType
    from tickets.services import ticket_open

    support.groups.add(Group.objects.get(name=SUPPORT))
    with time_machine.travel(T, tick=False):
        a1 = order_placed(shop=shop_a, now=T)
        c1 = order_placed(shop=shop_c, now=T)
        deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="initial", now=T)
    judged = T + timedelta(hours=49)
    with time_machine.travel(judged, tick=False):
        violations_judge(now=judged)
        after_sale_open(order=a1, type="refund_only", reason="other", amount=Decimal("1.00"), now=judged)
        after_sale_open(order=c1, type="refund_only", reason="other", amount=Decimal("1.00"), now=judged)
        ticket_open(order=a1, service_type=ServiceType.objects.first(), description="x", by=support, now=judged)
        ticket_open(order=c1, service_type=ServiceType.objects.first(), description="x", by=support, now=judged)
    client = api(merchant)
    since = (judged - timedelta(seconds=1)).isoformat()
    with time_machine.travel(judged + timedelta(minutes=1), tick=False):
        for path in ("/api/v1/after-sales/", "/api/v1/tickets/", "/api/v1/violations/"):
            rows = client.get(path, {"updated_after": since}).json()["results"]
            assert len(rows) == 1 and rows[0]["order_no"] == a1.order_no, path
            assert rows[0]["updated_at"]
        entries = client.get("/api/v1/deposit/entries/", {"updated_after": (T - timedelta(1)).isoformat()}).json()
        assert [e["kind"] for e in entries["results"]] == ["top_up"]
        _, violation_cursor = walk(client, "/api/v1/violations/", {"updated_after": since})
    charged_at = datetime.fromisoformat("2026-03-05T00:30:00+08:00")
    with time_machine.travel(charged_at, tick=False):
        deductions_run(now=charged_at)
    with time_machine.travel(charged_at + timedelta(minutes=1), tick=False):
        changed, _ = walk(client, "/api/v1/violations/", {"updated_after": since}, cursor=violation_cursor)
        entries, _ = walk(client, "/api/v1/deposit/entries/", {"updated_after": since})
        other = client.get("/api/v1/violations/", {"updated_after": since, "shop": shop_c.pk}).json()["results"]
        theirs = api(merchant2).get("/api/v1/violations/", {"updated_after": since}).json()["results"]
    assert [(r["order_no"], r["charge_status"]) for r in changed] == [(a1.order_no, "charged")]
    assert [e["kind"] for e in entries] == ["deduction"]
    assert other == [] and [r["order_no"] for r in theirs] == [c1.order_no]


def test_w2_bad_cursor_is_404_and_bad_time_is_400(api, merchant):
    client = api(merchant)
    assert client.get("/api/v1/orders/", {"updated_after": "yesterday"}).status_code == 400
    for bad in ("nope", "W1sxXV0", "WyIyMDI2LTAzLTAyVDEwOjAwOjAwKzAwOjAwIiwgLTFd", "x" * 300):
        resp = client.get("/api/v1/orders/", {"updated_after": T.isoformat(), "cursor": bad})
        assert resp.status_code == 404 and resp.json()["code"] == "not_found", bad
    resp = client.get("/api/v1/orders/", {"updated_after": T.isoformat(), "page_size": "500"})
    assert resp.status_code == 400
