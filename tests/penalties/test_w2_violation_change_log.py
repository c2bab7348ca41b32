"""Rule W2 for violations: the "changed since" walk reads the violations'
change log (``ViolationChange``, written by database triggers) instead of an
index on ``updated_at``, so the nightly batch's updates stay HOT (P3)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from penalties.models import Violation, ViolationChange
from penalties.services import deductions_run, deposit_top_up, violations_judge
from tests.factories import order_placed

from .conftest import at, sh

pytestmark = pytest.mark.django_db

T = sh(2026, 3, 2, 10, 0)
JUDGED = T + timedelta(hours=49)
CHARGED_AT = sh(2026, 3, 5, 0, 30)


def walk(client, params: dict, *, cursor: str | None = None, path: str = "/api/v1/violations/"):
    """Follow ``next`` links; the rows in order and the cursor to resume from."""
    query = {**params, **({"cursor": cursor} if cursor else {})}
    body = client.get(path, query).json()
    rows = list(body["results"])
    for _ in range(50):
        if not body["next"]:
            return rows, body["sync_cursor"]
        body = client.get(body["next"]).json()
        rows += body["results"]
    raise AssertionError("no end")


def _judged(shop, reviewer, n: int) -> list[Violation]:
    with at(T):
        orders = [order_placed(shop=shop, now=T) for _ in range(n)]
        deposit_top_up(shop=shop, amount=Decimal("100.00"), by=reviewer, reason="initial", now=T)
    with at(JUDGED):
        violations_judge(now=JUDGED)
    return list(Violation.objects.filter(order__in=orders).order_by("pk"))


def test_w2_violation_walk_lists_each_row_once_at_its_last_change_across_the_batch(
    api, merchant, merchant2, shop_a, shop_c, reviewer
):
    """Given 12 judgements sharing one change time, a client reads a page of 5;
    the nightly batch then settles all 12 (one statement). The walk resumed
    from that page lists every one of the 12 exactly once, in its settled
    state, oldest change first; the judgement-time entries they leave in the
    log are never listed again, and another merchant's rows never show."""
    mine = _judged(shop_a, reviewer, 12)
    theirs = _judged(shop_c, reviewer, 2)
    assert len({v.updated_at for v in mine}) == 1
    client = api(merchant)
    since = (JUDGED - timedelta(seconds=1)).isoformat()
    with at(JUDGED + timedelta(minutes=1)):
        first = client.get("/api/v1/violations/", {"updated_after": since, "page_size": 5}).json()
    assert [r["id"] for r in first["results"]] == [v.pk for v in mine[:5]]
    with at(CHARGED_AT):
        deductions_run(now=CHARGED_AT)
    with at(CHARGED_AT + timedelta(minutes=1)):
        rest, cursor = walk(client, {}, path=first["next"])
        again, _ = walk(client, {"updated_after": since}, cursor=cursor)
        other = api(merchant2).get("/api/v1/violations/", {"updated_after": since}).json()["results"]
    assert [r["id"] for r in rest] == [v.pk for v in mine], "each row once, in (change time, id) order"
    assert {r["charge_status"] for r in rest} == {"charged"}
    assert again == []
    assert sorted(r["id"] for r in other) == [v.pk for v in theirs]
    # Each set-based statement wrote one entry for its rows (on SQLite, the
    # row triggers one per row): the judgement's and the batch's both cover them.
    for moment in (JUDGED, CHARGED_AT):
        entries = ViolationChange.objects.filter(changed_at=moment)
        covered = {pk for e in entries for pk in range(e.first_id, e.last_id + 1)}
        assert {v.pk for v in mine} <= covered, moment


def test_w2_violation_changed_by_any_write_is_in_its_log(shop_a, reviewer):
    """The log is written in the database: an ORM update and raw SQL each add
    the row's new change time; a write that leaves ``updated_at`` as it was
    adds nothing."""
    (violation,) = _judged(shop_a, reviewer, 1)
    later = violation.updated_at + timedelta(hours=1)
    before = set(ViolationChange.objects.values_list("changed_at", "first_id", "last_id"))
    Violation.objects.filter(pk=violation.pk).update(updated_at=later)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {Violation._meta.db_table} SET updated_at = %s WHERE id = %s",
            [later + timedelta(hours=1), violation.pk],
        )
        cur.execute(f"UPDATE {Violation._meta.db_table} SET waive_reason = waive_reason WHERE id = %s", [violation.pk])
    added = set(ViolationChange.objects.values_list("changed_at", "first_id", "last_id")) - before
    assert added == {(later, violation.pk, violation.pk), (later + timedelta(hours=1), violation.pk, violation.pk)}


def test_w2_violation_walk_merges_range_and_row_entries_of_one_time_in_id_order(
    api, merchant, shop_a, reviewer, monkeypatch
):
    """Rows listed at one change time come from a statement's range entry and
    from single-row entries (here: rows changed one by one at that same
    moment); the walk lists them merged in id order, each once, across pages
    and across the walk's own entry batches, and a row changed again later
    is listed only at its later time."""
    from config import sync_log

    monkeypatch.setattr(sync_log, "BATCH", 2)  # entry batches shorter than a page
    mine = _judged(shop_a, reviewer, 6)
    moved = JUDGED + timedelta(minutes=5)
    again = JUDGED + timedelta(minutes=6)
    # Three rows change one by one at ``moved`` (row trigger entries), one of
    # them once more at ``again``.
    for v in (mine[1], mine[3], mine[4]):
        Violation.objects.filter(pk=v.pk).update(updated_at=moved)
    Violation.objects.filter(pk=mine[3].pk).update(updated_at=again)
    since = (JUDGED - timedelta(seconds=1)).isoformat()
    with at(again + timedelta(minutes=1)):
        rows, _cursor = walk(api(merchant), {"updated_after": since, "page_size": 2})
    listed = [(r["id"], r["updated_at"]) for r in rows]
    order = [mine[0], mine[2], mine[5], mine[1], mine[4], mine[3]]
    assert [pk for pk, _at in listed] == [v.pk for v in order]


def test_w2_violation_walk_resumes_after_a_page_that_read_only_other_shops_entries(
    api, merchant, shop_a, shop_c, reviewer, monkeypatch
):
    """When the caller's rows are rare among the entries (another shop's
    changes), a page stops after reading its share of entries with a cursor
    past them; following ``next`` still reaches every row, none twice."""
    from config import sync_log

    monkeypatch.setattr(sync_log, "BATCH", 2)
    monkeypatch.setattr(sync_log, "MAX_ENTRIES", 4)
    theirs = _judged(shop_c, reviewer, 1)
    mine = _judged(shop_a, reviewer, 1)
    # Ten single-row changes of another shop's row, then one of mine.
    for minute in range(1, 11):
        Violation.objects.filter(pk=theirs[0].pk).update(updated_at=JUDGED + timedelta(minutes=minute))
    Violation.objects.filter(pk=mine[0].pk).update(updated_at=JUDGED + timedelta(minutes=20))
    since = (JUDGED + timedelta(seconds=1)).isoformat()
    client = api(merchant)
    with at(JUDGED + timedelta(hours=1)):
        first = client.get("/api/v1/violations/", {"updated_after": since}).json()
        assert first["results"] == [] and first["next"], "a short page, with a way on"
        rows, _cursor = walk(client, {}, path=first["next"])
    assert [r["id"] for r in rows] == [mine[0].pk]


@pytest.mark.postgres
def test_p3_batch_settles_every_judgement_with_a_hot_update(shop_a, reviewer):
    """P3 at scale: no column the batch changes is indexed and the table leaves
    room on its pages, so every row it settles is updated in place (HOT: no
    new index entries), the batch's main cost at 10M orders."""
    _judged(shop_a, reviewer, 60)
    with connection.cursor() as cur:
        cur.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [Violation._meta.db_table])
        assert "fillfactor=50" in cur.fetchone()[0]
        cur.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [Violation._meta.db_table],
        )
        before = cur.fetchone()
    with at(CHARGED_AT):
        counts = deductions_run(now=CHARGED_AT)
    assert counts["settled"] == 60 and counts["charged"] == 50  # the daily cap: 50 × 10.00
    with connection.cursor() as cur:
        cur.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [Violation._meta.db_table],
        )
        after = cur.fetchone()
    updated, hot = after[0] - before[0], after[1] - before[1]
    assert updated == 60 and hot == 60, (updated, hot)


@pytest.mark.postgres
def test_w2_violation_sync_page_reads_the_log_and_the_rows_by_their_keys(api, merchant, shop_a, reviewer):
    """A page costs a few index range reads, whatever the table's size: the
    log's entries from the cursor on (its primary key) and the rows of a
    range entry from the violations' primary key; no sort of every row."""
    from django.test.utils import CaptureQueriesContext

    _judged(shop_a, reviewer, 30)
    since = (JUDGED - timedelta(seconds=1)).isoformat()
    with at(JUDGED + timedelta(minutes=1)), CaptureQueriesContext(connection) as queries:
        body = api(merchant).get("/api/v1/violations/", {"updated_after": since, "page_size": 5}).json()
    assert len(body["results"]) == 5 and body["next"]
    walked = [q["sql"] for q in queries if "penalties_violation" in q["sql"] and "SELECT" in q["sql"]]
    assert len(walked) <= 4, walked
    plans = []
    with connection.cursor() as cursor:
        # A tiny test table: rule out the plans the planner would take for so few rows.
        cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
        for sql in walked:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan")
    assert any("penalties_violationchange_pkey" in plan for plan in plans), plans
    ranged = [plan for plan in plans if "penalties_violation_pkey" in plan and "Limit" in plan]
    assert ranged and all("Sort" not in plan for plan in ranged), plans


@pytest.mark.postgres
def test_w2_bulk_statements_leave_statistics_that_know_their_change_time(shop_a, reviewer, monkeypatch):
    """After the judgement and the batch give many rows one change time, the
    table's statistics already know it (the walk's range query plans by
    them): both run ANALYZE before they commit past ``ANALYZE_AFTER_ROWS``."""
    from penalties.services import deductions, judgement

    monkeypatch.setattr(judgement, "ANALYZE_AFTER_ROWS", 5)
    monkeypatch.setattr(deductions, "ANALYZE_AFTER_ROWS", 5)

    def common_times():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT most_common_vals::text::timestamptz[] FROM pg_stats"
                " WHERE tablename = %s AND attname = 'updated_at'",
                [Violation._meta.db_table],
            )
            row = cur.fetchone()
        return set(row[0] or []) if row else set()

    _judged(shop_a, reviewer, 6)
    assert JUDGED in common_times()
    with at(CHARGED_AT):
        deductions_run(now=CHARGED_AT)
    assert CHARGED_AT in common_times()


@pytest.mark.postgres
def test_w2_a_statements_entries_span_few_ids_however_sparse_its_rows(api, merchant, shop_a, reviewer):
    """P2's re-judgement closes the turns of predecessors judged at different
    times (ids far apart): the statement's entries cover them one span of ids
    each (``CHANGE_LOG_SPAN``), not one range over everything between, and
    the walk lists every row it changed."""
    from penalties.services._sql import CHANGE_LOG_SPAN

    with at(T):
        first = order_placed(shop=shop_a, now=T)
        second = order_placed(shop=shop_a, now=T + timedelta(hours=2))
        deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="initial", now=T)
    with at(JUDGED):
        violations_judge(now=JUDGED)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM penalties_violation) + %s)",
            [Violation._meta.db_table, 3 * CHANGE_LOG_SPAN],
        )
    later = JUDGED + timedelta(hours=2)
    with at(later):
        violations_judge(now=later)
    predecessors = list(Violation.objects.filter(judgement_no=1, order__in=[first, second]).order_by("pk"))
    assert len(predecessors) == 2 and predecessors[1].pk - predecessors[0].pk > 2 * CHANGE_LOG_SPAN
    again = later + timedelta(hours=25)
    with at(again):
        violations_judge(now=again)
    entries = list(ViolationChange.objects.filter(changed_at=again).values_list("first_id", "last_id"))
    assert all(last - first < CHANGE_LOG_SPAN for first, last in entries), entries
    for v in predecessors:
        assert sum(1 for first, last in entries if first <= v.pk <= last) == 1, (v.pk, entries)
    with at(again + timedelta(minutes=1)):
        rows, _cursor = walk(api(merchant), {"updated_after": (again - timedelta(seconds=1)).isoformat()})
    changed = set(Violation.objects.filter(updated_at=again).values_list("pk", flat=True))
    assert len(changed) == 4 and [r["id"] for r in rows] == sorted(changed)
