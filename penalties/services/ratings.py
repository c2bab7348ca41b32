"""R1: the daily shop rating, a few grouped queries per run (one row per shop,
never a loop over orders). The formula and weights are in ``penalties.formula``."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone

from config.testhooks import hang_point
from orders.models import AfterSale, CancellationRequest, Order, Shop
from orders.policy import day_bounds, rule

from .. import formula
from ..models import ShopRating, Violation

logger = logging.getLogger(__name__)


def rating_window(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the rolling window ending with ``day`` (Asia/Shanghai)."""
    start, _ = day_bounds(day - timedelta(days=rule("RATING_WINDOW_DAYS") - 1))
    _, end = day_bounds(day)
    return start, end


def _per_shop(queryset) -> dict[int, int]:
    return dict(queryset.values("shop_id").annotate(n=Count("id")).values_list("shop_id", "n").order_by())


def _ticket_timeouts(*, since: datetime, until: datetime) -> dict[int, tuple[int, int]]:
    from tickets.selectors import ticket_timeout_counts

    return ticket_timeout_counts(since=since, until=until)


def ratings_compute(*, day: date, now: datetime | None = None) -> dict:
    """Rule R1: write every shop's rating for ``day`` (upsert on (shop, day))
    from the rates of the 30 days ending with it, and keep the latest score on
    ``Shop.rating_score``."""
    now = now or timezone.now()
    start, end = rating_window(day)
    paid = Order.objects.filter(paid_at__gte=start, paid_at__lt=end)
    denominators = _per_shop(paid)
    numerators = {
        # V3: a judgement whose appeal was granted no longer counts.
        "overdue_shipment": _per_shop(
            paid.filter(Exists(Violation.objects.filter(order=OuterRef("pk"), appeal_granted=False)))
        ),
        "merchant_cancellation": _per_shop(
            paid.filter(
                Exists(
                    CancellationRequest.objects.filter(order=OuterRef("pk"), status=CancellationRequest.Status.APPROVED)
                )
            )
        ),
        "quality_return": _per_shop(
            paid.filter(Exists(AfterSale.objects.filter(order=OuterRef("pk"), reason=AfterSale.Reason.QUALITY_ISSUE)))
        ),
    }
    tickets = _ticket_timeouts(since=start, until=end)
    rows = []
    for shop_id in Shop.objects.order_by("pk").values_list("pk", flat=True):
        den = denominators.get(shop_id, 0)
        counts = {name: (nums.get(shop_id, 0), den) for name, nums in numerators.items()}
        counts["ticket_timeout"] = tuple(tickets.get(shop_id, (0, 0)))
        comps = formula.components(counts)
        comps["window"] = {"since": start.isoformat(), "until": end.isoformat()}
        rows.append(
            ShopRating(shop_id=shop_id, day=day, score=formula.score(counts), components=comps, computed_at=now)
        )
    with transaction.atomic():
        ShopRating.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["shop", "day"],
            update_fields=["score", "components", "computed_at"],
            batch_size=1000,
        )
        hang_point("ratings.after_upsert")
        latest = ShopRating.objects.filter(shop=OuterRef("pk")).order_by("-day").values("score")[:1]
        Shop.objects.filter(ratings__day=day).update(rating_score=Subquery(latest))
    counts = {"day": day.isoformat(), "shops": len(rows)}
    logger.info("ratings_compute %s", counts)
    return counts
