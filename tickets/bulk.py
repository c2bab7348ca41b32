"""Service tickets for ``manage.py seed_bulk`` (issue 7): what support staff
open on a real platform, so the ticket lists, the T3 timeout job and the
exports have data at scale.

One paid order in 40 of this run (2.5 %) has a ticket, opened by the bench
support user a few hours after payment, spread over the service types and the
states: half closed (approved after a reply, agreed with the buyer, or timed
out: T2/T3), a fifth in review (replied, waiting for support), the rest
pending — most before their deadline, some past it and not yet closed by beat
(what the T3 job finds). Each ticket has its timeline events and, once
replied, its reply. Rows are built in Python from one read of the chosen
orders and written with ``bulk_create`` in batches (a few % of orders: 25,000
tickets at 1M orders).
"""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db.models import IntegerField
from django.db.models.functions import Mod

from orders.bulk import PASSWORD, BulkContext
from orders.models import Order
from orders.roles import SUPPORT

EVERY = 40
OFFSET = 7  # not the penalties' late orders (id % 50 == 0) in lockstep
SUPPORT_NAME = "bench_support"
BATCH = 2000

# One cycle of 20 tickets (interleaved, so even a small run has every state):
# 5 approved, 3 agreed, 2 timed out, 4 in review, 4 pending before the
# deadline, 2 pending past it (not yet closed by beat).
_A, _G, _T = ("closed", "approved"), ("closed", "agreed"), ("closed", "timed_out")
_R, _P, _L = ("in_review", None), ("pending", None), ("pending_late", None)
_PLAN = [_A, _R, _P, _G, _T, _L, _A, _R, _G, _P, _A, _T, _R, _P, _A, _G, _L, _R, _A, _P]


def _support_user():
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SUPPORT_NAME, defaults={"is_staff": True, "password": make_password(PASSWORD)}
    )
    if created:
        user.groups.add(Group.objects.get(name=SUPPORT))
    return user


def seed(ctx: BulkContext) -> None:
    try:
        Ticket = apps.get_model("tickets", "Ticket")
        TicketEvent = apps.get_model("tickets", "TicketEvent")
        TicketReply = apps.get_model("tickets", "TicketReply")
        ServiceType = apps.get_model("tickets", "ServiceType")
    except LookupError:
        return
    types = list(ServiceType.objects.filter(active=True).order_by("id"))
    if not types:
        return
    support = _support_user()
    shop_merchant = dict(zip(ctx.shop_ids, ctx.merchant_ids, strict=False))
    chosen = (
        Order.objects.filter(id__gt=ctx.first_order_id, paid_at__isnull=False)
        .annotate(m=Mod("id", EVERY, output_field=IntegerField()))
        .filter(m=OFFSET)
        .order_by("id")
        .values_list("id", "order_no", "shop_id", "paid_at")
    )
    S, O = Ticket.Status, Ticket.Outcome  # noqa: E741
    Role = TicketEvent.ActorRole
    made = 0
    rows = list(chosen)
    for start in range(0, len(rows), BATCH):
        tickets, plans = [], []
        for order_id, order_no, shop_id, paid_at in rows[start : start + BATCH]:
            kind = types[order_id % len(types)]
            status, outcome = _PLAN[(order_id // EVERY) % len(_PLAN)]
            if outcome == O.AGREED and not kind.allows_agreed_close:
                outcome = O.APPROVED
            sla = timedelta(hours=kind.sla_hours)
            # Opened after payment: an order paid too recently for this state gets a pending ticket.
            if status != "pending" and paid_at + timedelta(hours=3) > ctx.now - sla * 2:
                status, outcome = "pending", None
            if status == "pending":
                created = max(ctx.now - sla / 4, min(paid_at + timedelta(minutes=30), ctx.now))  # deadline ahead
            elif status == "pending_late":
                created = ctx.now - sla - timedelta(hours=3)
            else:
                created = min(paid_at + timedelta(hours=3 + order_id % 48), ctx.now - sla * 2)
            deadline = created + sla
            replied = created + sla / 3 if outcome in (O.APPROVED, O.AGREED) or status == S.IN_REVIEW else None
            closed = {O.APPROVED: replied + timedelta(hours=2) if replied else None, O.AGREED: replied}.get(
                outcome, deadline if outcome == O.TIMED_OUT else None
            )
            closed = min(closed, ctx.now) if closed else None
            tickets.append(
                Ticket(
                    ticket_no=f"T{created:%Y%m%d}{order_id % 10**8:08d}",
                    order_id=order_id,
                    shop_id=shop_id,
                    service_type=kind,
                    description=f"{kind.name}: order {order_no}",
                    status=S.PENDING if status == "pending_late" else status,
                    outcome=outcome,
                    handle_deadline=deadline,
                    first_reply_at=replied,
                    opened_by_id=support.pk,
                    created_at=created,
                    closed_at=closed,
                )
            )
            plans.append((shop_id, created, replied, closed, outcome))
        Ticket.objects.bulk_create(tickets, batch_size=BATCH, ignore_conflicts=True)
        ids = dict(Ticket.objects.filter(ticket_no__in=[t.ticket_no for t in tickets]).values_list("ticket_no", "id"))
        events, replies = [], []
        for ticket, (shop_id, created, replied, closed, outcome) in zip(tickets, plans, strict=True):
            tid = ids.get(ticket.ticket_no)
            if tid is None:
                continue
            events.append(
                TicketEvent(
                    ticket_id=tid,
                    kind="opened",
                    actor_id=support.pk,
                    actor_role=Role.SUPPORT,
                    to_status=S.PENDING,
                    note=ticket.description,
                    created_at=created,
                )
            )
            if replied:
                agreed = outcome == O.AGREED
                merchant = shop_merchant.get(shop_id, support.pk)
                replies.append(
                    TicketReply(
                        ticket_id=tid,
                        author_id=merchant,
                        message="Handled with the buyer." if agreed else "Handled; see the message to the buyer.",
                        agreed=agreed,
                        created_at=replied,
                    )
                )
                events.append(
                    TicketEvent(
                        ticket_id=tid,
                        kind="agreed" if agreed else "replied",
                        actor_id=merchant,
                        actor_role=Role.MERCHANT,
                        from_status=S.PENDING,
                        to_status=S.CLOSED if agreed else S.IN_REVIEW,
                        created_at=replied,
                    )
                )
            if outcome == O.APPROVED:
                events.append(
                    TicketEvent(
                        ticket_id=tid,
                        kind="approved",
                        actor_id=support.pk,
                        actor_role=Role.SUPPORT,
                        from_status=S.IN_REVIEW,
                        to_status=S.CLOSED,
                        created_at=closed,
                    )
                )
            elif outcome == O.TIMED_OUT:
                events.append(
                    TicketEvent(
                        ticket_id=tid,
                        kind="timed_out",
                        actor_role=Role.SYSTEM,
                        from_status=S.PENDING,
                        to_status=S.CLOSED,
                        created_at=closed,
                    )
                )
            made += 1
        TicketReply.objects.bulk_create(replies, batch_size=BATCH)
        TicketEvent.objects.bulk_create(events, batch_size=BATCH)
    ctx.summary["tickets"] = made
