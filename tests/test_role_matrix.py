"""Role matrix, generated from the URL configuration (issue 8 point 1).

Every route under ``/api/`` (the v1 API, the schema and the docs) is found by
walking ``get_resolver()``; each of its verbs is called as each role against
real objects (merchant's shop A, merchant2's shop C), and the answer must be
the one written in ``MATRIX`` below: ONE table for the whole API. A route or
verb without a row fails ``test_every_api_route_has_a_row``, so no endpoint
can be added unguarded. Each call runs in a savepoint that is rolled back, so
the cells do not disturb each other.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from orders.services import after_sale_open, cancellation_request, notification_create, order_ship
from tests.factories import ProductFactory, order_placed
from tests.tickets.conftest import png_upload

ROLES = ("anonymous", "merchant", "merchant2", "support", "reviewer", "storefront")
VERBS = ("get", "post", "put", "patch", "delete")

# (route, verb) → statuses for ROLES in the order above, and the request body.
# 401 without credentials; 403 a role that may never call it; 404 a merchant
# asking for another shop's row (exactly like a missing one); 2xx allowed.
# Merchant endpoints (IsMerchant) accept any signed-in user and scope rows to
# the user's shops: staff and the storefront get empty lists and 404s there.
MATRIX: dict[tuple[str, str], tuple[tuple[int, ...], dict | None]] = {
    # route                                                   anon merch m2   supp rev  store
    ("/api/schema/", "get"): ((200, 200, 200, 200, 200, 200), None),
    ("/api/docs/", "get"): ((200, 200, 200, 200, 200, 200), None),
    ("/api/redoc/", "get"): ((200, 200, 200, 200, 200, 200), None),
    ("/api/v1/auth/token/", "post"): ((200, 200, 200, 200, 200, 200), "login"),
    ("/api/v1/auth/tokens/", "get"): ((401, 200, 200, 200, 200, 200), None),
    # another user's (or no) token prefix: 404 for everyone signed in
    ("/api/v1/auth/tokens/{token_key}/", "delete"): ((401, 404, 404, 404, 404, 404), None),
    ("/api/v1/shops/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/products/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/orders/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/orders/{order_no}/", "get"): ((401, 200, 404, 404, 404, 404), None),
    ("/api/v1/orders/{order_no}/ship/", "post"): (
        (401, 200, 404, 404, 404, 404),
        {"carrier": "SF", "tracking_no": "SF123456"},
    ),
    ("/api/v1/orders/{shipped_order_no}/correct-tracking/", "post"): (
        (401, 200, 404, 404, 404, 404),
        {"carrier": "YTO", "tracking_no": "YT999", "note": "typo"},
    ),
    ("/api/v1/orders/{order_no}/cancel/", "post"): (
        (401, 201, 404, 404, 404, 404),
        {"reason": "out_of_stock", "detail": ""},
    ),
    ("/api/v1/after-sales/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/after-sales/{after_sale}/approve/", "post"): ((401, 200, 404, 404, 404, 404), {"note": "ok"}),
    ("/api/v1/after-sales/{after_sale}/reject/", "post"): ((401, 200, 404, 404, 404, 404), {"reason": "used"}),
    ("/api/v1/notifications/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/notifications/{notification}/read/", "post"): ((401, 200, 404, 404, 404, 404), {}),
    ("/api/v1/cancellations/", "get"): ((401, 403, 403, 403, 200, 403), None),
    ("/api/v1/cancellations/{cancellation}/approve/", "post"): ((401, 403, 403, 403, 200, 403), {}),
    ("/api/v1/cancellations/{cancellation}/reject/", "post"): ((401, 403, 403, 403, 200, 403), {"reason": "no"}),
    ("/api/v1/intake/orders/", "post"): ((401, 403, 403, 403, 403, 201), "intake_order"),
    ("/api/v1/intake/orders/{unpaid_order_no}/pay/", "post"): ((401, 403, 403, 403, 403, 200), {}),
    ("/api/v1/intake/orders/{shipped_order_no}/tracking/", "post"): (
        (401, 403, 403, 403, 403, 200),
        "tracking",
    ),
    ("/api/v1/intake/orders/{shipped_order_no}/delivered/", "post"): (
        (401, 403, 403, 403, 403, 200),
        "delivered",
    ),
    ("/api/v1/intake/after-sales/", "post"): ((401, 403, 403, 403, 403, 201), "intake_after_sale"),
    ("/api/v1/tickets/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/tickets/", "post"): ((401, 403, 403, 201, 403, 403), "open_ticket"),
    ("/api/v1/tickets/{ticket_no}/", "get"): ((401, 200, 404, 200, 404, 404), None),
    ("/api/v1/tickets/{ticket_no}/reply/", "post"): (
        (401, 200, 404, 403, 404, 404),
        {"message": "shipped today", "agreed": False},
    ),
    ("/api/v1/tickets/{review_ticket_no}/approve/", "post"): ((401, 403, 403, 200, 403, 403), {}),
    ("/api/v1/tickets/{review_ticket_no}/reject/", "post"): ((401, 403, 403, 200, 403, 403), {"reason": "no proof"}),
    ("/api/v1/exports/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/exports/", "post"): ((401, 202, 202, 202, 202, 202), {"kind": "orders", "format": "csv", "filters": {}}),
    ("/api/v1/exports/{export}/", "get"): ((401, 200, 404, 404, 404, 404), None),
    # K1: the owner gets 403 verification_required until this login is phone-verified.
    ("/api/v1/exports/{export}/download/", "get"): ((401, 403, 404, 404, 404, 404), None),
    ("/api/v1/me/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/auth/verify/send/", "post"): ((401, 202, 202, 202, 202, 202), {}),
    # No code was sent in this cell: 409 verification_code_expired for everyone signed in.
    ("/api/v1/auth/verify/", "post"): ((401, 409, 409, 409, 409, 409), {"code": "123456"}),
    ("/api/v1/tickets/{review_ticket_no}/evidence/{evidence}/", "get"): ((401, 200, 404, 200, 404, 404), None),
    ("/api/v1/violations/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/deposit/entries/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/ratings/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/violations/{free_violation}/appeal/", "post"): (
        (401, 201, 404, 404, 404, 404),
        {"reason": "courier_delay", "detail": "late pickup"},
    ),
    ("/api/v1/appeals/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/appeals/{appeal}/", "get"): ((401, 200, 404, 404, 200, 404), None),
    ("/api/v1/appeals/{appeal}/evidence/{appeal_evidence}/", "get"): ((401, 200, 404, 404, 200, 404), None),
    ("/api/v1/appeals/{appeal}/approve/", "post"): ((401, 403, 403, 403, 200, 403), {"note": "ok"}),
    ("/api/v1/appeals/{appeal}/reject/", "post"): ((401, 403, 403, 403, 200, 403), {"reason": "no proof"}),
    # W1: a merchant's endpoints; another shop (or no shop) is a 404.
    ("/api/v1/webhooks/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/webhooks/", "post"): ((401, 201, 404, 404, 404, 404), "webhook"),
    ("/api/v1/webhooks/{webhook}/", "get"): ((401, 200, 404, 404, 404, 404), None),
    ("/api/v1/webhooks/{webhook}/", "delete"): ((401, 204, 404, 404, 404, 404), None),
    ("/api/v1/webhooks/{webhook}/rotate-secret/", "post"): ((401, 200, 404, 404, 404, 404), {}),
    ("/api/v1/webhooks/{webhook}/resume/", "post"): ((401, 200, 404, 404, 404, 404), {}),
    ("/api/v1/webhooks/{webhook}/deliveries/", "get"): ((401, 200, 404, 404, 404, 404), None),
    ("/api/v1/webhooks/deliveries/{delivery}/retry/", "post"): ((401, 202, 404, 404, 404, 404), {}),
    # W3: the upload is a multipart file (this table posts JSON without one: 400).
    ("/api/v1/shipment-imports/", "get"): ((401, 200, 200, 200, 200, 200), None),
    ("/api/v1/shipment-imports/", "post"): ((401, 400, 400, 400, 400, 400), {"shop": 1}),
    ("/api/v1/shipment-imports/{shipment_import}/", "get"): ((401, 200, 404, 404, 404, 404), None),
    ("/api/v1/shipment-imports/{shipment_import}/rows/", "get"): ((401, 200, 404, 404, 404, 404), None),
    ("/api/v1/shipment-imports/{shipment_import}/result/", "get"): ((401, 200, 404, 404, 404, 404), None),
}

# How a route's path parameters are filled from the world (the placeholder
# names in MATRIX say which object a cell uses when a route serves several).
PARAM_OBJECTS = {
    "order_no": "order",
    "shipped_order_no": "shipped_order",
    "unpaid_order_no": "unpaid_order",
    "after_sale": "after_sale",
    "notification": "notification",
    "cancellation": "cancellation",
    "ticket_no": "ticket",
    "review_ticket_no": "review_ticket",
    "export": "export",
    "evidence": "evidence",
    "free_violation": "free_violation",
    "appeal": "appeal",
    "appeal_evidence": "appeal_evidence",
    "webhook": "webhook",
    "delivery": "delivery",
    "shipment_import": "shipment_import",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _template(route: str) -> str:
    """``api/v1/orders/<str:order_no>/`` → ``/api/v1/orders/{}/`` (parameter names erased)."""
    import re

    return "/" + re.sub(r"<(?:\w+:)?\w+>", "{}", route)


def _verbs(callback) -> list[str]:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return ["get"]
    return [verb for verb in VERBS if hasattr(cls, verb)]


def api_routes() -> set[tuple[str, str]]:
    """Every (route template, verb) the URL configuration serves under /api/."""
    found = set()
    for route, callback in _walk(get_resolver().url_patterns):
        if route.startswith("api/"):
            for verb in _verbs(callback):
                found.add((_template(route), verb))
    return found


def _erase(route: str) -> str:
    import re

    return re.sub(r"\{\w+\}", "{}", route)


def test_every_api_route_has_a_row():
    """Given the URL configuration, when its /api/ routes and verbs are listed,
    then each has exactly one row in MATRIX and MATRIX has no stale row."""
    served = api_routes()
    table = {(_erase(route), verb) for route, verb in MATRIX}
    assert served - table == set(), "routes without a row in the role matrix (add them to MATRIX)"
    assert table - served == set(), "MATRIX rows for routes that no longer exist"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Autouse, so it runs before the user fixtures (PBKDF2 costs seconds here)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, shop_a, shop_c, merchant, merchant2, support, reviewer, storefront, settings, tmp_path):
    from django.core.cache import cache

    from orders.exports.services import export_kind_get, export_request, export_run, export_selection
    from tickets.models import ServiceType
    from tickets.services import ticket_open, ticket_reply

    cache.clear()  # throttle counters of earlier tests (the token endpoint allows 20/min)
    now = timezone.now()
    product = ProductFactory(shop=shop_a, price=Decimal("50.00"))
    order = order_placed(shop=shop_a, product=product, now=now - timedelta(minutes=10))
    shipped = order_placed(shop=shop_a, product=product, now=now - timedelta(hours=5))
    order_ship(order=shipped, carrier="SF", tracking_no="SF000001", by=merchant, now=now - timedelta(hours=4))
    unpaid = order_placed(shop=shop_a, product=product, paid=False, now=now)
    cancel_me = order_placed(shop=shop_a, product=product, now=now - timedelta(minutes=30))
    cancellation = cancellation_request(order=cancel_me, reason="out_of_stock", by=merchant, now=now)
    sold = order_placed(shop=shop_a, product=product, now=now - timedelta(hours=1))
    after_sale = after_sale_open(
        order=sold, type="refund_only", reason="quality_issue", amount=Decimal("10.00"), now=now
    )
    notification = notification_create(shop=shop_a, kind="test", title="hello")
    service_type = ServiceType.objects.filter(active=True).first()
    ticket = ticket_open(order=order, service_type=service_type, description="where is it", by=support, now=now)
    review_ticket = ticket_open(
        order=shipped, service_type=service_type, description="where is it", by=support, now=now
    )
    settings.MEDIA_ROOT = tmp_path / "media"
    reply = ticket_reply(ticket=review_ticket, message="on its way", images=[png_upload()], by=merchant, now=now)
    kind = export_kind_get("orders")
    export = export_request(
        user=merchant,
        kind=kind,
        fmt="csv",
        filters={},
        selection=export_selection(kind=kind, filters={}, user=merchant),
        now=now - timedelta(minutes=5),
    )
    export_run(export_id=export.pk, now=now - timedelta(minutes=5))
    # X2 counts on the database's clock: the set-up export is five minutes old there too.
    type(export).objects.filter(pk=export.pk).update(created_at=now - timedelta(minutes=5))
    # V1: two judged orders of shop A, one of them appealed with an image.
    from penalties.models import Violation
    from penalties.services import appeal_file, violations_judge

    late = [order_placed(shop=shop_a, product=product, now=now - timedelta(days=3)) for _ in range(2)]
    violations_judge(now=now)
    appealed, free_violation = (Violation.objects.get(order=o) for o in late)
    appeal = appeal_file(violation=appealed, reason="courier_delay", images=[png_upload()], by=merchant, now=now)
    from orders.webhooks.models import WebhookDelivery
    from orders.webhooks.services import webhook_endpoint_create

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver would be on loopback
    webhook, _secret = webhook_endpoint_create(
        shop=shop_a, url="http://127.0.0.1:9399/hook", events=["order.shipped"], by=merchant, now=now
    )
    order_ship(order=sold, carrier="SF", tracking_no="SF000002", by=merchant, now=now)
    from orders.shipment_imports.services import shipment_import_create, shipment_import_run

    csv = f"order_no,carrier,tracking_no\n{shipped.order_no},SF,SF000001\n".encode()
    shipment_import = shipment_import_create(
        shop=shop_a, user=merchant, name="a.csv", content=csv, dry_run=True, now=now
    )
    shipment_import_run(import_id=shipment_import.pk, now=now)
    from orders.verification.services import user_phone_set

    for i, user in enumerate((merchant, merchant2, support, reviewer, storefront)):
        user_phone_set(user=user, phone=f"1390000000{i}", now=now)
        user.set_password("matrix-pass-1")
        user.save(update_fields=["password"])
    return {
        "users": {
            "merchant": merchant,
            "merchant2": merchant2,
            "support": support,
            "reviewer": reviewer,
            "storefront": storefront,
        },
        "order": order,
        "shipped_order": shipped,
        "unpaid_order": unpaid,
        "cancellation": cancellation,
        "after_sale": after_sale,
        "notification": notification,
        "ticket": ticket,
        "review_ticket": review_ticket,
        "export": export,
        "evidence": reply.images.get(),
        "product": product,
        "shop_a": shop_a,
        "service_type": service_type,
        "sold_order": sold,
        "free_violation": free_violation,
        "appeal": appeal,
        "appeal_evidence": appeal.images.get(),
        "webhook": webhook,
        "delivery": WebhookDelivery.objects.get(endpoint=webhook),
        "shipment_import": shipment_import,
    }


def _path(route: str, world: dict) -> str:
    import re

    def fill(match):
        name = match.group(1)
        if name == "token_key":
            return "nosuchkey"
        obj = world[PARAM_OBJECTS[name]]
        if name.endswith("order_no"):
            return obj.order_no
        if name.endswith("ticket_no"):
            return obj.ticket_no
        return str(obj.pk)

    return re.sub(r"\{(\w+)\}", fill, route)


def _body(spec, role: str, world: dict):
    now = timezone.now()
    if spec == "login":
        username = "nobody" if role == "anonymous" else world["users"][role].username
        return {"username": username, "password": "matrix-pass-1"}
    if spec == "intake_order":
        return {
            "shop": world["shop_a"].pk,
            "buyer_name": "Li",
            "buyer_phone": "13900001111",
            "address": "Shanghai",
            "items": [{"product": world["product"].pk, "quantity": 1, "unit_price": "50.00"}],
        }
    if spec == "tracking":
        return {"event_at": now.isoformat(), "description": "arrived at hub"}
    if spec == "delivered":
        return {"delivered_at": now.isoformat()}
    if spec == "intake_after_sale":
        return {
            "order_no": world["order"].order_no,
            "type": "refund_only",
            "reason": "wrong_item",
            "amount": "5.00",
        }
    if spec == "webhook":
        return {"shop": world["shop_a"].pk, "url": "http://127.0.0.1:9399/hook", "events": ["*"]}
    if spec == "open_ticket":
        return {
            "order_no": world["order"].order_no,
            "service_type": world["service_type"].code,
            "description": "buyer asks",
        }
    return spec


def test_role_matrix(world, django_capture_on_commit_callbacks):
    """Given real objects of merchant's shop A, when every route × verb is
    called as every role, then each answer is the status in MATRIX (a
    foreign shop's row is a 404, a role that may not call it a 401/403)."""
    wrong = []
    auth_token_row = None
    for (route, verb), (statuses, spec) in MATRIX.items():
        if route == "/api/v1/auth/token/":
            auth_token_row = statuses
        path = _path(route, world)
        for role, expected in zip(ROLES, statuses, strict=True):
            client = APIClient()
            if role != "anonymous" and spec != "login":
                client.force_authenticate(world["users"][role])
            body = _body(spec, role, world)
            with transaction.atomic():
                if body is None:
                    response = getattr(client, verb)(path)
                else:
                    response = getattr(client, verb)(path, body, format="json")
                transaction.set_rollback(True)
            got = response.status_code
            if role == "anonymous" and spec == "login":
                expected = 400  # no such user: bad credentials, not a 500
            if got != expected:
                wrong.append(f"{verb.upper()} {route} as {role}: expected {expected}, got {got}")
    assert auth_token_row is not None
    assert wrong == [], "\n".join(wrong)


# --- the admin ---------------------------------------------------------------------

# Admin pages × roles. 302 = sent to the login page (not staff), 403 = staff
# without the view permission for that page.
ADMIN_PAGES: dict[str, tuple[int, ...]] = {
    # page                                          anon merch m2   supp rev  store
    "/admin/": (302, 302, 302, 200, 200, 302),
    "/admin/orders/order/": (302, 302, 302, 200, 200, 302),
    "/admin/orders/cancellationrequest/": (302, 302, 302, 403, 200, 302),
    "/admin/orders/alternativerouterefund/": (302, 302, 302, 403, 200, 302),
    "/admin/tickets/ticket/": (302, 302, 302, 200, 200, 302),
    "/admin/penalties/violation/": (302, 302, 302, 403, 200, 302),
    "/admin/penalties/depositentry/": (302, 302, 302, 403, 200, 302),
    "/admin/penalties/depositentry/top-up/": (302, 302, 302, 403, 200, 302),
    "/admin/penalties/shopsanction/": (302, 302, 302, 403, 200, 302),
    "/admin/penalties/sanctioncandidate/": (302, 302, 302, 403, 200, 302),
    "/admin/penalties/appeal/": (302, 302, 302, 403, 200, 302),
    "/admin/orders/webhookendpoint/": (302, 302, 302, 403, 200, 302),
    "/admin/orders/webhookdelivery/": (302, 302, 302, 403, 200, 302),
    "/admin/orders/shipmentimport/": (302, 302, 302, 403, 200, 302),
    "/admin/orders/shipmentimport/upload/": (302, 302, 302, 403, 200, 302),
}


def _admin_client(world, role):
    from django.test import Client

    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def test_admin_pages_by_role(world):
    """Given every role, when it opens the admin pages, then merchants and the
    storefront are sent to the login page, support cannot open cancellation or
    penalty pages, reviewers cannot open the ticket queue."""
    wrong = []
    for page, statuses in ADMIN_PAGES.items():
        for role, expected in zip(ROLES, statuses, strict=True):
            got = _admin_client(world, role).get(page).status_code
            if got != expected:
                wrong.append(f"GET {page} as {role}: expected {expected}, got {got}")
    assert wrong == [], "\n".join(wrong)


def _admin_actions(world):
    """(name, changelist, POST data, "did it happen?") for each staff decision."""
    from orders.models import CancellationRequest, Shop
    from penalties.models import DepositEntry
    from penalties.services import shop_suspend
    from tickets.models import Ticket

    cancellation, ticket, shop = world["cancellation"], world["review_ticket"], world["shop_a"]
    # A suspended shop is listed among the sanction candidates (so it can be lifted).
    shop_c = Shop.objects.exclude(pk=shop.pk).get(name="C 店")
    shop_suspend(shop=shop_c, by=world["users"]["reviewer"], reason="overdue orders", now=timezone.now())
    return [
        (
            "approve cancellation",
            "/admin/orders/cancellationrequest/",
            {"action": "approve", "_selected_action": [cancellation.pk], "confirm": "yes"},
            lambda: CancellationRequest.objects.get(pk=cancellation.pk).status == "approved",
        ),
        (
            "reject cancellation",
            "/admin/orders/cancellationrequest/",
            {"action": "reject", "_selected_action": [cancellation.pk], "confirm": "yes", "reason": "no"},
            lambda: CancellationRequest.objects.get(pk=cancellation.pk).status == "rejected",
        ),
        (
            "approve ticket",
            "/admin/tickets/ticket/",
            {"action": "approve_handling", "_selected_action": [ticket.pk], "confirm": "yes"},
            lambda: Ticket.objects.get(pk=ticket.pk).status == "closed",
        ),
        (
            "reject ticket",
            "/admin/tickets/ticket/",
            {"action": "reject_handling", "_selected_action": [ticket.pk], "confirm": "yes", "reason": "no proof"},
            lambda: Ticket.objects.get(pk=ticket.pk).status == "pending",
        ),
        (
            "lift shop suspension",
            "/admin/penalties/sanctioncandidate/",
            {"action": "lift_shops", "_selected_action": [shop_c.pk], "confirm": "yes", "reason": "shipped"},
            lambda: Shop.objects.get(pk=shop_c.pk).status == "active",
        ),
        (
            "top up deposit (action)",
            "/admin/penalties/sanctioncandidate/",
            {
                "action": "top_up_deposit",
                "_selected_action": [shop_c.pk],
                "apply": "1",
                "amount": "100.00",
                "reason": "wire",
                "confirm": "yes",  # issue 15: past the confirmation page
            },
            lambda: DepositEntry.objects.filter(shop=shop_c, kind="top_up").exists(),
        ),
        (
            "top up deposit (page)",
            "/admin/penalties/depositentry/top-up/",
            {"shop": shop.pk, "amount": "100.00", "reason": "wire", "confirm": "yes"},
            lambda: DepositEntry.objects.filter(shop=shop, kind="top_up").exists(),
        ),
    ]


# Which staff role may take each decision in the admin (nobody else may).
ADMIN_ACTIONS = {
    "approve cancellation": "reviewer",
    "reject cancellation": "reviewer",
    "approve ticket": "support",
    "reject ticket": "support",
    "lift shop suspension": "reviewer",
    "top up deposit (action)": "reviewer",
    "top up deposit (page)": "reviewer",
}


def test_admin_decisions_by_role(world):
    """Given each staff decision of the admin, when every role posts it, then
    only the role in ADMIN_ACTIONS changes anything: support cannot approve
    cancellations, sanction or top up; reviewers cannot approve tickets."""
    actions = _admin_actions(world)
    assert {name for name, *_ in actions} == set(ADMIN_ACTIONS)
    wrong = []
    for name, page, data, happened in actions:
        for role in ROLES:
            with transaction.atomic():
                _admin_client(world, role).post(page, data)
                done = happened()
                transaction.set_rollback(True)
            if done != (role == ADMIN_ACTIONS[name]):
                wrong.append(f"{name} as {role}: {'applied' if done else 'not applied'}")
    assert wrong == [], "\n".join(wrong)
