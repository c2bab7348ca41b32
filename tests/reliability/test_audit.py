"""Audit (issue 8 point 7): every staff decision is recorded with who, when,
what and why; the records are shown in the admin and cannot be edited or
deleted there by anyone (superusers included)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.utils import timezone

from orders.models import CancellationRequest, OrderEvent, Refund
from orders.services import cancellation_approve, cancellation_reject, cancellation_request, refund_settle_alternative
from penalties.models import DepositEntry, ProductBan, ShopSanction, Violation
from penalties.services import deposit_top_up, shop_suspend
from tests.factories import UserFactory, order_placed
from tickets.models import TicketEvent

# The audit records: model → the admin that shows it (a ModelAdmin, or the
# change page whose read-only inline lists it).
AUDIT_MODELS = [CancellationRequest, Refund, DepositEntry, ShopSanction, Violation, ProductBan]
AUDIT_INLINES = {OrderEvent: "orders.Order", TicketEvent: "tickets.Ticket"}


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_audit_records_are_never_editable_in_the_admin(superuser):
    """Given the admin of every audit record, then nobody (not even a
    superuser) may add, change or delete one there."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    editable = []
    for model in AUDIT_MODELS:
        model_admin = admin.site._registry[model]
        for perm in ("change", "delete"):
            if getattr(model_admin, f"has_{perm}_permission")(request):
                editable.append(f"{model.__name__}: {perm}")
    for model, parent in AUDIT_INLINES.items():
        from django.apps import apps

        parent_admin = admin.site._registry[apps.get_model(parent)]
        inlines = [i(parent_admin.model, admin.site) for i in parent_admin.inlines if i.model is model]
        assert inlines, f"{model.__name__} is not shown on the {parent} page"
        for inline in inlines:
            for perm in ("add", "change", "delete"):
                if getattr(inline, f"has_{perm}_permission")(request, None):
                    editable.append(f"{model.__name__} inline: {perm}")
    assert editable == []


def test_reviewer_cannot_edit_or_delete_audit_records(shop_a, merchant, reviewer):
    """Given a top-up, a sanction and a decided cancellation, when a reviewer
    posts their change and delete pages, then the answer is 403 and the rows
    are unchanged."""
    now = timezone.now()
    entry = deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="wire 42", now=now)
    sanction = shop_suspend(shop=shop_a, by=reviewer, reason="overdue orders", now=now)
    request = cancellation_request(
        order=order_placed(shop=shop_a, now=now), reason="out_of_stock", by=merchant, now=now
    )
    cancellation_reject(cancellation=request, reason="stock exists", by=reviewer, now=now)
    request.refresh_from_db()
    client = Client()
    client.force_login(reviewer)
    for obj, field, value in [
        (entry, "amount", "1.00"),
        (sanction, "reason", "edited"),
        (request, "decision_reason", "edited"),
    ]:
        opts = obj._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}"
        assert client.post(f"{base}/change/", {field: value}).status_code == 403
        assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
        fresh = type(obj).objects.get(pk=obj.pk)
        assert getattr(fresh, field) == getattr(obj, field)
    # the records are visible to the reviewer
    assert client.get(f"/admin/penalties/depositentry/{entry.pk}/change/").status_code == 200


def test_every_staff_decision_is_recorded_with_who_when_what_why(shop_a, merchant, reviewer, support, settings):
    """Given each staff decision (cancellation approve/reject, ticket
    approve/reject, sanction, reversal, top-up, refund settlement), then a
    record names who took it, when, what was decided and why."""
    from penalties.services import deposit_reverse
    from tickets.models import ServiceType
    from tickets.services import ticket_approve, ticket_open, ticket_reject, ticket_reply

    now = timezone.now()
    # cancellations (C5)
    approved = cancellation_request(
        order=order_placed(shop=shop_a, now=now), reason="out_of_stock", by=merchant, now=now
    )
    cancellation_approve(cancellation=approved, by=reviewer, now=now)
    rejected = cancellation_request(
        order=order_placed(shop=shop_a, now=now), reason="other", detail="x", by=merchant, now=now
    )
    cancellation_reject(cancellation=rejected, reason="buyer already paid shipping", by=reviewer, now=now)
    approved.refresh_from_db()
    rejected.refresh_from_db()
    assert (approved.status, approved.decided_by, approved.decided_at) == ("approved", reviewer, now)
    assert (rejected.decided_by, rejected.decision_reason) == (reviewer, "buyer already paid shipping")
    assert OrderEvent.objects.filter(order=approved.order, actor=reviewer, created_at=now).exists()
    # tickets (T2)
    stype = ServiceType.objects.filter(active=True).first()
    ticket = ticket_open(order=approved.order, service_type=stype, description="d", by=support, now=now)
    ticket_reply(ticket=ticket, message="done", by=merchant, now=now)
    ticket_reject(ticket=ticket, reason="no tracking proof", by=support, now=now)
    ticket_reply(ticket=ticket, message="proof", by=merchant, now=now)
    ticket_approve(ticket=ticket, by=support, now=now)
    events = TicketEvent.objects.filter(ticket=ticket, actor=support)
    assert events.filter(note="no tracking proof", to_status="pending").exists()
    assert events.filter(to_status="closed", created_at=now).exists()
    # top-up, sanction (P5, P8)
    top_up = deposit_top_up(shop=shop_a, amount=Decimal("50.00"), by=reviewer, reason="wire 7", now=now)
    assert (top_up.by, top_up.reason, top_up.created_at, top_up.kind) == (reviewer, "wire 7", now, "top_up")
    sanction = shop_suspend(shop=shop_a, by=reviewer, reason="3 judgements", now=now)
    assert (sanction.by, sanction.reason, sanction.action, sanction.created_at) == (
        reviewer,
        "3 judgements",
        "suspend",
        now,
    )
    # reversal of a charged deduction (P8)
    violation = _charged_violation(shop_a)
    reversal = deposit_reverse(violation=violation, by=reviewer, reason="appeal granted", now=now)
    assert (reversal.by, reversal.reason, reversal.kind, reversal.violation) == (
        reviewer,
        "appeal granted",
        "reversal",
        violation,
    )
    # refund settled on the alternative route (F1)
    settings.REFUND_SANDBOX_FAIL = True
    failed = cancellation_request(order=order_placed(shop=shop_a, now=now), reason="out_of_stock", by=merchant, now=now)
    cancellation_approve(cancellation=failed, by=reviewer, now=now)
    from orders.tasks import process_refund

    refund = Refund.objects.get(order=failed.order)
    process_refund.apply(args=[refund.pk])
    refund.refresh_from_db()
    assert refund.route == "alternative"
    refund_settle_alternative(refund=refund, by=reviewer, note="bank transfer 123", now=now)
    refund.refresh_from_db()
    assert (refund.settled_by, refund.settled_at, refund.settlement_note) == (reviewer, now, "bank transfer 123")
    assert OrderEvent.objects.filter(
        order=failed.order, kind="refund_settled", actor=reviewer, note="bank transfer 123"
    ).exists()


def _charged_violation(shop) -> Violation:
    """A judgement charged through the real jobs (judged yesterday, deducted today)."""
    from datetime import timedelta

    import time_machine

    from orders.policy import PLATFORM_TZ
    from penalties.tasks import judge_overdue_shipments, run_deductions

    now = timezone.now()
    order_placed(shop=shop, now=now - timedelta(hours=96))
    with time_machine.travel((now - timedelta(days=1)).astimezone(PLATFORM_TZ).replace(hour=12), tick=False):
        judge_overdue_shipments.apply()
    run_deductions.apply()
    return Violation.objects.get(shop=shop, charge_status="charged")
