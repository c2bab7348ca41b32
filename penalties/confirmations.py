"""Issue 15: the penalties app's confirmed steps in the admin (P8 reversal of
a deduction, P5 suspension / clearing, V2 appeal decisions): what each
confirmation page shows (read here, nothing moves) and which existing
service its button calls (``config.admin_confirm``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.admin_confirm import OPTIONAL, REQUIRED, Move, Step, running_balances
from config.labels import local_time, money, time_left
from orders.models import Order, Shop

from . import services
from .models import Appeal, DepositEntry, ShopSanction, Violation
from .services.sanctions import TRANSITIONS

WAITING_CAP = 1000
LEDGER_ROUTE = _("Deposit ledger (a reversal entry)")


def _violation_facts(v: Violation) -> list[tuple[str, str]]:
    return [
        (_("Judgement"), gettext("no. %(n)d, %(at)s") % {"n": v.judgement_no, "at": local_time(v.judged_at)}),
        (_("Deduction"), f"{v.get_charge_status_display()} {money(v.charged_amount)}"),
    ]


def reversal_moves(violations) -> list[Move]:
    """P8: a charged deduction comes back to the shop's deposit as a reversal
    entry; several on one shop add up (each row starts from the previous)."""
    rows = Violation.objects.filter(pk__in=[v.pk for v in violations]).select_related("order", "shop")
    moves = []
    for v in rows.order_by("shop_id", "id"):
        charged = v.charge_status == Violation.ChargeStatus.CHARGED
        move = Move(
            label=v.order.order_no,
            shop=v.shop.name,
            order_no=v.order.order_no,
            amount=v.charged_amount if charged else None,
            route=LEDGER_ROUTE,
            balance_before=v.shop.deposit_balance,
            balance_after=v.shop.deposit_balance + v.charged_amount if charged else None,
            facts=_violation_facts(v),
        )
        if not charged:
            move.refused = gettext("only a charged deduction can be reversed (this one is %(s)s)") % {
                "s": v.get_charge_status_display()
            }
        moves.append(move)
    return running_balances(moves)


def reversal_rows(queryset):
    """A list of ledger entries: the violations of its deduction entries."""
    if queryset.model is DepositEntry:
        ids = queryset.filter(kind=DepositEntry.Kind.DEDUCTION).values_list("violation_id", flat=True)
        return list(Violation.objects.filter(pk__in=list(ids)))
    return list(queryset)


reverse_deduction = Step(
    name="reverse_deductions",
    title=_("Reverse deductions (appeal granted)"),
    intro=_("Each charged deduction gets a reversal entry in the ledger; nothing is edited."),
    button=_("Yes, give the deduction back"),
    preview=reversal_moves,
    perform=lambda v, reason, by, now: services.deposit_reverse(violation=v, by=by, reason=reason, now=now),
    done=_("%(n)d deduction(s) reversed."),
    reason=REQUIRED,
    danger=True,
    rows=reversal_rows,
)


# --- P5: sanctions ---------------------------------------------------------------------


def sanction_moves(shops, action: str) -> list[Move]:
    """P5: the shop's status before → after, its deposit (a sanction moves no
    money) and what it stops: new orders are refused while not active."""
    allowed_from, to_status = TRANSITIONS[action]
    moves = []
    for shop in Shop.objects.filter(pk__in=[s.pk for s in shops]).order_by("name"):
        # capped: a big shop's count must not scan its whole history on a confirmation page
        waiting = Order.objects.filter(shop=shop, status=Order.Status.AWAITING_SHIPMENT)[: WAITING_CAP + 1].count()
        move = Move(
            label=shop.name,
            shop=shop.name,
            balance_before=shop.deposit_balance,
            facts=[
                (_("Shop status"), f"{shop.get_status_display()} → {Shop.Status(to_status).label}"),
                (_("Orders awaiting shipment"), f"{WAITING_CAP:,}+" if waiting > WAITING_CAP else str(waiting)),
            ],
        )
        if shop.status not in allowed_from:
            move.refused = gettext("not possible for a shop that is %(status)s") % {"status": shop.get_status_display()}
        moves.append(move)
    return moves


def _sanction_step(action: str, name: str, *, title, intro, button, done) -> Step:
    return Step(
        name=name,
        title=title,
        intro=intro,
        button=button,
        preview=lambda rows: sanction_moves(rows, action),
        perform=lambda shop, reason, by, now: services.shop_sanction(
            shop=shop, action=action, by=by, reason=reason, now=now
        ),
        done=done,
        reason=REQUIRED,
        danger=action != ShopSanction.Action.LIFT,
    )


suspend_shop = _sanction_step(
    ShopSanction.Action.SUSPEND,
    "suspend_shops",
    title=_("Suspend shops (停业)"),
    intro=_("New orders are refused while the shop is suspended; the merchant is told the reason."),
    button=_("Yes, suspend"),
    done=_("%(n)d shop(s) suspended."),
)
clear_shop = _sanction_step(
    ShopSanction.Action.CLEAR,
    "clear_shops",
    title=_("Clear shops (清退)"),
    intro=_("A cleared shop stays cleared: it takes no new orders again."),
    button=_("Yes, clear"),
    done=_("%(n)d shop(s) cleared."),
)
lift_shop = _sanction_step(
    ShopSanction.Action.LIFT,
    "lift_shops",
    title=_("Lift suspensions"),
    intro=_("The shop takes new orders again; the merchant is told the reason."),
    button=_("Yes, lift"),
    done=_("%(n)d suspension(s) lifted."),
)


# --- V2: appeals -------------------------------------------------------------------------


def appeal_moves(appeals, *, approve: bool) -> list[Move]:
    """V2/V3: granting gives a charged deduction back (reversal entry) or
    waives a pending one; rejecting moves nothing."""
    now = timezone.now()
    moves = []
    rows = Appeal.objects.filter(pk__in=[a.pk for a in appeals]).select_related("violation", "order", "shop")
    for a in rows.order_by("shop_id", "id"):
        v, shop = a.violation, a.shop
        charged = v.charge_status == Violation.ChargeStatus.CHARGED
        move = Move(
            label=a.order.order_no,
            shop=shop.name,
            order_no=a.order.order_no,
            balance_before=shop.deposit_balance,
            facts=[
                (_("Appeal reason"), a.get_reason_display() + (f"：{a.detail}" if a.detail else "")),
                *_violation_facts(v),
                (_("Review target"), f"{local_time(a.review_due_at)} · {time_left(a.review_due_at, now)}"),
            ],
        )
        if approve and charged:
            move.amount = v.charged_amount
            move.route = LEDGER_ROUTE
            move.balance_after = shop.deposit_balance + v.charged_amount
        elif approve and v.charge_status == Violation.ChargeStatus.PENDING:
            move.facts.append((_("Deduction"), gettext("never charged (waived)")))
        if a.status != Appeal.Status.PENDING_REVIEW:
            move.refused = gettext("already decided (%(status)s)") % {"status": a.get_status_display()}
        moves.append(move)
    return running_balances(moves)


approve_appeal = Step(
    name="approve_appeal",
    title=_("Grant appeals"),
    intro=_("The violation is marked appeal-granted, a charged deduction is given back, bans it caused are lifted."),
    button=_("Yes, grant"),
    preview=lambda rows: appeal_moves(rows, approve=True),
    perform=lambda a, note, by, now: services.appeal_approve(appeal=a, by=by, note=note, now=now),
    done=_("%(n)d appeal(s) granted."),
    reason=OPTIONAL,
    reason_label=_("Note"),
    danger=True,
)
reject_appeal = Step(
    name="reject_appeal",
    title=_("Reject appeals"),
    intro=_("Nothing changes; the merchant is told the reason."),
    button=_("Reject"),
    preview=lambda rows: appeal_moves(rows, approve=False),
    perform=lambda a, reason, by, now: services.appeal_reject(appeal=a, by=by, reason=reason, now=now),
    done=_("%(n)d appeal(s) rejected."),
    reason=REQUIRED,
)
