"""Issue 15: the orders app's confirmed steps in the admin (C3 cancellation
review, F1 alternative-route settlement, A2 after-sale decisions): what each
confirmation page shows (read here, nothing moves) and which existing
service its button calls. Wired into the admin as list actions and as
buttons on the record's page (``config.admin_confirm``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.admin_confirm import OPTIONAL, REQUIRED, Move, Step
from config.labels import local_time, money

from . import selectors, services
from .models import AfterSale, CancellationRequest, Order, Refund
from .services.after_sales import REFUND_TYPES

C = CancellationRequest
ORIGINAL = Refund.Route.ORIGINAL.label
ALTERNATIVE = Refund.Route.ALTERNATIVE.label


def _status_move(before: str, after: str) -> str:
    return f"{before} → {after}" if after != before else before


def _left_to_refund(order: Order):
    return order.total_amount - order.refunded_amount


def _after_window(cancellation: CancellationRequest) -> str:
    """How long after payment the merchant asked (C1: within 2 h)."""
    paid = cancellation.order.paid_at
    if paid is None:
        return ""
    minutes = int((cancellation.requested_at - paid).total_seconds() // 60)
    return gettext("%(min)d min after payment (window 2 h)") % {"min": minutes}


def cancellation_moves(cancellations, *, approve: bool) -> list[Move]:
    """C3: approving cancels the order and refunds what is left to refund to
    the original route; rejecting moves nothing (the reason goes to the merchant)."""
    moves = []
    for c in cancellations:
        order, shop = c.order, c.shop
        reason = c.get_reason_display() + (f"：{c.detail}" if c.detail else "")
        move = Move(
            label=order.order_no,
            shop=shop.name,
            order_no=order.order_no,
            balance_before=shop.deposit_balance,
            facts=[
                (_("Cancellation reason"), reason),
                (_("Asked at"), f"{local_time(c.requested_at)} · {_after_window(c)}"),
            ],
        )
        if approve:
            move.amount = _left_to_refund(order)
            move.route = ORIGINAL
            move.facts.append(
                (_("Order status"), _status_move(order.get_status_display(), Order.Status.CANCELLED.label))
            )
        if c.status != C.Status.PENDING_REVIEW:
            move.refused = gettext("already decided (%(status)s)") % {"status": c.get_status_display()}
        moves.append(move)
    return moves


def _cancellations(rows):
    return CancellationRequest.objects.filter(pk__in=[r.pk for r in rows]).select_related("order", "shop")


approve_cancellation = Step(
    name="approve",
    title=_("Approve cancellations: cancel and refund in full"),
    intro=_("The order is cancelled and what is left to refund goes back to the original payment route."),
    button=_("Yes, cancel and refund"),
    preview=lambda rows: cancellation_moves(_cancellations(rows), approve=True),
    perform=lambda c, reason, by, now: services.cancellation_approve(cancellation=c, by=by, now=now),
    done=_("%(n)d cancellation(s) approved; the refunds are on their way."),
    danger=True,
)
reject_cancellation = Step(
    name="reject",
    title=_("Reject cancellations"),
    intro=_("The orders stay as they are; the merchant is told the reason."),
    button=_("Reject"),
    preview=lambda rows: cancellation_moves(_cancellations(rows), approve=False),
    perform=lambda c, reason, by, now: services.cancellation_reject(cancellation=c, reason=reason, by=by, now=now),
    done=_("%(n)d cancellation(s) rejected."),
    reason=REQUIRED,
)


# --- F1: alternative-route refunds ---------------------------------------------------


def settlement_moves(refunds) -> list[Move]:
    """F1: marking paid records that the buyer got the amount another way;
    the order's refunded amount already counts it, the deposit is untouched."""
    moves = []
    for r in Refund.objects.filter(pk__in=[r.pk for r in refunds]).select_related("order", "shop"):
        move = Move(
            label=r.order.order_no,
            shop=r.shop.name,
            order_no=r.order.order_no,
            amount=r.amount,
            route=ALTERNATIVE,
            balance_before=r.shop.deposit_balance,
            facts=[
                (_("Refund status"), _status_move(r.get_status_display(), Refund.Status.SUCCEEDED.label)),
                (_("why the original route failed"), selectors.refund_failure_text(r) or "—"),
                (_("Waiting since"), local_time(r.created_at)),
            ],
        )
        if r.route != Refund.Route.ALTERNATIVE or r.status != Refund.Status.PENDING:
            move.refused = gettext("not waiting for an alternative route (%(status)s)") % {
                "status": r.get_status_display()
            }
        moves.append(move)
    return moves


settle_refund = Step(
    name="mark_settled",
    title=_("Mark refunds paid on an alternative route"),
    intro=_("Confirm only once the buyer has received the money on another route (bank transfer, balance …)."),
    button=_("Yes, mark paid"),
    preview=settlement_moves,
    perform=lambda r, note, by, now: services.refund_settle_alternative(refund=r, by=by, note=note, now=now),
    done=_("%(n)d refund(s) marked paid."),
    reason=OPTIONAL,
    reason_label=_("How it was paid (reference, account)"),
    danger=True,
)


# --- A2: after-sales -------------------------------------------------------------------


def after_sale_moves(after_sales, *, approve: bool) -> list[Move]:
    """A2: approving a refund type refunds its amount (at most what is left to
    refund) to the original route; an exchange or a rejection moves no money."""
    moves = []
    now = timezone.now()
    for a in AfterSale.objects.filter(pk__in=[a.pk for a in after_sales]).select_related("order", "shop"):
        order = a.order
        move = Move(
            label=order.order_no,
            shop=a.shop.name,
            order_no=order.order_no,
            balance_before=a.shop.deposit_balance,
            facts=[
                (_("After-sale type"), a.get_type_display()),
                (_("Buyer's reason"), a.get_reason_display()),
                (_("Requested amount"), money(a.amount)),
                (_("Description"), a.description),
                (_("Opened"), f"{local_time(a.created_at)} ({_age(a.created_at, now)})"),
            ],
        )
        if approve and a.type in REFUND_TYPES:
            move.amount = min(a.amount, _left_to_refund(order))
            move.route = ORIGINAL
        if a.status != AfterSale.Status.PENDING:
            move.refused = gettext("already decided (%(status)s)") % {"status": a.get_status_display()}
        moves.append(move)
    return moves


def _age(since, now) -> str:
    hours = int((now - since).total_seconds() // 3600)
    return gettext("%(h)d h ago") % {"h": hours}


approve_after_sale = Step(
    name="approve_after_sale",
    title=_("Approve after-sales (platform decision)"),
    intro=_("A refund type refunds its amount to the original payment route; an exchange moves no money."),
    button=_("Yes, approve"),
    preview=lambda rows: after_sale_moves(rows, approve=True),
    perform=lambda a, note, by, now: services.after_sale_approve(after_sale=a, note=note, by=by, now=now),
    done=_("%(n)d after-sale(s) approved."),
    reason=OPTIONAL,
    reason_label=_("Note"),
    danger=True,
)
reject_after_sale = Step(
    name="reject_after_sale",
    title=_("Reject after-sales (platform decision)"),
    intro=_("Nothing is refunded; the buyer's reason stays as it was."),
    button=_("Reject"),
    preview=lambda rows: after_sale_moves(rows, approve=False),
    perform=lambda a, reason, by, now: services.after_sale_reject(after_sale=a, reason=reason, by=by, now=now),
    done=_("%(n)d after-sale(s) rejected."),
    reason=REQUIRED,
)
