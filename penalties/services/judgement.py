"""P1/P2/P4/P6: judging overdue shipments, set-based.

One run is one transaction of two statements, whatever the number of orders:

1. one ``INSERT … SELECT`` writes judgement k+1 for
   every overdue order whose latest judgement k is at least 24 h old (or that
   has none: k = 0), read through the unique ``(order, judgement_no)`` index;
   on PostgreSQL the same statement also writes the product bans and closes
   the predecessors' turns, as data-modifying CTEs;
2. one notification per shop (P6).

The order's timeline shows each judgement from its violation row
(``penalties.selectors.judgement_timeline_entries``): no order event row is
written per judgement (it was a third of a 1,000,000-judgement run).

"Once": a run proposes only the successor of each order's latest judgement,
and ``(order, judgement_no)`` is unique and at most 3, so a rerun inserts
nothing twice. Two workers are serialised (an advisory lock on PostgreSQL,
SQLite's single writer), and the second one's statement reads what the first
committed. No ``ON CONFLICT``: its per-row probe cost ~15 % of the run, and a
duplicate can only come from a bug, which the unique index then turns into an
error that rolls the whole run back instead of a silent skip.

The violation table carries no index for this job beyond that unique one
(each index costs the 100k-row run ~10 %): the due judgements are found from
the overdue orders, not from a "next due" index (see "Performance" in the
README).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from orders.models import Order, OrderItem, Product
from orders.overdue import OVERDUE_SQL
from orders.policy import business_day, rule
from orders.services import notifications_bulk_create

from ..models import ProductBan, Violation
from ._sql import (
    ANALYZE_AFTER_ROWS,
    CHANGE_LOG_BY_TRIGGERS,
    CHANGE_LOG_WRITTEN,
    advisory_lock,
    change_log_entries,
    is_postgres,
    p_day,
    p_dt,
)
from .push import violations_judged_push

logger = logging.getLogger(__name__)

T = {
    "order": Order._meta.db_table,
    "violation": Violation._meta.db_table,
    "ban": ProductBan._meta.db_table,
    "item": OrderItem._meta.db_table,
    "product": Product._meta.db_table,
}

# The overdue predicate (P1): ``orders.overdue``, the one place it is written.
OVERDUE = OVERDUE_SQL

# Per overdue order: its latest judgement (one probe of the unique
# ``(order, judgement_no)`` index, newest first), and the next judgement is due
# when there is none or the latest is at least REJUDGE_HOURS old, its turn
# (``next_judgement_at``, moved later by a hold: ``orders.overdue``) has come,
# and it is not the last. Sorted by order so that the index and event inserts are near
# sequential. On PostgreSQL the probe is a LATERAL subquery (one probe), and the
# run forbids sequential scans: with the violation table's statistics saying
# "empty" (a new install, or right after a VACUUM) the planner would otherwise
# rescan the table being written once per order (minutes, not seconds).
DUE_PG = f"""
SELECT o.id AS order_id, o.shop_id AS shop_id, COALESCE(last.judgement_no, 0) + 1 AS judgement_no
  FROM {T["order"]} o
  LEFT JOIN LATERAL (
        SELECT v.judgement_no, v.judged_at, v.next_judgement_at FROM {T["violation"]} v
         WHERE v.order_id = o.id ORDER BY v.judgement_no DESC LIMIT 1
       ) last ON TRUE
 WHERE {OVERDUE}
   AND (last.judgement_no IS NULL OR (last.judgement_no < %(max)s AND last.judged_at <= %(due_before)s
                                      AND (last.next_judgement_at IS NULL OR last.next_judgement_at <= %(now)s)))
 ORDER BY o.id
"""

# The same set without LATERAL (SQLite): no judgement of the order is the last
# one, younger than REJUDGE_HOURS or with its turn still ahead (a predecessor's
# turn is NULL); k is the highest judgement number.
DUE_GENERIC = f"""
SELECT o.id AS order_id, o.shop_id AS shop_id,
       COALESCE((SELECT MAX(v.judgement_no) FROM {T["violation"]} v WHERE v.order_id = o.id), 0) + 1 AS judgement_no
  FROM {T["order"]} o
 WHERE {OVERDUE}
   AND NOT EXISTS (SELECT 1 FROM {T["violation"]} v WHERE v.order_id = o.id
                      AND (v.judgement_no >= %(max)s OR v.judged_at > %(due_before)s
                           OR v.next_judgement_at > %(now)s))
 ORDER BY o.id
"""

INSERT = """
INSERT INTO {violation} (order_id, shop_id, judgement_no, judged_at, judgement_day, next_judgement_at,
                         charge_status, charged_amount, waive_reason, settled_at, updated_at)
SELECT d.order_id, d.shop_id, d.judgement_no, %(now)s, %(day)s,
       CASE WHEN d.judgement_no < %(max)s THEN %(next_at)s ELSE NULL END,
       'pending', 0, '', NULL, %(now)s
  FROM ({due}) d
RETURNING id, order_id, shop_id, judgement_no
"""
INSERT_GENERIC = INSERT.format(violation=T["violation"], due=DUE_GENERIC)

# PostgreSQL: judgements, the predecessors' closed turns, their W2 change-log
# entries (``models.ViolationChange``) and the P4 bans in one
# statement. No order event per judgement: the violation row is the record,
# and the order's timeline shows it from there (``orders.timeline``,
# ``penalties.selectors.judgement_timeline_entries``).
INSERT_PG = f"""
WITH ins AS ({INSERT.format(violation=T["violation"], due=DUE_PG)}),
turn AS (
  UPDATE {T["violation"]} p SET next_judgement_at = NULL, updated_at = %(now)s
    FROM ins
   WHERE ins.judgement_no > 1 AND p.order_id = ins.order_id AND p.judgement_no = ins.judgement_no - 1
  RETURNING p.id
),
logged AS ({change_log_entries("ins")}
),
logged_turns AS ({change_log_entries("turn", sparse=True)}
),
ban AS (
  INSERT INTO {T["ban"]} (product_id, order_id, violation_id, created_at)
  SELECT DISTINCT ON (oi.product_id) oi.product_id, ins.order_id, ins.id, %(now)s
    FROM ins JOIN {T["item"]} oi ON oi.order_id = ins.order_id
   WHERE ins.judgement_no > %(ban_after)s
   ORDER BY oi.product_id, ins.id
  ON CONFLICT (product_id) DO NOTHING
  RETURNING product_id
),
banned AS (
  UPDATE {T["product"]} SET status = 'banned'
   WHERE id IN (SELECT product_id FROM ban) AND status <> 'banned'
  RETURNING id
)
SELECT ins.shop_id, ins.judgement_no, COUNT(*), (SELECT COUNT(*) FROM banned)
  FROM ins GROUP BY ins.shop_id, ins.judgement_no
"""

# SQLite: close the turns of the judgements that got a successor in this run.
CLOSE_TURNS = f"""
UPDATE {T["violation"]} SET next_judgement_at = NULL, updated_at = %s
 WHERE next_judgement_at IS NOT NULL
   AND EXISTS (SELECT 1 FROM {T["violation"]} s
                WHERE s.order_id = {T["violation"]}.order_id AND s.judgement_no = {T["violation"]}.judgement_no + 1)
"""


def violations_judge(*, now: datetime) -> dict:
    """Rules P1, P2, P4, P6: judge every overdue order due for a judgement.

    Judgement 1 is made by the first run that finds the order overdue
    (``orders.overdue``: awaiting shipment, nothing refunded, not held by a
    cancellation under review, ``ship_by`` passed); judgement k+1 by the first
    run at or after judgement k + 24 h (plus any time the platform held the
    order since) that still finds it overdue; never more than 3. The third judgement bans the order's products
    at once (P4). Each shop with new judgements gets one notification (P6).
    """
    max_no = rule("MAX_JUDGEMENTS")
    params = {
        "now": p_dt(now),
        "day": p_day(business_day(now)),
        "max": max_no,
        "next_at": p_dt(now + timedelta(hours=rule("REJUDGE_HOURS"))),
        "due_before": p_dt(now - timedelta(hours=rule("REJUDGE_HOURS"))),
        "ban_after": rule("BAN_AFTER_JUDGEMENTS"),
    }
    with transaction.atomic():
        advisory_lock("judge")
        if is_postgres():
            with connection.cursor() as cur:
                # JIT compiling this statement's ~80 expressions costs more than it
                # saves; a sequential scan of the violation table per order (see
                # DUE_PG) must never be chosen.
                cur.execute("SET LOCAL jit = off")
                # The due orders are sorted by id, and the inserted judgements are
                # read back by the turns and bans (a CTE's tuplestore): in
                # memory, not spilled to temporary files (with the default 4 MB,
                # at 1M overdue the sort spilled 25 MB to disk, and the tuplestore
                # is read three times). ~1M sorted keys need ~70 MB.
                cur.execute("SET LOCAL work_mem = '128MB'")
                cur.execute("SET LOCAL enable_seqscan = off")
                cur.execute(CHANGE_LOG_WRITTEN)  # the statement writes the change log (W2)
                groups = _once(lambda: _fetch(INSERT_PG, params))
                cur.execute(CHANGE_LOG_BY_TRIGGERS)
                cur.execute("SET LOCAL enable_seqscan = DEFAULT")
            per_shop_no = [(shop_id, no, n) for shop_id, no, n, _banned in groups]
            banned = groups[0][3] if groups else 0
            if sum(n for _shop, _no, n in per_shop_no) >= ANALYZE_AFTER_ROWS:
                with connection.cursor() as cur:
                    cur.execute(f"ANALYZE {T['violation']}")  # W2: the new change time in the statistics
        else:
            per_shop_no, banned = _once(lambda: _judge_generic(params, now))
        notified = _notify(per_shop_no, now)
        violations_judged_push(now=now)  # W1: the events commit with the judgements

    by_no = defaultdict(int)
    for _shop, no, n in per_shop_no:
        by_no[no] += n
    counts = {
        "judged": sum(by_no.values()),
        **{f"judgement_{no}": by_no.get(no, 0) for no in range(1, max_no + 1)},
        "banned_products": banned,
        "shops_notified": notified,
    }
    logger.info("violations_judge %s", counts)
    return counts


def judgement_turn_resume(*, order_id: int, held_from: datetime, held_until: datetime) -> int:
    """P1/P2: the clock stopped while the platform held the order, so the
    next judgement's turn, if it was still ahead when the hold began, moves
    later by the time held (as ``orders.overdue`` moves ``ship_by``)."""
    return Violation.objects.filter(order_id=order_id, next_judgement_at__gt=held_from).update(
        next_judgement_at=F("next_judgement_at") + (held_until - held_from)
    )


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _once(write):
    """Run ``write`` in a savepoint; if the unique ``(order, judgement_no)``
    stops it because another run (without the lock) made the same judgement
    first, run it again: its statement now reads that run's judgements and
    proposes only what is still due."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        logger.warning("violations_judge: a concurrent run judged first; reading again")
        with transaction.atomic():
            return write()


def _judge_generic(params: dict, now: datetime) -> tuple[list[tuple[int, int, int]], int]:
    """The same statement without data-modifying CTEs (SQLite): the inserted
    rows come back through RETURNING and their bans are bulk-inserted."""
    with connection.cursor() as cur:
        cur.execute(INSERT_GENERIC, params)
        rows = cur.fetchall()
        if any(no > 1 for *_rest, no in rows):
            cur.execute(CLOSE_TURNS, [now])
    third = {order_id: vid for vid, order_id, _shop, no in rows if no > params["ban_after"]}
    banned = 0
    if third:
        bans: dict[int, ProductBan] = {}
        items = OrderItem.objects.filter(order_id__in=list(third)).order_by("product_id")
        for order_id, product_id in items.values_list("order_id", "product_id"):
            bans.setdefault(
                product_id,
                ProductBan(product_id=product_id, order_id=order_id, violation_id=third[order_id], created_at=now),
            )
        ProductBan.objects.bulk_create(bans.values(), ignore_conflicts=True)
        banned = (
            Product.objects.filter(pk__in=list(bans), ban__isnull=False)
            .exclude(status=Product.Status.BANNED)
            .update(status=Product.Status.BANNED)
        )
    grouped: dict[tuple[int, int], int] = defaultdict(int)
    for _vid, _order, shop_id, no in rows:
        grouped[(shop_id, no)] += 1
    return [(shop_id, no, n) for (shop_id, no), n in grouped.items()], banned


def _notify(per_shop_no: list[tuple[int, int, int]], now: datetime) -> int:
    """P6: one in-site notification per shop per run, listing the counts."""
    per_shop: dict[int, dict[int, int]] = defaultdict(dict)
    for shop_id, no, n in per_shop_no:
        per_shop[shop_id][no] = n
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    rows = []
    for shop_id, by_no in sorted(per_shop.items()):
        total = sum(by_no.values())
        parts = ", ".join(_("%(n)d at judgement %(no)d") % {"n": by_no[no], "no": no} for no in sorted(by_no))
        body = _("%(total)d order(s) judged overdue for shipment: %(parts)s. See Violations for details.") % {
            "total": total,
            "parts": parts,
        }
        if any(no >= rule("MAX_JUDGEMENTS") for no in by_no):
            body += " " + _("Products on orders judged the maximum number of times are banned.")
        rows.append(
            {
                "shop_id": shop_id,
                "kind": "overdue_judged",
                "title": _("Overdue shipment: %(total)d order(s) judged") % {"total": total},
                "body": body,
                "data": {"judged_at": now.isoformat(), "counts": {str(no): n for no, n in by_no.items()}},
                "dedupe_key": f"p6:{shop_id}:{stamp}",
                "created_at": now,
            }
        )
    return notifications_bulk_create(rows)
