"""Isolation and roles: merchant2 cannot see, reply to or learn of merchant's
tickets; merchants cannot approve/reject or open; support cannot reply."""

import pytest

from orders.models import Notification
from tickets.models import Ticket, TicketEvent, TicketReply

pytestmark = pytest.mark.django_db


def test_other_shops_ticket_is_indistinguishable_from_a_missing_one(api, merchant2, order_a, open_ticket):
    """merchant2 (shop C) gets the same 404 body for merchant's ticket as for
    a number that does not exist, in the list, the detail and the reply."""
    no = open_ticket(order_a)["ticket_no"]
    client = api(merchant2)
    assert client.get("/api/v1/tickets/").json()["results"] == []
    assert client.get(f"/api/v1/tickets/?ticket_no={no}").json()["results"] == []
    theirs, missing = client.get(f"/api/v1/tickets/{no}/"), client.get("/api/v1/tickets/T2099010100000000/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    reply = client.post(f"/api/v1/tickets/{no}/reply/", {"message": "不是我的"}, format="json")
    reply_missing = client.post("/api/v1/tickets/T2099010100000000/reply/", {"message": "x"}, format="json")
    assert reply.status_code == reply_missing.status_code == 404 and reply.json() == reply_missing.json()
    assert Ticket.objects.get(ticket_no=no).status == "pending" and not TicketReply.objects.exists()


def test_merchant_cannot_approve_reject_or_open(api, merchant, order_a, open_ticket):
    """Approve, reject and open are support's: a merchant gets 403 even on its own shop's ticket."""
    no = open_ticket(order_a)["ticket_no"]
    api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "处理了"}, format="json")
    for path, data in [(f"{no}/approve/", {}), (f"{no}/reject/", {"reason": "x"})]:
        r = api(merchant).post(f"/api/v1/tickets/{path}", data, format="json")
        assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    r = api(merchant).post(
        "/api/v1/tickets/", {"order_no": order_a.order_no, "service_type": "other", "description": "x"}, format="json"
    )
    assert r.status_code == 403
    assert Ticket.objects.get(ticket_no=no).status == "in_review" and Ticket.objects.count() == 1


def test_support_cannot_reply_as_merchant(api, support, order_a, open_ticket):
    """Support staff get 403 on reply; nothing is written."""
    no = open_ticket(order_a)["ticket_no"]
    events = TicketEvent.objects.count()
    notes = Notification.objects.count()
    r = api(support).post(f"/api/v1/tickets/{no}/reply/", {"message": "代回复"}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert not TicketReply.objects.exists() and TicketEvent.objects.count() == events
    assert Notification.objects.count() == notes


def test_anonymous_is_401(api, order_a, open_ticket):
    no = open_ticket(order_a)["ticket_no"]
    assert api().get("/api/v1/tickets/").status_code == 401
    assert api().post(f"/api/v1/tickets/{no}/reply/", {"message": "x"}, format="json").status_code == 401


def test_other_shops_evidence_image_is_404(api, merchant, merchant2, order_a, open_ticket):
    """An evidence image is served only to those who may read its ticket."""
    from .conftest import png_upload

    no = open_ticket(order_a)["ticket_no"]
    body = (
        api(merchant)
        .post(f"/api/v1/tickets/{no}/reply/", {"message": "证据", "images": [png_upload()]}, format="multipart")
        .json()
    )
    url = body["replies"][0]["images"][0]["url"]
    assert api(merchant).get(url).status_code == 200
    assert api(merchant2).get(url).status_code == 404
