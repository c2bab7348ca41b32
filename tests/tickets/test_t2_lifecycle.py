"""T2: pending → in_review → (rejected) pending → in_review → closed, and the
agreed reply that closes directly; T5 notices at each change."""

from datetime import timedelta

import pytest
import time_machine

from orders.models import Notification
from tickets.models import Ticket, TicketEvidence, TicketReply

from .conftest import T0, png_upload

pytestmark = pytest.mark.django_db


def _kinds(ticket_no):
    return list(Ticket.objects.get(ticket_no=ticket_no).events.values_list("kind", "from_status", "to_status"))


def test_t2_whole_lifecycle_with_a_rejection(api, support, merchant, order_a, shop_a, open_ticket):
    """Given a pending ticket, when the merchant replies, support rejects with
    a reason, the merchant replies again and support approves, then the ticket
    walks pending → in_review → pending (fresh deadline) → in_review → closed
    (approved), every step leaves an event naming its actor, and the shop is
    notified of each change."""
    with time_machine.travel(T0, tick=False):
        no = open_ticket(order_a)["ticket_no"]

    # merchant replies after 3 h: pending → in_review
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        r = api(merchant).post(
            f"/api/v1/tickets/{no}/reply/", {"message": "已联系快递", "agreed": False}, format="json"
        )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "in_review" and r.json()["remaining_seconds"] is None
    ticket = Ticket.objects.get(ticket_no=no)
    assert ticket.status == "in_review" and ticket.first_reply_at == T0 + timedelta(hours=3)

    # support rejects after 5 h: in_review → pending, deadline = now + 24 h
    rejected_at = T0 + timedelta(hours=5)
    with time_machine.travel(rejected_at, tick=False):
        r = api(support).post(f"/api/v1/tickets/{no}/reject/", {"reason": "请提供单号"}, format="json")
    assert r.status_code == 200, r.content
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert ticket.handle_deadline == rejected_at + timedelta(hours=24)
    assert ticket.last_rejection_reason == "请提供单号" and ticket.last_rejected_at == rejected_at
    assert r.json()["remaining_seconds"] == 24 * 3600

    # merchant replies again, support approves
    with time_machine.travel(T0 + timedelta(hours=6), tick=False):
        r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "单号 SF123"}, format="json")
    assert r.status_code == 200
    with time_machine.travel(T0 + timedelta(hours=7), tick=False):
        r = api(support).post(f"/api/v1/tickets/{no}/approve/", {}, format="json")
    assert r.status_code == 200, r.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.outcome, ticket.closed_at) == ("closed", "approved", T0 + timedelta(hours=7))
    assert ticket.first_reply_at == T0 + timedelta(hours=3)  # the first reply, kept
    assert TicketReply.objects.filter(ticket=ticket).count() == 2

    assert _kinds(no) == [
        ("opened", "", "pending"),
        ("replied", "pending", "in_review"),
        ("rejected", "in_review", "pending"),
        ("replied", "pending", "in_review"),
        ("approved", "in_review", "closed"),
    ]
    roles = list(ticket.events.values_list("actor_role", flat=True))
    assert roles == ["support", "merchant", "support", "merchant", "support"]
    detail = api(merchant).get(f"/api/v1/tickets/{no}/").json()
    assert [e["kind"] for e in detail["events"]] == ["opened", "replied", "rejected", "replied", "approved"]
    assert [rep["message"] for rep in detail["replies"]] == ["已联系快递", "单号 SF123"]
    assert detail["outcome"] == "approved" and detail["last_rejection_reason"] == "请提供单号"
    kinds = list(Notification.objects.filter(shop=shop_a).order_by("id").values_list("kind", flat=True))
    assert kinds == ["ticket_opened", "ticket_status", "ticket_rejected", "ticket_status", "ticket_status"]


def test_t2_agreed_reply_closes_directly_on_a_type_that_allows_it(api, merchant, order_a, shop_a, open_ticket):
    """Given a change_address ticket (agreement allowed), a reply with
    agreed=true closes it as ``agreed`` without support's review."""
    with time_machine.travel(T0, tick=False):
        no = open_ticket(order_a, "change_address")["ticket_no"]
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        r = api(merchant).post(
            f"/api/v1/tickets/{no}/reply/", {"message": "已与买家达成一致", "agreed": True}, format="json"
        )
    assert r.status_code == 200, r.content
    ticket = Ticket.objects.get(ticket_no=no)
    assert (ticket.status, ticket.outcome, ticket.closed_at) == ("closed", "agreed", T0 + timedelta(hours=1))
    assert _kinds(no)[-1] == ("agreed", "pending", "closed")
    assert Notification.objects.filter(shop=shop_a, kind="ticket_status").count() == 1


def test_t2_agreed_reply_refused_on_a_type_that_does_not_allow_it(api, merchant, order_a, open_ticket):
    """urge_shipment does not allow closing by agreement: 400, nothing changes."""
    no = open_ticket(order_a, "urge_shipment")["ticket_no"]
    r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "已协商", "agreed": True}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "agreed_close_not_allowed"
    ticket = Ticket.objects.get(ticket_no=no)
    assert ticket.status == "pending" and not ticket.replies.exists()


def test_t2_approve_refused_while_pending(api, support, order_a, open_ticket):
    """Support cannot approve a ticket the merchant has not handled: 409."""
    no = open_ticket(order_a)["ticket_no"]
    r = api(support).post(f"/api/v1/tickets/{no}/approve/", {}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "ticket_not_in_review"
    r = api(support).post(f"/api/v1/tickets/{no}/reject/", {"reason": "x"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "ticket_not_in_review"
    assert Ticket.objects.get(ticket_no=no).status == "pending"


def test_t2_reply_refused_while_in_review(api, merchant, order_a, open_ticket):
    """A second reply while support reviews the first: 409 ``ticket_in_review``."""
    no = open_ticket(order_a)["ticket_no"]
    assert api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "一"}, format="json").status_code == 200
    r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "二"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "ticket_in_review"
    assert TicketReply.objects.count() == 1


def test_t2_reject_requires_a_reason(api, support, merchant, order_a, open_ticket):
    """A blank reason is refused with 400; the ticket stays in review."""
    no = open_ticket(order_a)["ticket_no"]
    api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "处理好了"}, format="json")
    r = api(support).post(f"/api/v1/tickets/{no}/reject/", {"reason": "   "}, format="json")
    assert r.status_code == 400 and r.json()["code"] in {"invalid", "reason_required"}
    assert Ticket.objects.get(ticket_no=no).status == "in_review"


def test_t2_evidence_required_type_needs_an_image(api, merchant, order_a, open_ticket, settings):
    """product_complaint requires evidence: a reply without images is 400;
    with a real PNG (multipart) it is accepted and the file stored under MEDIA_ROOT."""
    no = open_ticket(order_a, "product_complaint")["ticket_no"]
    r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "已处理"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "evidence_required"
    r = api(merchant).post(
        f"/api/v1/tickets/{no}/reply/", {"message": "已处理", "images": [png_upload()]}, format="multipart"
    )
    assert r.status_code == 200, r.content
    evidence = TicketEvidence.objects.get()
    assert evidence.size > 0 and (settings.MEDIA_ROOT / evidence.image.name).exists()
    image = r.json()["replies"][0]["images"][0]
    assert image["name"].endswith(".png")
    download = api(merchant).get(image["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\x89PNG")


def test_t2_evidence_must_be_a_real_image_within_limits(api, merchant, order_a, open_ticket, settings):
    """A non-image, an oversized image and a fifth image are refused with 400; nothing is stored."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    no = open_ticket(order_a)["ticket_no"]
    url = f"/api/v1/tickets/{no}/reply/"
    fake = SimpleUploadedFile("proof.png", b"%PDF-1.4 not an image", content_type="image/png")
    r = api(merchant).post(url, {"message": "x", "images": [fake]}, format="multipart")
    assert r.status_code == 400 and "images" in r.json()["errors"]
    r = api(merchant).post(url, {"message": "x", "images": [png_upload() for _ in range(5)]}, format="multipart")
    assert r.status_code == 400
    settings.PLATFORM = {**settings.PLATFORM, "TICKET_EVIDENCE_MAX_BYTES": 10}
    r = api(merchant).post(url, {"message": "x", "images": [png_upload()]}, format="multipart")
    assert r.status_code == 400
    assert not TicketReply.objects.exists() and not TicketEvidence.objects.exists()
    assert Ticket.objects.get(ticket_no=no).status == "pending"


def test_t2_reply_with_idempotency_key_is_applied_once(api, merchant, order_a, shop_a, open_ticket):
    """A retried reply with the same Idempotency-Key replays the first answer: one reply, one event, one notice."""
    no = open_ticket(order_a)["ticket_no"]
    client = api(merchant)
    first = client.post(
        f"/api/v1/tickets/{no}/reply/", {"message": "处理了"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        f"/api/v1/tickets/{no}/reply/", {"message": "处理了"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert TicketReply.objects.count() == 1
    assert Ticket.objects.get(ticket_no=no).events.filter(kind="replied").count() == 1
    assert Notification.objects.filter(shop=shop_a, kind="ticket_status").count() == 1


def _truncated_huge_png(width: int = 11000, height: int = 11000) -> bytes:
    """A PNG header claiming width × height pixels (121 MP) with a truncated body, built in memory."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)  # a few rows only: the stream ends early
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_t2_evidence_truncated_121_megapixel_png_is_refused(api, merchant, order_a, open_ticket):
    """A truncated 121-megapixel PNG (it passes Pillow's ``verify``) is refused
    with 400 ``image_too_many_pixels`` before anything is decoded or stored."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    no = open_ticket(order_a)["ticket_no"]
    bomb = SimpleUploadedFile("bomb.png", _truncated_huge_png(), content_type="image/png")
    r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "x", "images": [bomb]}, format="multipart")
    assert r.status_code == 400, r.content
    assert "image_too_many_pixels" in r.content.decode() or "pixels" in r.content.decode()


def test_t2_evidence_truncated_small_png_is_refused_by_decoding(api, merchant, order_a, open_ticket):
    """A truncated PNG under the pixel cap is refused (400) because it is decoded, not only verified."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    no = open_ticket(order_a)["ticket_no"]
    broken = SimpleUploadedFile("cut.png", _truncated_huge_png(400, 400), content_type="image/png")
    r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "x", "images": [broken]}, format="multipart")
    assert r.status_code == 400, r.content
