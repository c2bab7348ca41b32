"""O1: every order status change goes through the one declared table in
``orders/transitions.py`` (issue 13, point 5)."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest
from django.db import transaction

from orders.errors import OrderError
from orders.models import Order, StatusWriteOutsideTable
from orders.transitions import ALLOWED, EDGES, can_move, order_move, orders_move
from tests.factories import order_placed

pytestmark = pytest.mark.django_db
S = Order.Status
ROOT = Path(__file__).resolve().parents[2]
PAIRS = [(a, b) for a, b in itertools.product(S.values, S.values) if a != b]
NON_EDGES = [pair for pair in PAIRS if pair not in EDGES]


def test_o1_the_table_covers_every_status_and_only_known_ones():
    assert set(ALLOWED) == set(S.values)
    assert all(to in S.values and to != src for src, tos in ALLOWED.items() for to in tos)
    assert not ALLOWED[S.CANCELLED] and not ALLOWED[S.CLOSED]  # the ends are ends


@pytest.mark.parametrize(("src", "to"), NON_EDGES, ids=[f"{a}->{b}" for a, b in NON_EDGES])
def test_o1_a_move_outside_the_table_is_refused(shop_a, src, to):
    """order_move answers 409 invalid_transition; the set-based twin refuses
    to run; nothing is written."""
    order = order_placed(shop=shop_a)
    order.status = src  # in memory only, to ask the table
    order._status_loaded = src
    assert not can_move(src, to)
    with pytest.raises(OrderError) as refused:
        order_move(order, to)
    assert refused.value.code == "invalid_transition" and order.status == src
    with pytest.raises(ValueError):
        orders_move(Order.objects.filter(pk=order.pk), src, to)
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_SHIPMENT


def test_o1_a_status_write_around_the_table_is_a_bug(shop_a):
    """Order.save and Order.objects.update refuse a status change that did
    not come through order_move / orders_move, even along a real edge."""
    order = order_placed(shop=shop_a)
    loaded = Order.objects.get(pk=order.pk)
    loaded.status = S.SHIPPED
    with pytest.raises(StatusWriteOutsideTable):
        loaded.save()
    with pytest.raises(StatusWriteOutsideTable):
        loaded.save(update_fields=["status"])
    with pytest.raises(StatusWriteOutsideTable):
        Order.objects.filter(pk=order.pk).update(status=S.CLOSED)
    with pytest.raises(StatusWriteOutsideTable), transaction.atomic():
        Order.objects.bulk_update([loaded], ["status"])
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_SHIPMENT
    loaded.save(update_fields=["buyer_name"])  # other fields are free
    assert orders_move(Order.objects.filter(pk=order.pk), S.AWAITING_SHIPMENT, S.SHIPPED) == 1
    assert orders_move(Order.objects.filter(pk=order.pk), S.AWAITING_SHIPMENT, S.SHIPPED) == 0  # conditional


# --- no status write behind the table's back -------------------------------------------------

APP_DIRS = ["orders", "penalties", "tickets", "config", "bench"]
# A raw SQL statement (or CTE part) whose SET clause writes a column named
# exactly ``status``; group 1 is the table it updates. (An INSERT creates an
# order, the seed's COPY too: a creation is not a move.)
SQL_STATUS_WRITE = re.compile(
    r"(?is)\bUPDATE\s+(\S+)(?:(?!\bWHERE\b|\bUPDATE\b).)*?\bSET\b(?:(?!\bWHERE\b).)*?(?<![\w.])status\s*="
)
# Files allowed to write around the table, each with its reason.
AROUND_THE_TABLE = {
    "bench/jobs.py": "the benchmark's bare-UPDATE timing anchor for P7 (a declared edge, always rolled back)",
}


def _writes_order_status(sql: str) -> bool:
    """True when a statement in ``sql`` sets ``status`` on the orders table
    (named, or an f-string placeholder naming an order table, or unknown)."""
    for match in SQL_STATUS_WRITE.finditer(sql):
        table = match.group(1).lower().strip('"')
        if table == "orders_order" or table == "{}":
            return True
        if table.startswith("{") and "order" in table and not any(w in table for w in ("event", "item")):
            return True
    return False


def _sources():
    for folder in APP_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _strings(tree):
    """Every string literal, an f-string's literal parts joined."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            parts = (v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}" for v in node.values)
            yield node.lineno, "".join(parts)


def test_o1_no_order_status_write_outside_the_table():
    """Scans the application code: no ``order.status = …`` assignment and no
    ``status=`` keyword in an ``update()`` on orders outside
    ``orders/transitions.py``; no raw SQL writing an orders ``status``."""
    offenders = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel == "orders/transitions.py" or rel in AROUND_THE_TABLE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr == "status":
                        owner = ast.unparse(target.value)
                        if "order" in owner.lower() and "cancellation" not in owner.lower():
                            offenders.append(f"{rel}:{node.lineno} {owner}.status = …")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
                if any(k.arg == "status" for k in node.keywords) and "Order.objects" in ast.unparse(node.func.value):
                    offenders.append(f"{rel}:{node.lineno} Order.objects….update(status=…)")
        for lineno, text in _strings(tree):
            if _writes_order_status(text):
                offenders.append(f"{rel}:{lineno} raw SQL writes status: {text[:80]!r}")
    assert offenders == []


def test_o1_the_scan_would_see_a_write_around_the_table():
    """The scan is not blind: the writes it looks for do match, the reads and
    other tables' writes do not."""
    assert _writes_order_status("UPDATE orders_order SET status = 'closed' WHERE id = 1")
    assert _writes_order_status("UPDATE {order_t} o SET refunded_amount = 0, status = %s")
    assert _writes_order_status("WITH x AS (UPDATE {T['order']} SET status = 'closed') SELECT 1")
    assert _writes_order_status("UPDATE {} SET status = %s WHERE id = %s")
    assert not _writes_order_status("UPDATE penalties_violation SET charge_status = 'charged'")
    assert not _writes_order_status("SELECT o.id FROM {order_t} o WHERE o.status = 'awaiting_shipment'")
    assert not _writes_order_status("UPDATE {} SET rows_written = %s WHERE id = %s AND status = %s")
    assert not _writes_order_status("UPDATE {T['product']} SET status = 'banned' WHERE id IN (1)")
    assert not _writes_order_status("UPDATE {event_t} SET to_status = 'closed'")
