"""P3/P8: the nightly deposit deduction batch and its preview.

The batch at 00:30 Asia/Shanghai settles every judgement of an earlier day
still ``pending`` (so a missed night catches up). One plan decides each
judgement's fate; the preview and the batch run the very same SQL (``PLAN``):

* only judgements 1 and 2 of an order are charged (``MAX_DEDUCTIONS_PER_ORDER``);
  judgement 3 is waived with reason ``order_limit``, even when judgement 1
  or 2 was waived by the cap (a waived judgement is forgiven, not carried over);
* 10.00 each (``DEDUCTION_AMOUNT``), at most 500.00 per shop per business
  day (``DAILY_DEDUCTION_CAP``), earliest judgements first (judgements of
  that day already charged count first); the rest are waived ``daily_cap``.
  A deduction's business day is the Asia/Shanghai day after its judgement
  (``judgement_day + 1``: one business day per judgement day, so the plan
  counts the cap by ``judgement_day``), whatever night the batch runs: a
  batch catching up after a missed night charges each missed business day
  under its own cap. Every ledger entry records its ``business_day``.

Only violations at or above the deduction mark (``BatchMark``: the lowest id
still unsettled after the last run) are read, through the primary key: ids
grow with time and every run settles everything of earlier days, so nothing
below the mark is pending and each night reads about one day of judgements
however long the table grows. The batch takes the judgement's lock too, so no
judgement is being written (with lower ids) while the mark moves.

Settling is a conditional ``UPDATE … WHERE charge_status = 'pending'`` and the
ledger entries are one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (a
deduction is unique per violation), so a rerun or a second worker charges
nothing twice. The shops' balances are recomputed from their ledger in the
same transaction, with the shop rows locked first (pk order), so a top-up or a
reversal running at the same time waits and the balance equals the sum of the
entries, always; the batch checks that (``ledger_assert_balanced``) for the
shops it charged before it commits.

No column the settling changes is indexed, so each row's update is HOT (its
new version on the same page: the table keeps half of each page free). W2's
"changed since" walk finds the settled rows through the one change-log entry
the statement writes for them (``models.ViolationChange``), not through an
index on ``updated_at``: at 10M orders, 1M settled judgements took 12.3 s with
that index and take 6.6 s without.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from config.testhooks import hang_point
from orders.models import Order, Shop
from orders.policy import business_day, money, rule
from orders.services import notifications_bulk_create

from ..models import BatchMark, DepositEntry, Violation
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
from .ledger import ledger_assert_balanced
from .push import deductions_charged_push

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")

T = {
    "violation": Violation._meta.db_table,
    "entry": DepositEntry._meta.db_table,
    "shop": Shop._meta.db_table,
    "order": Order._meta.db_table,
}

# P3: the business day a deduction belongs to, its judgement's day + 1 (SQL).
BUSINESS_DAY = {
    "postgresql": "v.judgement_day + 1",
    "sqlite": "date(v.judgement_day, '+1 day')",
}

# The judgements to charge: per shop and business day (one judgement day, + 1)
# the earliest chargeable judgements (judgement 1 or 2, pending or already
# charged: those count first) up to the cap, of those the pending ones. One
# scan of the rows at or above the mark and one sort; every other pending
# judgement of a day before %(before)s is waived.
CHARGED = f"""
SELECT x.id FROM (
  SELECT w.id AS id, w.charge_status AS charge_status,
         ROW_NUMBER() OVER (
             PARTITION BY w.shop_id, w.judgement_day
             ORDER BY CASE WHEN w.charge_status = 'charged' THEN 0 ELSE 1 END, w.judged_at, w.id
         ) AS rn
    FROM {T["violation"]} w
   WHERE w.id >= %(from_id)s AND w.judgement_no <= %(per_order)s
     AND w.charge_status IN ('pending', 'charged') AND w.judgement_day < %(before)s
) x
 WHERE x.rn <= %(cap_count)s AND x.charge_status = 'pending'
"""

# The unsettled judgements (the rows the batch settles) and each one's fate.
UNSETTLED = "{v}.id >= %(from_id)s AND {v}.charge_status = 'pending' AND {v}.judgement_day < %(before)s"
WAIVE_REASON = """CASE WHEN {v}.judgement_no > %(per_order)s THEN 'order_limit'
            WHEN {v}.id IN ({charged}) THEN '' ELSE 'daily_cap' END"""

# The plan (the preview's): one row per unsettled judgement with the reason it
# is waived ('' = charged).
PLAN = f"""
SELECT v.id AS violation_id, v.shop_id AS shop_id, v.judgement_day AS judgement_day,
       {WAIVE_REASON.format(v="v", charged=CHARGED)} AS waive_reason
  FROM {T["violation"]} v
 WHERE {UNSETTLED.format(v="v")}
"""

# Settling: the same decision as PLAN, written as one conditional UPDATE over
# the unsettled rows (the shape of a bare UPDATE: no join back to a plan; the
# charged ids, computed once, are probed from a hash).
_V = T["violation"]
SETTLE_BODY = f"""
UPDATE {_V}
   SET charge_status = CASE WHEN {_V}.id IN ({{charged}}) THEN 'charged' ELSE 'waived' END,
       charged_amount = CASE WHEN {_V}.id IN ({{charged}}) THEN %(amount)s ELSE 0 END,
       waive_reason = {WAIVE_REASON.format(v=_V, charged="{charged}")},
       settled_at = %(now)s,
       updated_at = %(now)s
 WHERE {UNSETTLED.format(v=_V)}
"""
# SQLite: the charged ids as a subquery (SQLite evaluates an uncorrelated IN
# list once); PostgreSQL computes them once in a CTE (SETTLE_PG).
SETTLE = SETTLE_BODY.format(charged=CHARGED)

# The ledger entries of the judgements charged now, one per judgement, each
# with the shop's running balance after it (earliest judgement first).
LEDGER_BODY = f"""
INSERT INTO {T["entry"]} (shop_id, kind, amount, balance_after, created_at, violation_id, by_id, reason, business_day)
SELECT v.shop_id, 'deduction', -v.charged_amount,
       s.deposit_balance - SUM(v.charged_amount) OVER (
           PARTITION BY v.shop_id ORDER BY v.judged_at, v.id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
       %(now)s, v.id, NULL,
       %(reason)s || o.order_no || ' #' || v.judgement_no, {{business_day}}
  FROM {{source}} v
  JOIN {T["shop"]} s ON s.id = v.shop_id
  JOIN {T["order"]} o ON o.id = v.order_id
 WHERE {{where}}
 ORDER BY v.shop_id, v.judged_at, v.id
ON CONFLICT (violation_id) WHERE kind = 'deduction' DO NOTHING
"""
# SQLite: a second statement reads back the rows charged now.
LEDGER = LEDGER_BODY.format(
    source=T["violation"],
    where="""v.id >= %(from_id)s AND v.charge_status = 'charged' AND v.settled_at = %(now)s
   AND NOT EXISTS (SELECT 1 FROM {entry} e WHERE e.violation_id = v.id AND e.kind = 'deduction')""".format(
        entry=T["entry"]
    ),
    business_day=BUSINESS_DAY["sqlite"],
)

# PostgreSQL: settling, the ledger and the per-shop summary in one statement:
# the ledger and the summary read the settled rows from the UPDATE's RETURNING
# (no second pass over the judgements, and the ledger joins exactly the rows
# charged now).
LEDGER_PG = LEDGER_BODY.format(
    source="settled", where="v.charge_status = 'charged'", business_day=BUSINESS_DAY["postgresql"]
)
SETTLE_PG = f"""
WITH charged AS ({CHARGED}),
settled AS ({SETTLE_BODY.format(charged="SELECT id FROM charged")}
  RETURNING {_V}.id, {_V}.shop_id, {_V}.order_id, {_V}.judgement_no, {_V}.judged_at, {_V}.judgement_day,
            {_V}.charge_status, {_V}.charged_amount, {_V}.waive_reason
),
logged AS ({change_log_entries("settled")}
),
ledger AS ({LEDGER_PG}
  RETURNING 1
)
SELECT v.shop_id,
       COUNT(*) AS settled,
       COUNT(*) FILTER (WHERE v.charge_status = 'charged') AS charged,
       COALESCE(SUM(v.charged_amount) FILTER (WHERE v.charge_status = 'charged'), 0) AS amount,
       COUNT(*) FILTER (WHERE v.waive_reason = 'daily_cap') AS waived_cap,
       COUNT(*) FILTER (WHERE v.waive_reason = 'order_limit') AS waived_limit,
       (SELECT COUNT(*) FROM ledger) AS entries
  FROM settled v
 GROUP BY v.shop_id
 ORDER BY v.shop_id
"""

# P8: the balance is the sum of the ledger, recomputed for the shops charged now.
BALANCE = f"""
UPDATE {T["shop"]}
   SET deposit_balance = (SELECT COALESCE(SUM(e.amount), 0) FROM {T["entry"]} e WHERE e.shop_id = {T["shop"]}.id)
 WHERE id IN (SELECT e.shop_id FROM {T["entry"]} e WHERE e.kind = 'deduction' AND e.created_at = %(now)s)
"""


# After settling: the new mark is the lowest id still pending, or past the
# highest id when none is.
NEXT_MARK = f"""
SELECT COALESCE(
  (SELECT MIN(v.id) FROM {T["violation"]} v WHERE v.id >= %(from_id)s AND v.charge_status = 'pending'),
  (SELECT MAX(v.id) + 1 FROM {T["violation"]} v),
  %(from_id)s)
"""

MARK = "deductions"


def _mark(*, lock: bool) -> int:
    if lock:
        mark, _created = BatchMark.objects.select_for_update().get_or_create(name=MARK)
        return mark.position
    return BatchMark.objects.filter(name=MARK).values_list("position", flat=True).first() or 0


def deductions_mark_set(position: int) -> None:
    """Declare every violation below ``position`` settled (bulk loads of settled history)."""
    BatchMark.objects.update_or_create(name=MARK, defaults={"position": position})


def _plan_params(*, before: date, from_id: int) -> dict:
    amount = money("DEDUCTION_AMOUNT")
    cap = money("DAILY_DEDUCTION_CAP")
    return {
        "before": p_day(before),
        "from_id": from_id,
        "per_order": rule("MAX_DEDUCTIONS_PER_ORDER"),
        "cap_count": int(cap // amount) if amount > 0 else 10**9,
        "amount": amount,
    }


def deductions_run(*, now: datetime) -> dict:
    """Rule P3 (and P8): settle every judgement of a day before ``now``'s
    Asia/Shanghai day: charge, waive, write the ledger, update balances, and
    notify each charged shop (and any shop whose balance went below zero)."""
    today = business_day(now)
    with transaction.atomic():
        advisory_lock("deductions")
        advisory_lock("judge")  # no judgement in flight below the mark (see the module's docstring)
        from_id = _mark(lock=True)
        params = {
            **_plan_params(before=today, from_id=from_id),
            "now": p_dt(now),
            "reason": _("P3 overdue shipment: order "),
        }
        if is_postgres():
            # Fresh statistics for the plan's window and join (PostgreSQL allows
            # ANALYZE in a transaction, and it counts this transaction's rows):
            # with stale ones (autovacuum behind a 100k-row judgement) the planner
            # picks nested loops and the batch takes minutes instead of seconds.
            with connection.cursor() as cur:
                cur.execute(f"ANALYZE {T['violation']}")
                # The plan sorts every pending judgement once, and the settled rows
                # are read back from the UPDATE's RETURNING: in memory (a night of
                # 1M judgements sorts 52 MB and returns ~120 MB; with 64 MB both
                # spilled to disk), and no JIT.
                cur.execute("SET LOCAL work_mem = '256MB'")
                cur.execute("SET LOCAL jit = off")
        # Lock the shops whose balance will move, in pk order: a top-up or a
        # reversal of the same shop waits for the batch (and vice versa).
        list(
            Shop.objects.select_for_update()
            .filter(
                pk__in=Violation.objects.filter(
                    pk__gte=from_id, charge_status=Violation.ChargeStatus.PENDING, judgement_day__lt=today
                ).values("shop_id")
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        with connection.cursor() as cur:
            if is_postgres():
                cur.execute(CHANGE_LOG_WRITTEN)  # the statement writes the change log (W2)
                cur.execute(SETTLE_PG, params)
                keys = ("shop_id", "settled", "charged", "amount", "waived_cap", "waived_limit", "entries")
                summary = [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]
                cur.execute(CHANGE_LOG_BY_TRIGGERS)
                settled = sum(r["settled"] for r in summary)
                entries = summary[0]["entries"] if summary else 0
                if settled >= ANALYZE_AFTER_ROWS:
                    cur.execute(f"ANALYZE {T['violation']}")  # W2: the new change time in the statistics
            else:
                cur.execute(SETTLE, params)
                settled = cur.rowcount
                cur.execute(LEDGER, params)
                entries = cur.rowcount
            hang_point("deductions.after_ledger")
            cur.execute(BALANCE, params)
            cur.execute(NEXT_MARK, params)
            BatchMark.objects.filter(name=MARK).update(position=cur.fetchone()[0])
        # P8, checked: every shop charged now has the sum of its ledger as balance.
        ledger_assert_balanced(
            shop_ids=DepositEntry.objects.filter(kind=DepositEntry.Kind.DEDUCTION, created_at=now).values("shop_id")
        )
        deductions_charged_push(now=now)  # W1: the events commit with the ledger entries
        if not is_postgres():
            # Rows settled at ``now`` by this run (a twin run at the same moment settles none).
            summary = settled and list(
                Violation.objects.filter(pk__gte=from_id, settled_at=now)
                .values("shop_id")
                .annotate(
                    charged=Count("id", filter=Q(charge_status=Violation.ChargeStatus.CHARGED)),
                    amount=Sum("charged_amount", filter=Q(charge_status=Violation.ChargeStatus.CHARGED)),
                    waived_cap=Count("id", filter=Q(waive_reason=Violation.WaiveReason.DAILY_CAP)),
                    waived_limit=Count("id", filter=Q(waive_reason=Violation.WaiveReason.ORDER_LIMIT)),
                )
                .order_by("shop_id")
            )
        summary = summary or []
        for row in summary:  # money with its 2 places on every backend (SQLite's SUM drops them)
            row["amount"] = Decimal(row["amount"] or 0).quantize(CENT)
        negative = _notify(summary, today=today, now=now)

    counts = {
        "settled": settled,
        "charged": sum(r["charged"] for r in summary),
        "ledger_entries": entries,
        "amount": str(sum((r["amount"] for r in summary), Decimal("0.00"))),
        "waived_daily_cap": sum(r["waived_cap"] for r in summary),
        "waived_order_limit": sum(r["waived_limit"] for r in summary),
        "shops": len(summary),
        "negative_balances": negative,
    }
    logger.info("deductions_run %s", counts)
    return counts


def _notify(summary: list[dict], *, today: date, now: datetime) -> int:
    rows = []
    charged_shops = [r["shop_id"] for r in summary if r["charged"]]
    for r in summary:
        if not r["charged"]:
            continue
        rows.append(
            {
                "shop_id": r["shop_id"],
                "kind": "deposit_deducted",
                "title": _("Deposit deducted: %(amount)s") % {"amount": r["amount"]},
                "body": _("%(n)d overdue-shipment judgement(s) charged %(amount)s; %(cap)d waived by the daily cap.")
                % {"n": r["charged"], "amount": r["amount"], "cap": r["waived_cap"]},
                "data": {"business_day": today.isoformat(), "amount": str(r["amount"])},
                "dedupe_key": f"p3:{r['shop_id']}:{today.isoformat()}",
                "created_at": now,
            }
        )
    negative = list(
        Shop.objects.filter(pk__in=charged_shops, deposit_balance__lt=0).values_list("pk", "deposit_balance")
    )
    for shop_id, balance in negative:
        rows.append(
            {
                "shop_id": shop_id,
                "kind": "deposit_negative",
                "title": _("Deposit balance below zero"),
                "body": _("Your deposit balance is %(balance)s. Please top it up.") % {"balance": balance},
                "data": {"balance": str(balance)},
                "dedupe_key": f"p8:{shop_id}:{today.isoformat()}",
                "created_at": now,
            }
        )
    notifications_bulk_create(rows)
    return len(negative)


def deductions_preview(*, day: date) -> list[dict]:
    """What the batch running on ``day`` (at 00:30) would settle now, per shop:
    judgements, charged count and amount, waived by the cap and by the per-order
    limit, and the balance after. Same ``PLAN`` as the batch; writes nothing."""
    params = _plan_params(before=day, from_id=_mark(lock=False))
    sql = f"""
        SELECT p.shop_id, COUNT(*),
               SUM(CASE WHEN p.waive_reason = '' THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.waive_reason = 'daily_cap' THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.waive_reason = 'order_limit' THEN 1 ELSE 0 END)
          FROM ({PLAN}) p
         GROUP BY p.shop_id ORDER BY p.shop_id
    """
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    shops = Shop.objects.in_bulk([r[0] for r in rows])
    out = []
    for shop_id, judgements, charged, waived_cap, waived_limit in rows:
        shop = shops[shop_id]
        charge = (params["amount"] * int(charged)).quantize(Decimal("0.01"))
        out.append(
            {
                "shop": shop,
                "judgements": int(judgements),
                "charged": int(charged),
                "charge": charge,
                "waived_cap": int(waived_cap),
                "waived_order_limit": int(waived_limit),
                "balance": shop.deposit_balance,
                "balance_after": shop.deposit_balance - charge,
            }
        )
    return out
