"""W1 for the penalties batch jobs: ``violation.judged`` for every judgement a
run made and ``deduction.charged`` for every ledger entry the nightly batch
wrote, in the job's transaction, set-based (``orders.webhooks.outbox_sql``).

The payload is the object as the merchant API shows it (``ViolationSerializer``,
``DepositEntrySerializer``), built by the database; the times a run writes are
all its ``now`` (and ``now`` + REJUDGE_HOURS), so they are parameters.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from orders.models import Order
from orders.policy import business_day, rule
from orders.webhooks.outbox import webhook_event_emit
from orders.webhooks.outbox_sql import api_time, day_sql, json_false, json_object_sql, money_sql, outbox_emit_select

from ..models import DepositEntry, Violation
from ..serializers import DepositEntrySerializer
from ._sql import p_dt

T = {"violation": Violation._meta.db_table, "entry": DepositEntry._meta.db_table, "order": Order._meta.db_table}


def _text(name: str) -> str:
    return f"CAST(%({name})s AS text)"


def violations_judged_push(*, now: datetime) -> int:
    """W1: one ``violation.judged`` event per judgement made at ``now``, for
    the shops with an endpoint subscribed (call it in the judgement's transaction)."""
    data = json_object_sql(
        [
            ("id", "v.id"),
            ("order_no", "o.order_no"),
            ("shop", "v.shop_id"),
            ("judgement_no", "v.judgement_no"),
            ("judged_at", _text("p_now")),
            ("judgement_day", _text("p_day")),
            ("charge_status", "v.charge_status"),
            ("charged_amount", money_sql("v.charged_amount")),
            ("waive_reason", "v.waive_reason"),
            ("settled_at", "CAST(NULL AS text)"),
            ("next_judgement_at", f"CASE WHEN v.next_judgement_at IS NULL THEN NULL ELSE {_text('p_next')} END"),
            ("appeal", "CAST(NULL AS text)"),
            ("appeal_granted", json_false()),
            ("updated_at", _text("p_now")),
        ]
    )
    sql = f"""
        SELECT v.shop_id AS shop_id, v.id AS obj_id, {data} AS data
          FROM {T["violation"]} v JOIN {T["order"]} o ON o.id = v.order_id
         WHERE v.judged_at = %(p_at)s
    """
    params = {
        "p_at": p_dt(now),
        "p_now": api_time(now),
        "p_day": business_day(now).isoformat(),
        "p_next": api_time(now + timedelta(hours=rule("REJUDGE_HOURS"))),
    }
    return outbox_emit_select(type="violation.judged", select_sql=sql, params=params, now=now)


def deductions_charged_push(*, now: datetime) -> int:
    """W1: one ``deduction.charged`` event per deduction entry written at
    ``now`` (the ledger entry as the API lists it), in the batch's transaction."""
    data = json_object_sql(
        [
            ("id", "e.id"),
            ("shop", "e.shop_id"),
            ("kind", "e.kind"),
            ("amount", money_sql("e.amount")),
            ("balance_after", money_sql("e.balance_after")),
            ("created_at", _text("p_now")),
            ("business_day", day_sql("e.business_day")),
            ("violation", "e.violation_id"),
            ("order_no", "o.order_no"),
            ("reason", "e.reason"),
            ("updated_at", _text("p_now")),
        ]
    )
    sql = f"""
        SELECT e.shop_id AS shop_id, e.id AS obj_id, {data} AS data
          FROM {T["entry"]} e
          JOIN {T["violation"]} v ON v.id = e.violation_id
          JOIN {T["order"]} o ON o.id = v.order_id
         WHERE e.kind = 'deduction' AND e.created_at = %(p_at)s
    """
    params = {"p_at": p_dt(now), "p_now": api_time(now)}
    return outbox_emit_select(type="deduction.charged", select_sql=sql, params=params, now=now)


def deduction_reversed_push(*, entry: DepositEntry, now: datetime) -> None:
    """W1: ``deduction.reversed`` with the reversal entry as the API lists it,
    in the reversal's transaction (a single change: the ORM outbox path)."""

    def data() -> dict:
        fresh = DepositEntry.objects.select_related("violation__order").get(pk=entry.pk)
        return dict(DepositEntrySerializer(fresh).data)

    webhook_event_emit(shop_id=entry.shop_id, type="deduction.reversed", data=data, now=now)
