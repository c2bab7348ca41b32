"""Issue 15: support's confirmed decisions on a ticket in review (T2): what
the decision page and the ticket's page show (order, time left, the
merchant's reply and evidence) and which service the button calls
(``config.admin_confirm``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.admin_confirm import OPTIONAL, REQUIRED, Move, Step
from config.labels import local_time, time_left, yes_no

from . import services
from .models import Ticket, TicketReply


def _evidence(reply: TicketReply | None, ticket_no: str) -> str:
    if reply is None:
        return "—"
    images = list(reply.images.all())
    if not images:
        return gettext("none")
    return format_html_join(
        " · ",
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        ((reverse("ticket-evidence", args=[ticket_no, img.pk]), img.image.name.rsplit("/", 1)[-1]) for img in images),
    )


def ticket_moves(tickets, *, approve: bool) -> list[Move]:
    """T2: approving closes the ticket; rejecting sends it back to the merchant
    with a fresh deadline (the type's SLA). Neither moves money."""
    now = timezone.now()
    rows = Ticket.objects.filter(pk__in=[t.pk for t in tickets]).select_related("order", "shop", "service_type")
    moves = []
    for t in rows.order_by("pk"):
        reply = t.replies.select_related("author").prefetch_related("images").order_by("-created_at", "-id").first()
        after = Ticket.Status.CLOSED if approve else Ticket.Status.PENDING
        move = Move(
            label=t.ticket_no,
            label_title=_("Ticket number"),
            shop=t.shop.name,
            order_no=t.order.order_no,
            facts=[
                (_("Service type"), t.service_type.name),
                (_("Ticket status"), f"{t.get_status_display()} → {after.label}"),
                (
                    _("Handling deadline"),
                    format_html("{} · {}", local_time(t.handle_deadline), time_left(t.handle_deadline, now)),
                ),
                (_("Description"), t.description),
                (
                    _("Merchant's reply"),
                    format_html("{} ({}, {})", reply.message, local_time(reply.created_at), _agreed(reply))
                    if reply
                    else gettext("no reply yet"),
                ),
                (_("Evidence"), _evidence(reply, t.ticket_no)),
            ],
        )
        if not approve:
            hours = t.service_type.sla_hours
            move.facts.append((_("New deadline"), gettext("%(h)d h after the rejection") % {"h": hours}))
        if t.status != Ticket.Status.IN_REVIEW:
            move.refused = gettext("not in review (%(status)s)") % {"status": t.get_status_display()}
        moves.append(move)
    return moves


def _agreed(reply: TicketReply) -> str:
    return gettext("agreed with the buyer: %(yes)s") % {"yes": yes_no(reply.agreed)}


approve_ticket = Step(
    name="approve_handling",
    title=_("Approve the handling (close the ticket)"),
    intro=_("The merchant's handling is accepted and the ticket is closed."),
    button=_("Yes, approve and close"),
    preview=lambda rows: ticket_moves(rows, approve=True),
    perform=lambda t, note, by, now: services.ticket_approve(ticket=t, by=by, now=now, note=note),
    done=_("%(n)d ticket(s) approved."),
    reason=OPTIONAL,
    reason_label=_("Note"),
)
reject_ticket = Step(
    name="reject_handling",
    title=_("Reject the handling"),
    intro=_("The ticket goes back to the merchant with a fresh deadline; the merchant is told the reason."),
    button=_("Reject"),
    preview=lambda rows: ticket_moves(rows, approve=False),
    perform=lambda t, reason, by, now: services.ticket_reject(ticket=t, reason=reason, by=by, now=now),
    done=_("%(n)d ticket(s) rejected."),
    reason=REQUIRED,
)
