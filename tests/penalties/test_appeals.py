"""Merchant appeals (V1–V3) through the API the merchant and the reviewer call."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from orders.models import Notification, OrderEvent, Product
from penalties.models import Appeal, DepositEntry, ProductBan, Violation
from penalties.services import deductions_run, deposit_top_up, ratings_compute, violations_judge
from tests.factories import ProductFactory, order_placed
from tests.tickets.conftest import png_upload

from .conftest import at, sh

T = sh(2026, 3, 2, 10, 0)
J1 = T + timedelta(hours=48, minutes=1)  # first judgement
NIGHT = sh(2026, 3, 5, 0, 30)  # the batch that charges J1's judgement (day after)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def judged(shop, *, times: int = 1, product=None):
    """An order of ``shop`` judged overdue ``times`` times (24 h apart)."""
    order = order_placed(shop=shop, now=T, paid_at=T, product=product)
    for k in range(times):
        violations_judge(now=J1 + timedelta(hours=24 * k))
    return order


def appeal(client, violation, *, reason="courier_delay", detail="Courier came at 20:00", **extra):
    return client.post(f"/api/v1/violations/{violation.pk}/appeal/", {"reason": reason, "detail": detail, **extra})


@pytest.fixture
def charged(shop_a, reviewer):
    """Shop A with a 100.00 deposit and one order judged once and charged 10.00."""
    deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="initial", now=T)
    order = judged(shop_a)
    deductions_run(now=NIGHT)
    violation = Violation.objects.get(order=order)
    assert violation.charge_status == "charged"
    return violation


# --- V1 filing ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "offset,expected", [(timedelta(seconds=-1), 201), (timedelta(0), 201), (timedelta(seconds=1), 409)]
)
def test_v1_appeal_window_exact_instant(api, merchant, shop_a, offset, expected):
    """V1: an appeal is accepted up to and including the instant 7 days after
    the judgement (the window is held at the moment of the request, not when a
    job runs); one second later it is refused with ``appeal_window_closed``."""
    # given a violation judged at J1
    order = judged(shop_a)
    violation = Violation.objects.get(order=order)
    # when the merchant appeals at J1 + 7 days + offset
    with at(violation.judged_at + timedelta(days=7) + offset):
        response = appeal(api(merchant), violation)
    # then
    assert response.status_code == expected, response.json()
    if expected == 409:
        assert response.json()["code"] == "appeal_window_closed"
        assert not Appeal.objects.exists()
    else:
        body = response.json()
        assert body["status"] == "pending_review" and body["violation"] == violation.pk
        assert body["order_no"] == order.order_no and body["reason"] == "courier_delay"


@pytest.mark.django_db
def test_v1_appeal_window_is_a_setting(api, merchant, shop_a, settings):
    """V1: the 7 days are the platform setting ``APPEAL_WINDOW_DAYS``."""
    settings.PLATFORM = {**settings.PLATFORM, "APPEAL_WINDOW_DAYS": 2}
    violation = Violation.objects.get(order=judged(shop_a))
    with at(violation.judged_at + timedelta(days=2, seconds=1)):
        assert appeal(api(merchant), violation).json()["code"] == "appeal_window_closed"


@pytest.mark.django_db
def test_v1_appeal_once_per_violation(api, merchant, shop_a):
    """V1: a second appeal of the same violation is refused (409
    ``appeal_exists``), and the database refuses a second row too."""
    violation = Violation.objects.get(order=judged(shop_a))
    client = api(merchant)
    with at(J1 + timedelta(hours=1)):
        assert appeal(client, violation).status_code == 201
        second = appeal(client, violation, reason="platform_error")
    assert second.status_code == 409 and second.json()["code"] == "appeal_exists"
    first = Appeal.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(
            violation=violation, shop=first.shop, order=first.order, reason="other", detail="x",
            filed_by=merchant, review_due_at=first.review_due_at,
        )  # fmt: skip


@pytest.mark.django_db
def test_v1_appeal_reason_and_detail_validated(api, merchant, shop_a):
    """V1: the reason is one of the five; ``other`` needs a detail; bad input is a 400 with field errors."""
    violation = Violation.objects.get(order=judged(shop_a))
    client = api(merchant)
    with at(J1 + timedelta(hours=1)):
        bad = appeal(client, violation, reason="bored")
        assert bad.status_code == 400 and "reason" in bad.json()["errors"]
        other = appeal(client, violation, reason="other", detail="  ")
        assert other.status_code == 400 and other.json()["code"] == "detail_required"
        assert appeal(client, violation, reason="other", detail="warehouse flooded").status_code == 201


@pytest.mark.django_db
def test_v1_appeal_evidence_images_validated_like_tickets(api, merchant, merchant2, shop_a):
    """V1: evidence images go up as multipart ``evidence`` files, are checked
    like ticket evidence (a renamed text file is refused) and are served to
    the appeal's readers only."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    violation = Violation.objects.get(order=judged(shop_a))
    client = api(merchant)
    with at(J1 + timedelta(hours=1)):
        fake = SimpleUploadedFile("proof.png", b"not an image", content_type="image/png")
        refused = client.post(
            f"/api/v1/violations/{violation.pk}/appeal/", {"reason": "courier_delay", "evidence": [fake]},
            format="multipart",
        )  # fmt: skip
        assert refused.status_code == 400 and "evidence" in refused.json()["errors"]
        response = client.post(
            f"/api/v1/violations/{violation.pk}/appeal/",
            {"reason": "courier_delay", "detail": "pickup receipt", "evidence": [png_upload(), png_upload("b.png")]},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    urls = response.json()["evidence"]
    assert len(urls) == 2
    image = client.get(urls[0])
    assert image.status_code == 200 and b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert api(merchant2).get(urls[0]).status_code == 404


@pytest.mark.django_db
def test_v1_isolation_other_merchant_gets_404_as_for_missing(api, merchant, merchant2, shop_a):
    """V1/V2 isolation: another shop's merchant cannot appeal, list or read an
    appeal: 404 with exactly the body of a missing one."""
    violation = Violation.objects.get(order=judged(shop_a))
    with at(J1 + timedelta(hours=1)):
        appeal_id = appeal(api(merchant), violation).json()["id"]
        other = api(merchant2)
        theirs = appeal(other, violation)
        missing_violation = other.post("/api/v1/violations/99999999/appeal/", {"reason": "courier_delay"})
    assert theirs.status_code == missing_violation.status_code == 404
    assert theirs.json() == missing_violation.json()
    read = other.get(f"/api/v1/appeals/{appeal_id}/")
    missing = other.get("/api/v1/appeals/99999999/")
    assert read.status_code == missing.status_code == 404 and read.json() == missing.json()
    assert other.get("/api/v1/appeals/").json()["results"] == []
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_v1_violation_shows_its_appeal(api, merchant, shop_a, reviewer):
    """V1/V3: a violation in the API carries ``appeal`` ({id, status} or null)
    and ``appeal_granted``."""
    violation = Violation.objects.get(order=judged(shop_a))
    client = api(merchant)
    row = client.get("/api/v1/violations/").json()["results"][0]
    assert row["appeal"] is None and row["appeal_granted"] is False
    with at(J1 + timedelta(hours=1)):
        appeal_id = appeal(client, violation).json()["id"]
    assert client.get("/api/v1/violations/").json()["results"][0]["appeal"] == {
        "id": appeal_id,
        "status": "pending_review",
    }
    with at(J1 + timedelta(hours=2)):
        api(reviewer).post(f"/api/v1/appeals/{appeal_id}/approve/", {"note": "courier confirmed"})
    row = client.get("/api/v1/violations/").json()["results"][0]
    assert row["appeal"]["status"] == "approved" and row["appeal_granted"] is True


# --- V2 review ---------------------------------------------------------------------


@pytest.mark.django_db
def test_v2_queue_oldest_first_with_review_due_at(api, merchant, merchant2, shop_a, shop_c, reviewer):
    """V2: reviewers see every shop's appeals, oldest first, each with its
    48 h review target; filters ``status``, ``shop``, ``order_no``."""
    oc = order_placed(shop=shop_c, now=T, paid_at=T)
    va = Violation.objects.get(order=judged(shop_a))  # the run judges shop C's order too
    vc = Violation.objects.get(order=oc)
    with at(J1 + timedelta(hours=3)):
        late = appeal(api(merchant), va).json()
    with at(J1 + timedelta(hours=2)):
        early = appeal(api(merchant2), vc).json()
    queue = api(reviewer).get("/api/v1/appeals/?status=pending_review").json()["results"]
    assert [r["id"] for r in queue] == [early["id"], late["id"]]
    assert queue[0]["review_due_at"] == (J1 + timedelta(hours=50)).isoformat()
    assert [r["id"] for r in api(reviewer).get(f"/api/v1/appeals/?shop={shop_c.pk}").json()["results"]] == [early["id"]]
    assert [r["id"] for r in api(merchant).get("/api/v1/appeals/").json()["results"]] == [late["id"]]
    assert api(reviewer).get("/api/v1/appeals/?status=nope").status_code == 400


@pytest.mark.django_db
def test_v2_reject_needs_reason_and_notifies(api, merchant, shop_a, reviewer, charged):
    """V2: a reviewer rejects with a reason (required: 400 without); the
    deduction stays, the merchant is notified; deciding again is a 409."""
    with at(J1 + timedelta(days=3)):
        appeal_id = appeal(api(merchant), charged).json()["id"]
        client = api(reviewer)
        assert client.post(f"/api/v1/appeals/{appeal_id}/reject/", {"reason": ""}).status_code == 400
        response = client.post(f"/api/v1/appeals/{appeal_id}/reject/", {"reason": "tracking shows no pickup attempt"})
        assert response.status_code == 200
        assert response.json()["status"] == "rejected" and response.json()["decided_at"]
        assert response.json()["decision_note"] == "tracking shows no pickup attempt"
        again = client.post(f"/api/v1/appeals/{appeal_id}/approve/", {})
    assert again.status_code == 409 and again.json()["code"] == "appeal_not_pending"
    charged.refresh_from_db()
    assert charged.charge_status == "charged" and not charged.appeal_granted
    assert Notification.objects.filter(shop=charged.shop, kind="appeal_rejected").count() == 1
    assert not DepositEntry.objects.filter(kind="reversal").exists()


@pytest.mark.django_db
def test_v2_only_reviewers_decide(api, merchant, support, shop_a):
    """V2: merchants and support staff may not approve or reject (403)."""
    violation = Violation.objects.get(order=judged(shop_a))
    with at(J1 + timedelta(hours=1)):
        appeal_id = appeal(api(merchant), violation).json()["id"]
    for user in (merchant, support):
        assert api(user).post(f"/api/v1/appeals/{appeal_id}/approve/", {}).status_code == 403
        assert api(user).post(f"/api/v1/appeals/{appeal_id}/reject/", {"reason": "x"}).status_code == 403
    assert Appeal.objects.get().status == "pending_review"


# --- V3 effects ---------------------------------------------------------------------


@pytest.mark.django_db
def test_v3_double_approve_reverses_charged_deduction_once(api, merchant, shop_a, reviewer, charged):
    """V3: approving gives a charged deduction back by one reversal entry,
    marks the violation, records the timeline and notifies the merchant; a
    second approve is a 409 and changes nothing."""
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("90.00")
    with at(J1 + timedelta(days=3)):
        appeal_id = appeal(api(merchant), charged).json()["id"]
        client = api(reviewer)
        first = client.post(f"/api/v1/appeals/{appeal_id}/approve/", {"note": "courier confirmed the delay"})
        second = client.post(f"/api/v1/appeals/{appeal_id}/approve/", {"note": "again"})
    assert first.status_code == 200 and first.json()["status"] == "approved"
    assert second.status_code == 409 and second.json()["code"] == "appeal_not_pending"
    charged.refresh_from_db()
    shop_a.refresh_from_db()
    assert charged.appeal_granted and charged.charge_status == "reversed"
    assert shop_a.deposit_balance == Decimal("100.00")
    reversal = DepositEntry.objects.get(kind="reversal")
    assert reversal.amount == Decimal("10.00") and reversal.violation_id == charged.pk
    assert Notification.objects.filter(shop=shop_a, kind="appeal_approved").count() == 1
    assert OrderEvent.objects.filter(order=charged.order, kind="appeal_approved").count() == 1
    assert Appeal.objects.get().decision_note == "courier confirmed the delay"


@pytest.mark.django_db
def test_v3_pending_deduction_never_charged(api, merchant, shop_a, reviewer):
    """V3: an appeal granted before the night's batch: the judgement is
    settled ``waived`` (appeal_granted) and the batch charges nothing for it."""
    violation = Violation.objects.get(order=judged(shop_a))
    with at(J1 + timedelta(hours=2)):
        appeal_id = appeal(api(merchant), violation).json()["id"]
        assert api(reviewer).post(f"/api/v1/appeals/{appeal_id}/approve/", {}).status_code == 200
    counts = deductions_run(now=NIGHT)
    violation.refresh_from_db()
    assert counts["charged"] == 0
    assert violation.charge_status == "waived" and violation.waive_reason == "appeal_granted"
    assert not DepositEntry.objects.filter(violation=violation).exists()


@pytest.mark.django_db
def test_v3_rating_before_and_after(api, merchant, shop_a, reviewer):
    """V3/R1: a granted appeal's judgement no longer counts in the
    overdue-shipment rate: the same day's rating recomputed after approval is
    better."""
    violation = Violation.objects.get(order=judged(shop_a))
    order_placed(shop=shop_a, now=T, paid_at=T + timedelta(hours=47))  # a second paid order, not judged
    day = sh(2026, 3, 5, 0, 0).date()
    ratings_compute(day=day)
    shop_a.refresh_from_db()
    before = shop_a.rating_score
    assert shop_a.ratings.get(day=day).components["overdue_shipment"]["numerator"] == 1
    with at(J1 + timedelta(hours=2)):
        appeal_id = appeal(api(merchant), violation).json()["id"]
        api(reviewer).post(f"/api/v1/appeals/{appeal_id}/approve/", {})
    ratings_compute(day=day)
    shop_a.refresh_from_db()
    assert shop_a.ratings.get(day=day).components["overdue_shipment"]["numerator"] == 0
    assert shop_a.rating_score > before


@pytest.mark.django_db
def test_v3_ban_lifted(api, merchant, shop_a, reviewer):
    """V3/P4: the ban the order's third judgement caused is lifted when one of
    its judgements is granted and no other order keeps it banned."""
    product = ProductFactory(shop=shop_a)
    order = judged(shop_a, times=3, product=product)
    product.refresh_from_db()
    assert product.status == Product.Status.BANNED
    third = Violation.objects.get(order=order, judgement_no=3)
    with at(J1 + timedelta(days=3)):
        appeal_id = appeal(api(merchant), third).json()["id"]
        assert api(reviewer).post(f"/api/v1/appeals/{appeal_id}/approve/", {}).status_code == 200
    product.refresh_from_db()
    assert product.status == Product.Status.ON_SALE and not ProductBan.objects.exists()
    event = OrderEvent.objects.get(order=order, kind="appeal_approved")
    assert event.data["bans_lifted"] == [product.pk]


@pytest.mark.django_db
def test_v3_ban_not_lifted_while_another_order_keeps_it(api, merchant, shop_a, reviewer):
    """V3/P4: when another order of the same product was also judged three
    times (and not granted), the ban stays, now naming that order as its cause."""
    product = ProductFactory(shop=shop_a)
    first = order_placed(shop=shop_a, now=T, paid_at=T, product=product)
    second = order_placed(shop=shop_a, now=T, paid_at=T, product=product)
    for k in range(3):
        violations_judge(now=J1 + timedelta(hours=24 * k))
    ban = ProductBan.objects.get(product=product)
    cause, other = (first, second) if ban.order_id == first.pk else (second, first)
    granted = Violation.objects.get(order=cause, judgement_no=3)
    with at(J1 + timedelta(days=3)):
        appeal_id = appeal(api(merchant), granted).json()["id"]
        assert api(reviewer).post(f"/api/v1/appeals/{appeal_id}/approve/", {}).status_code == 200
    product.refresh_from_db()
    ban.refresh_from_db()
    assert product.status == Product.Status.BANNED
    assert ban.order_id == other.pk and ban.violation.order_id == other.pk


def _approve_at_once(appeal_id: int, reviewers) -> list[int]:
    barrier = threading.Barrier(len(reviewers))
    statuses, errors = [], []

    def worker(user):
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait()
            statuses.append(client.post(f"/api/v1/appeals/{appeal_id}/approve/", {"note": user.username}).status_code)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(u,)) for u in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return sorted(statuses)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_v3_two_reviewers_approve_at_once_postgres(merchant, shop_a, reviewer):
    """V3 on PostgreSQL: two reviewers approve the same appeal at the same
    moment: one 200, one 409; one reversal entry, one notification, the
    balance given back once."""
    from tests.factories import UserFactory

    second_reviewer = UserFactory(username="reviewer2", is_staff=True, groups=["platform_reviewer"])
    deposit_top_up(shop=shop_a, amount=Decimal("100.00"), by=reviewer, reason="initial", now=T)
    order = judged(shop_a)
    deductions_run(now=NIGHT)
    violation = Violation.objects.get(order=order)
    client = APIClient()
    client.force_authenticate(merchant)
    with at(J1 + timedelta(days=3)):  # time-machine's clock is the process's: the threads see it too
        appeal_id = appeal(client, violation).json()["id"]
        assert _approve_at_once(appeal_id, [reviewer, second_reviewer]) == [200, 409]
    shop_a.refresh_from_db()
    assert shop_a.deposit_balance == Decimal("100.00")
    assert DepositEntry.objects.filter(kind="reversal").count() == 1
    assert Notification.objects.filter(kind="appeal_approved").count() == 1


# --- V2 in the admin ------------------------------------------------------------------


@pytest.mark.django_db
def test_v2_admin_queue_page_and_approve_with_note(client, api, merchant, shop_a, reviewer, charged):
    """V2 in the admin: the workbench shows the waiting appeals and those past
    the 48 h target; the appeal's page shows the order, its timeline, the
    evidence and the deduction; approving from there (with a note) has the
    effects of V3, and a second approve reports the error instead of acting."""
    from django.urls import reverse

    with at(J1 + timedelta(days=3)):
        appeal_id = appeal(api(merchant), charged).json()["id"]
    client.force_login(reviewer)
    with at(J1 + timedelta(days=3, hours=49)):
        home = client.get("/admin/").content.decode()
        assert "appeals waiting for review" in home and "appeals past the 48 h review target" in home
        overdue = client.get(reverse("admin:penalties_appeal_changelist") + "?review=overdue").content.decode()
        assert charged.order.order_no in overdue
    page = client.get(reverse("admin:penalties_appeal_change", args=[appeal_id])).content.decode()
    assert charged.order.order_no in page and "Judged overdue for shipment" in page and "Appeal filed" in page
    approve = reverse("admin:penalties_appeal_approve_appeal_button", args=[appeal_id])
    assert "Charged" in page and approve in page
    confirm = client.get(approve).content.decode()
    assert "¥10.00" in confirm  # issue 15: the deduction it gives back, before anything moves
    assert DepositEntry.objects.filter(kind="reversal").count() == 0
    with at(J1 + timedelta(days=3, hours=1)):
        response = client.post(approve, {"confirm": "yes", "reason": "courier confirmed"})
        again = client.post(approve, {"confirm": "yes", "reason": "twice"}, follow=True)
    assert response.status_code == 302
    assert "already decided" in again.content.decode()
    decided = client.get(reverse("admin:penalties_appeal_change", args=[appeal_id])).content.decode()
    assert approve not in decided  # issue 15: a decided appeal shows no buttons
    charged.refresh_from_db()
    assert charged.charge_status == "reversed" and DepositEntry.objects.filter(kind="reversal").count() == 1


@pytest.mark.django_db
def test_v2_admin_reject_needs_reason_and_support_cannot_decide(client, api, merchant, shop_a, reviewer, support):
    """V2 in the admin: rejecting needs a reason; support staff cannot decide."""
    from django.urls import reverse

    violation = Violation.objects.get(order=judged(shop_a))
    with at(J1 + timedelta(hours=1)):
        appeal_id = appeal(api(merchant), violation).json()["id"]
    reject = reverse("admin:penalties_appeal_reject_appeal_button", args=[appeal_id])
    client.force_login(support)
    assert client.post(reject, {"confirm": "yes", "reason": "no"}).status_code == 403
    client.force_login(reviewer)
    assert client.post(reject, {"confirm": "yes", "reason": ""}).status_code == 200  # the form again, with its error
    assert Appeal.objects.get().status == "pending_review"
    assert client.post(reject, {"confirm": "yes", "reason": "no proof of a pickup attempt"}).status_code == 302
    assert Appeal.objects.get().status == "rejected"
