"""Reads of the penalties app. Merchant-facing querysets go through
``orders.selectors.scoped`` (the one place that decides a user's shops)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders.models import Actor, Order, OrderEvent, Shop
from orders.overdue import overdue_q
from orders.policy import rule
from orders.selectors import scoped

from .models import Appeal, DepositEntry, ShopRating, Violation


def judgement_timeline_entries(order: Order) -> list[OrderEvent]:
    """P1/P2 on the order's timeline (``orders.timeline``): one entry per
    judgement, from the violation row that records it (the judgement writes
    no event row of its own). Reads ``order.violations`` (prefetched by the
    order page)."""
    return [
        OrderEvent(
            order_id=order.pk,
            kind="overdue_judged",
            actor=None,
            actor_role=Actor.SYSTEM,
            from_status=Order.Status.AWAITING_SHIPMENT,
            to_status=Order.Status.AWAITING_SHIPMENT,
            note="",
            data={"judgement_no": v.judgement_no},
            created_at=v.judged_at,
        )
        for v in order.violations.all()
    ]


def maxed_violations(now: datetime) -> QuerySet[Violation]:
    """P5: the last judgements of orders still overdue at ``now`` (P1, the one
    definition in ``orders.overdue``)."""
    return Violation.objects.filter(judgement_no=rule("MAX_JUDGEMENTS")).filter(overdue_q(now, "order__"))


def violations_for(user) -> QuerySet[Violation]:
    return scoped(Violation.objects.select_related("order", "shop", "appeal"), user)


def is_appeal_reviewer(user) -> bool:
    from config.api import REVIEWER_GROUP, in_group

    return bool(user and user.is_authenticated and user.is_staff and in_group(user, REVIEWER_GROUP))


def appeals_for(user) -> QuerySet[Appeal]:
    """V2: reviewers read every appeal; a merchant only their shops' (another
    shop's appeal is then a 404 exactly like a missing one)."""
    queryset = Appeal.objects.select_related("order", "violation").prefetch_related("images")
    if is_appeal_reviewer(user):
        return queryset
    return scoped(queryset, user)


def appeal_queue() -> QuerySet[Appeal]:
    """V2: the reviewers' queue, oldest first (served by the partial index)."""
    return Appeal.objects.filter(status=Appeal.Status.PENDING_REVIEW).order_by("created_at", "id")


def deposit_entries_for(user) -> QuerySet[DepositEntry]:
    return scoped(DepositEntry.objects.select_related("violation__order"), user)


def ratings_for(user) -> QuerySet[ShopRating]:
    return scoped(ShopRating.objects.select_related("shop"), user)


def sanction_list(queryset: QuerySet[Shop] | None = None, *, now: datetime | None = None) -> QuerySet[Shop]:
    """P5: shops with an order judged the maximum number of times and still
    overdue (P1: ``orders.overdue``), with how many such orders; plus shops
    already suspended or cleared (so a reviewer can lift)."""
    maxed = maxed_violations(now or timezone.now())
    per_shop = maxed.filter(shop=OuterRef("pk")).order_by().values("shop").annotate(n=Count("pk")).values("n")
    queryset = Shop.objects.all() if queryset is None else queryset
    return (
        queryset.annotate(
            listed=Exists(maxed.filter(shop=OuterRef("pk"))),
            maxed_orders=Coalesce(Subquery(per_shop), 0),
        )
        .filter(Q(listed=True) | ~Q(status=Shop.Status.ACTIVE))
        .order_by("-maxed_orders", "pk")
    )


def next_judgement_at(violation: Violation):
    """P2 transparency: when this order's next judgement would fall, if any
    (only while the order is still overdue and this is its latest judgement)."""
    if violation.next_judgement_at is None:
        return None
    order = violation.order
    if order.status != Order.Status.AWAITING_SHIPMENT or order.refunded_amount:
        return None
    return violation.next_judgement_at
