"""Workbench panels of the penalties app (discovered by ``config.workbench``).

Reviewers: shops on the sanction list waiting for a decision (P5), shops
currently suspended; overdue-shipment judgements per day (P1/P2) and deposit
deductions per day (P3). The counts start from the few violations at the
maximum judgement number; the charts read 30 days through the
``violation_judged_at`` index and the deduction entries of the ledger.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.charts import daily_series
from config.workbench import REVIEWER, Chart, Panel, Queue, changelist_url, shows
from orders.models import Shop
from orders.policy import rule

from .dashboard_appeals import appeal_panels
from .models import DepositEntry, Violation
from .selectors import maxed_violations


def panels(request, now: datetime) -> list[Panel]:
    if not shows(request, REVIEWER):
        return []
    maxed = maxed_violations(now)
    to_decide = maxed.filter(shop__status=Shop.Status.ACTIVE).values("shop_id").distinct().count()
    suspended = Shop.objects.filter(status=Shop.Status.SUSPENDED).count()

    queues = Panel(
        key="penalties-sanction-list",
        title=_("Sanction list"),
        roles=(REVIEWER,),
        order=15,
        queues=[
            Queue(
                label=_("shops with orders judged %(n)d times and still not shipped") % {"n": rule("MAX_JUDGEMENTS")},
                count=to_decide,
                url=changelist_url("penalties", "sanctioncandidate", status__exact=Shop.Status.ACTIVE),
                tone="danger",
            ),
            Queue(
                label=_("shops suspended"),
                count=suspended,
                url=changelist_url("penalties", "sanctioncandidate", status__exact=Shop.Status.SUSPENDED),
                tone="normal",
            ),
        ],
    )

    judged_label = _("Overdue-shipment judgements per day")
    judged = Panel(
        key="penalties-judgements-chart",
        title=judged_label,
        roles=(REVIEWER,),
        order=40,
        chart=Chart.daily(
            judged_label,
            daily_series(Violation.objects.all(), "judged_at", now=now),
            unit=pgettext("chart unit", "orders"),
            tone="warn",
        ),
    )
    deductions = DepositEntry.objects.filter(kind=DepositEntry.Kind.DEDUCTION).annotate(charged=-F("amount"))
    deducted_label = _("Deposit deducted per day")
    deducted = Panel(
        key="penalties-deductions-chart",
        title=deducted_label,
        roles=(REVIEWER,),
        order=45,
        chart=Chart.daily(
            deducted_label,
            daily_series(deductions, "created_at", now=now, total="charged"),
            money=True,
            tone="danger",
        ),
    )
    return [queues, *appeal_panels(now), judged, deducted]
