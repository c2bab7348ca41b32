"""Writes. One function per transition (T1–T5); the API, the admin and the
beat tasks call these and nothing else changes a ticket's status."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order, ShopMembership
from orders.policy import PLATFORM_TZ
from orders.services import notification_create, notifications_bulk_create
from orders.webhooks.outbox import webhook_event_emit
from orders.webhooks.outbox_sql import outbox_emit_objects

from .errors import TicketError
from .models import ServiceType, Ticket, TicketEvent, TicketEvidence, TicketReply
from .serializers import TicketSerializer
from .transitions import assert_can_move
from .validators import max_evidence_images

logger = logging.getLogger(__name__)

S = Ticket.Status
O = Ticket.Outcome  # noqa: E741
Role = TicketEvent.ActorRole


def ticket_no_generate(now: datetime) -> str:
    """``T`` + the Asia/Shanghai date + 8 random digits: short enough to read
    out on the phone, never confused with an order number (19 digits)."""
    return "T" + now.astimezone(PLATFORM_TZ).strftime("%Y%m%d") + f"{secrets.randbelow(10**8):08d}"


def _event(*, ticket: Ticket, kind: str, by, role: str, now: datetime, from_status="", to_status="", note=""):
    # W2: every ticket change writes an event; it moves the ticket's change time.
    ticket.updated_at = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at)
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=by if getattr(by, "is_authenticated", False) else None,
        actor_role=role,
        from_status=from_status,
        to_status=to_status,
        note=note,
        created_at=now,
    )
    if kind in PUSHED:  # W1: in this transaction, with the change
        webhook_event_emit(shop_id=ticket.shop_id, type=PUSHED[kind], data=lambda: _push_data(ticket), now=now)
    return event


# W1: the pushed event type a ticket event stands for.
PUSHED = {
    "opened": "ticket.opened",
    "rejected": "ticket.rejected",
    "approved": "ticket.closed",
    "agreed": "ticket.closed",
    "timed_out": "ticket.closed",
}


def _push_data(ticket: Ticket) -> dict:
    fresh = Ticket.objects.select_related("order", "service_type").get(pk=ticket.pk)
    return dict(TicketSerializer(fresh, context={"now": timezone.now()}).data)


def _notify(*, ticket: Ticket, kind: str, title: str, body: str = "", dedupe_key: str | None = None):
    """T5: in-site notification to the ticket's shop, in the caller's transaction."""
    return notification_create(
        shop=ticket.shop_id,
        kind=kind,
        title=title,
        body=body,
        data={"ticket_no": ticket.ticket_no, "status": ticket.status, "outcome": ticket.outcome},
        dedupe_key=dedupe_key,
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")


def _deadline_key(deadline: datetime) -> int:
    return int(deadline.timestamp())


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("service_type").get(pk=ticket.pk)


@transaction.atomic
def ticket_open(*, order: Order, service_type: ServiceType, description: str, by, now: datetime) -> Ticket:
    """T1: support opens a ticket for an order; its handling deadline is now +
    the type's SLA. T5: the shop is notified."""
    description = (description or "").strip()
    if not description:
        raise TicketError("description_required", _("A description is required."), status=400)
    if not service_type.active:
        raise TicketError("service_type_inactive", _("This service type is no longer offered."), status=400)
    fields = dict(
        order=order,
        shop_id=order.shop_id,
        service_type=service_type,
        description=description,
        status=S.PENDING,
        handle_deadline=now + timedelta(hours=service_type.sla_hours),
        opened_by=by,
        created_at=now,
    )
    for attempt in range(5):
        try:
            with transaction.atomic():
                ticket = Ticket.objects.create(ticket_no=ticket_no_generate(now), **fields)
            break
        except IntegrityError:
            if attempt == 4:
                raise
    _event(ticket=ticket, kind="opened", by=by, role=Role.SUPPORT, now=now, to_status=S.PENDING, note=description)
    _notify(
        ticket=ticket,
        kind="ticket_opened",
        title=_("New service ticket %(no)s (%(type)s) for order %(order)s")
        % {"no": ticket.ticket_no, "type": service_type.name, "order": order.order_no},
        body=description,
        dedupe_key=f"ticket:{ticket.ticket_no}:opened",
    )
    return ticket


def ticket_reply(
    *, ticket: Ticket, message: str, agreed: bool = False, images: list | None = None, by, now: datetime
) -> TicketReply:
    """T2: the merchant handles a pending ticket: ``pending → in_review``; a
    reply recording an agreement with the buyer on a type that allows it
    closes the ticket directly (outcome ``agreed``). T5: notified.

    T3: the deadline holds at the moment of the reply, not when the minute
    job next runs. A reply at or after ``handle_deadline`` (the instant the
    job would close it) is refused with 409 ``ticket_timed_out`` and the
    ticket is timed out then and there, exactly as the job does it (event,
    notification, R1); that effect commits although the reply is refused."""
    with transaction.atomic():
        reply = _reply(ticket=ticket, message=message, agreed=agreed, images=images, by=by, now=now)
    if reply is None:
        raise TicketError(
            "ticket_timed_out",
            _("The handling deadline has passed; the ticket was closed as timed out."),
            keeps_effect=True,
        )
    return reply


def _reply(*, ticket: Ticket, message: str, agreed: bool, images: list | None, by, now: datetime) -> TicketReply | None:
    """``ticket_reply``'s transaction; None when the deadline had passed (the
    ticket is then timed out here)."""
    images = list(images or [])
    message = (message or "").strip()
    if not message:
        raise TicketError("message_required", _("A message is required."), status=400)
    if len(images) > max_evidence_images():
        raise TicketError(
            "too_many_images", _("At most %(n)d images per reply.") % {"n": max_evidence_images()}, status=400
        )
    ticket = _lock(ticket)
    if not ShopMembership.objects.filter(user_id=getattr(by, "pk", None), shop_id=ticket.shop_id).exists():
        raise TicketError("not_shop_member", _("Only a member of the ticket's shop may reply."), status=403)
    if ticket.status == S.CLOSED and ticket.outcome == O.TIMED_OUT:
        raise TicketError(
            "ticket_timed_out", _("The handling deadline has passed; the ticket was closed as timed out.")
        )
    if ticket.status == S.CLOSED:
        raise TicketError("ticket_closed", _("The ticket is closed."))
    if ticket.status == S.PENDING and ticket.handle_deadline <= now:
        _close_timed_out([(ticket.pk, ticket.ticket_no, ticket.shop_id, ticket.handle_deadline)], now=now)
        return None
    if ticket.status == S.IN_REVIEW:
        raise TicketError("ticket_in_review", _("The ticket is waiting for support's review."))
    stype = ticket.service_type
    if agreed and not stype.allows_agreed_close:
        raise TicketError(
            "agreed_close_not_allowed",
            _("Tickets of type %(type)s cannot be closed by an agreement.") % {"type": stype.name},
            status=400,
        )
    if stype.evidence_required and not images:
        raise TicketError(
            "evidence_required",
            _("Tickets of type %(type)s need at least one image.") % {"type": stype.name},
            status=400,
        )
    to_status = S.CLOSED if agreed else S.IN_REVIEW
    assert_can_move(ticket.status, to_status)
    reply = TicketReply.objects.create(ticket=ticket, author=by, message=message, agreed=agreed, created_at=now)
    for upload in images:
        TicketEvidence.objects.create(reply=reply, image=upload, size=upload.size, created_at=now)
    from_status = ticket.status
    ticket.status = to_status
    fields = ["status"]
    if ticket.first_reply_at is None:
        ticket.first_reply_at = now
        fields.append("first_reply_at")
    if agreed:
        ticket.outcome = O.AGREED
        ticket.closed_at = now
        fields += ["outcome", "closed_at"]
    ticket.save(update_fields=fields)
    _event(
        ticket=ticket,
        kind="agreed" if agreed else "replied",
        by=by,
        role=Role.MERCHANT,
        now=now,
        from_status=from_status,
        to_status=to_status,
        note=message,
    )
    if agreed:
        title = _("Ticket %(no)s closed: agreement with the buyer recorded")
    else:
        title = _("Ticket %(no)s handled; waiting for support's review")
    _notify(ticket=ticket, kind="ticket_status", title=title % {"no": ticket.ticket_no}, body=message)
    return reply


@transaction.atomic
def ticket_approve(*, ticket: Ticket, by, now: datetime, note: str = "") -> Ticket:
    """T2: support accepts the merchant's handling: ``in_review → closed`` (approved). T5: notified."""
    ticket = _lock(ticket)
    if ticket.status != S.IN_REVIEW:
        raise TicketError(
            "ticket_closed" if ticket.status == S.CLOSED else "ticket_not_in_review",
            _("Only a ticket in review can be approved; this one is %(status)s.")
            % {"status": ticket.get_status_display()},
        )
    assert_can_move(ticket.status, S.CLOSED)
    ticket.status, ticket.outcome, ticket.closed_at = S.CLOSED, O.APPROVED, now
    ticket.save(update_fields=["status", "outcome", "closed_at"])
    _event(
        ticket=ticket,
        kind="approved",
        by=by,
        role=Role.SUPPORT,
        now=now,
        from_status=S.IN_REVIEW,
        to_status=S.CLOSED,
        note=(note or "").strip(),
    )
    _notify(
        ticket=ticket, kind="ticket_status", title=_("Ticket %(no)s approved and closed") % {"no": ticket.ticket_no}
    )
    return ticket


@transaction.atomic
def ticket_reject(*, ticket: Ticket, reason: str, by, now: datetime) -> Ticket:
    """T2: support rejects the handling (reason required): ``in_review →
    pending`` with a fresh deadline (now + the type's SLA). T5: notified."""
    reason = (reason or "").strip()
    if not reason:
        raise TicketError("reason_required", _("A reason is required to reject."), status=400)
    ticket = _lock(ticket)
    if ticket.status != S.IN_REVIEW:
        raise TicketError(
            "ticket_closed" if ticket.status == S.CLOSED else "ticket_not_in_review",
            _("Only a ticket in review can be rejected; this one is %(status)s.")
            % {"status": ticket.get_status_display()},
        )
    assert_can_move(ticket.status, S.PENDING)
    ticket.status = S.PENDING
    ticket.handle_deadline = now + timedelta(hours=ticket.service_type.sla_hours)
    ticket.last_rejection_reason = reason
    ticket.last_rejected_at = now
    ticket.reminded_at = None  # the fresh deadline gets its own reminder
    ticket.save(update_fields=["status", "handle_deadline", "last_rejection_reason", "last_rejected_at", "reminded_at"])
    _event(
        ticket=ticket,
        kind="rejected",
        by=by,
        role=Role.SUPPORT,
        now=now,
        from_status=S.IN_REVIEW,
        to_status=S.PENDING,
        note=reason,
    )
    _notify(
        ticket=ticket,
        kind="ticket_rejected",
        title=_("Ticket %(no)s rejected by support; handle it again by %(deadline)s")
        % {
            "no": ticket.ticket_no,
            "deadline": ticket.handle_deadline.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M"),
        },
        body=reason,
    )
    return ticket


def tickets_time_out(*, now: datetime) -> dict:
    """T3: every ticket still ``pending`` at its deadline is closed as
    ``timed_out`` (counted against its shop in R1) and its shop notified.

    Set-based, in batches: lock a batch of due tickets (``SKIP LOCKED`` on
    PostgreSQL, so a concurrent run takes other rows), close them with one
    conditional ``UPDATE … WHERE status='pending'``, bulk-insert their events
    and notifications (``dedupe_key`` per ticket and deadline, so nothing is
    written twice). Safe when two workers run it at once."""
    batch_size = settings.PLATFORM["TICKET_TIMEOUT_BATCH"]
    timed_out = 0
    notified = 0
    while True:
        with transaction.atomic():
            due = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(status=S.PENDING, handle_deadline__lte=now)
                .order_by("handle_deadline", "id")
                .values_list("id", "ticket_no", "shop_id", "handle_deadline")[:batch_size]
            )
            if not due:
                break
            notified += _close_timed_out(due, now=now)
            timed_out += len(due)
        if len(due) < batch_size:
            break
    summary = {"timed_out": timed_out, "notified": notified}
    return summary


def _close_timed_out(due: list[tuple[int, str, int, datetime]], *, now: datetime) -> int:
    """T3: close the locked pending tickets ``due`` (id, number, shop,
    deadline) as ``timed_out``: one conditional UPDATE, their system events
    and one notification each (``dedupe_key`` per ticket and deadline).
    Shared by the minute job and by a reply that comes too late. Returns the
    notifications written."""
    ids = [row[0] for row in due]
    changed = Ticket.objects.filter(pk__in=ids, status=S.PENDING, handle_deadline__lte=now).update(
        status=S.CLOSED, outcome=O.TIMED_OUT, closed_at=now, updated_at=timezone.now()
    )
    if changed != len(ids):  # cannot happen under our row locks; be loud if it does
        logger.warning("tickets_time_out: %d of %d locked tickets changed", changed, len(ids))
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket_id=tid,
                kind="timed_out",
                actor=None,
                actor_role=Role.SYSTEM,
                from_status=S.PENDING,
                to_status=S.CLOSED,
                note=_("Not handled by the deadline; closed by platform rule."),
                created_at=now,
            )
            for tid, _no, _shop, _deadline in due
        ]
    )
    _push_timed_out(due, now=now)
    return notifications_bulk_create(
        [
            {
                "shop_id": shop_id,
                "kind": "ticket_timed_out",
                "title": _("Ticket %(no)s timed out and was closed by platform rule") % {"no": no},
                "body": _("It was not handled by its deadline; this counts in the shop rating."),
                "data": {"ticket_no": no, "status": S.CLOSED, "outcome": O.TIMED_OUT},
                "dedupe_key": f"ticket:{no}:timed_out:{_deadline_key(deadline)}",
                "created_at": now,
            }
            for _tid, no, shop_id, deadline in due
        ]
    )


def _push_timed_out(due: list[tuple[int, str, int, datetime]], *, now: datetime) -> None:
    """W1: each timed-out ticket is a ``ticket.closed`` event of its shop, in
    this transaction, like every other ticket change (the bulk path writes
    its events without ``_event``), set-based: payloads built only for the
    shops that listen, each shop's sequence bumped once for the batch."""
    outbox_emit_objects(type=PUSHED["timed_out"], name="ticket", ids=[tid for tid, *_rest in due], now=now)


def tickets_push_payloads(*, ids: list[int], shop_ids: list[int], now: datetime) -> dict[int, tuple[int, dict]]:
    """W1: ``{ticket id: (shop id, the ticket as the API shows it)}`` for the
    tickets of ``ids`` in ``shop_ids`` (two queries)."""
    tickets = Ticket.objects.filter(pk__in=ids, shop_id__in=shop_ids).select_related("order", "service_type")
    return {t.pk: (t.shop_id, dict(TicketSerializer(t, context={"now": now}).data)) for t in tickets}


def tickets_remind(*, now: datetime) -> dict:
    """A pending ticket with at most ``TICKET_REMINDER_HOURS`` left gets one
    reminder per deadline (``reminded_at`` set by a conditional UPDATE; the
    notification's ``dedupe_key`` is per ticket and deadline)."""
    horizon = now + timedelta(hours=settings.PLATFORM["TICKET_REMINDER_HOURS"])
    batch_size = settings.PLATFORM["TICKET_TIMEOUT_BATCH"]
    reminded = 0
    while True:
        with transaction.atomic():
            due = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(status=S.PENDING, handle_deadline__gt=now, handle_deadline__lte=horizon, reminded_at=None)
                .order_by("handle_deadline", "id")
                .values_list("id", "ticket_no", "shop_id", "handle_deadline")[:batch_size]
            )
            if not due:
                break
            Ticket.objects.filter(pk__in=[row[0] for row in due], reminded_at=None).update(reminded_at=now)
            TicketEvent.objects.bulk_create(
                [
                    TicketEvent(ticket_id=tid, kind="reminded", actor_role=Role.SYSTEM, created_at=now)
                    for tid, _no, _shop, _deadline in due
                ]
            )
            reminded += notifications_bulk_create(
                [
                    {
                        "shop_id": shop_id,
                        "kind": "ticket_reminder",
                        "title": _("Ticket %(no)s must be handled by %(deadline)s")
                        % {"no": no, "deadline": _local(deadline)},
                        "body": _("Handle it before the deadline, or it is closed as timed out."),
                        "data": {"ticket_no": no, "handle_deadline": deadline.isoformat()},
                        "dedupe_key": f"ticket:{no}:remind:{_deadline_key(deadline)}",
                        "created_at": now,
                    }
                    for _tid, no, shop_id, deadline in due
                ]
            )
        if len(due) < batch_size:
            break
    summary = {"reminded": reminded}
    return summary
