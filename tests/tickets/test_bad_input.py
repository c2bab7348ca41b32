"""Bad input answers 400/404/409 in the error shape, never 500, and changes nothing."""

import pytest

from orders.models import Notification
from tickets.models import Ticket, TicketEvent, TicketReply

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(Ticket.objects.order_by("pk").values_list("pk", "status", "outcome", "handle_deadline")),
        TicketReply.objects.count(),
        TicketEvent.objects.count(),
        Notification.objects.count(),
    )


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ({"service_type": "logistics_query", "description": "x"}, 404, "order_not_found"),
        ({"service_type": "no_such_type", "description": "x"}, 400, "unknown_service_type"),
        ({"service_type": "logistics_query", "description": "   "}, 400, "invalid"),
        ({"service_type": "logistics_query"}, 400, "invalid"),
    ],
)
def test_bad_open_input(api, support, order_a, payload, status, code):
    """Unknown order → 404, unknown type / blank description → 400; no ticket, no notice."""
    payload = {"order_no": "9" * 19 if status == 404 else order_a.order_no, **payload}
    r = api(support).post("/api/v1/tickets/", payload, format="json")
    assert r.status_code == status and r.json()["code"] == code and r.json()["detail"]
    assert not Ticket.objects.exists() and not Notification.objects.exists()


def test_empty_message_is_400(api, merchant, order_a, open_ticket):
    """An empty or blank message is refused; the ticket stays pending."""
    no = open_ticket(order_a)["ticket_no"]
    before = _snapshot()
    for message in ["", "   "]:
        r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": message}, format="json")
        assert r.status_code == 400 and r.json()["code"] == "invalid" and "message" in r.json()["errors"]
    r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"agreed": "maybe"}, format="json")
    assert r.status_code == 400
    assert _snapshot() == before


def test_reply_to_closed_ticket_is_409(api, support, merchant, order_a, open_ticket):
    """After support approved, another reply is refused with 409 ``ticket_closed``; approve again too."""
    no = open_ticket(order_a)["ticket_no"]
    api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "处理了"}, format="json")
    assert api(support).post(f"/api/v1/tickets/{no}/approve/", {}, format="json").status_code == 200
    before = _snapshot()
    r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", {"message": "再说一句"}, format="json")
    assert r.status_code == 409 and r.json() == {"code": "ticket_closed", "detail": r.json()["detail"]}
    r = api(support).post(f"/api/v1/tickets/{no}/approve/", {}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "ticket_closed"
    assert _snapshot() == before


def test_malformed_body_is_400(api, support, merchant, order_a, open_ticket):
    """A body that is not JSON is a 400, not a 500."""
    no = open_ticket(order_a)["ticket_no"]
    r = api(merchant).post(f"/api/v1/tickets/{no}/reply/", "{not json", content_type="application/json")
    assert r.status_code == 400 and "code" in r.json()
    r = api(support).post("/api/v1/tickets/", "[1, 2]", content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
