"""Rule W1: event push — outbox in the change's transaction, signed delivery
(Standard Webhooks) to a real receiver on loopback, retries with backoff,
dead + notify, pause, manual retry, SSRF guard."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings as dj_settings
from django.db import connection, transaction
from standardwebhooks import Webhook

from orders.models import Notification, Order
from orders.services import order_ship
from orders.webhooks import services as wh
from orders.webhooks import targets
from orders.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.factories import order_placed

from .receiver import Receiver, free_port

T = datetime.fromisoformat("2026-03-02T10:00:00+08:00")


@pytest.fixture
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def receiver():
    r = Receiver(free_port())
    yield r
    r.stop()


def post(client, shop, url, events=("*",)):
    return client.post("/api/v1/webhooks/", {"shop": shop.pk, "url": url, "events": list(events)}, format="json")


def register(api, merchant, shop, url, events=("*",)):
    resp = api(merchant).post("/api/v1/webhooks/", {"shop": shop.pk, "url": url, "events": list(events)}, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def ship(order, now=T):
    return order_ship(order=order, carrier="SF", tracking_no=f"SF{order.pk:08d}", by=None, now=now)


@pytest.mark.django_db
def test_w1_register_shows_secret_once_refuses_private_targets_and_other_shops(
    api, merchant, merchant2, shop_a, shop_c, settings
):
    """Loopback and private targets are refused (400 ``url_not_allowed``)
    unless allowed; the ``whsec_`` secret is in the 201 answer and after a
    rotation only; another shop is a 404 like a missing one."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client = api(merchant)
    for url in (
        "http://127.0.0.1:9350/",
        "http://10.1.2.3/x",
        "http://[::1]/",
        "ftp://example.com/",
        "http://169.254.169.254/",
    ):
        resp = client.post("/api/v1/webhooks/", {"shop": shop_a.pk, "url": url, "events": ["*"]}, format="json")
        assert resp.status_code == 400, url
        assert resp.json()["code"] in {"url_not_allowed", "invalid"}, url
    resp = client.post(
        "/api/v1/webhooks/", {"shop": shop_a.pk, "url": "http://127.0.0.1/", "events": ["*"]}, format="json"
    )
    assert resp.json()["code"] == "url_not_allowed"
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    created = register(api, merchant, shop_a, "http://127.0.0.1:9350/", ["order.shipped"])
    assert created["secret"].startswith("whsec_") and created["events"] == ["order.shipped"]
    listed = client.get("/api/v1/webhooks/").json()["results"]
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    rotated = client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    theirs = api(merchant2)
    assert theirs.get(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert theirs.get(f"/api/v1/webhooks/{created['id']}/deliveries/").status_code == 404
    assert theirs.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").status_code == 404
    other_shop = client.post(
        "/api/v1/webhooks/", {"shop": shop_c.pk, "url": "http://127.0.0.1/", "events": ["*"]}, format="json"
    )
    assert other_shop.status_code == 404
    bad = client.post(
        "/api/v1/webhooks/", {"shop": shop_a.pk, "url": "http://127.0.0.1/", "events": ["order.nope"]}, format="json"
    )
    assert bad.status_code == 400


@pytest.mark.django_db
def test_w1_event_commits_with_the_change_or_not_at_all(api, merchant, shop_a, private_ok):
    """An order shipped and its event commit together: rolled back, neither."""
    register(api, merchant, shop_a, "http://127.0.0.1:9350/", ["order.shipped"])
    order = order_placed(shop=shop_a, now=T)
    with pytest.raises(RuntimeError), transaction.atomic():
        ship(order)
        assert WebhookEvent.objects.filter(type="order.shipped").count() == 1
        raise RuntimeError("the request failed after shipping")
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()
    ship(order)
    event = WebhookEvent.objects.get()
    assert event.type == "order.shipped" and event.sequence == 1
    assert WebhookDelivery.objects.get().status == "pending"


@pytest.mark.django_db
def test_w1_receiver_down_then_up_same_webhook_id_signature_verified(
    api, merchant, shop_a, private_ok, receiver, django_capture_on_commit_callbacks
):
    """The receiver is down at the first attempt (connection refused), then
    answers 500 once, then 200: the event is delivered once it is up, every
    attempt carries the same ``webhook-id``, the signature verifies with the
    secret, the body has the per-shop sequence and the phone masked."""
    secret = register(api, merchant, shop_a, receiver.url, ["order.shipped"])["secret"]
    order = order_placed(shop=shop_a, now=T)
    with time_machine.travel(T, tick=False), django_capture_on_commit_callbacks(execute=True):
        ship(order)
    delivery = WebhookDelivery.objects.get(event__type="order.shipped")
    assert delivery.status == "failed" and delivery.attempts == 1 and delivery.last_status_code is None
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()

    receiver.statuses = [500, 200]
    receiver.start()
    with time_machine.travel(T + timedelta(seconds=10), tick=False):
        assert wh.webhooks_sweep(now=T + timedelta(seconds=10))["due"] == 0  # backoff not over
    first_retry = delivery.next_attempt_at = WebhookDelivery.objects.get(pk=delivery.pk).next_attempt_at
    with time_machine.travel(first_retry, tick=False):
        assert wh.webhooks_sweep(now=first_retry) == {"due": 1, "succeeded": 0, "failed": 1, "dead": 0}
    delivery.refresh_from_db()
    assert delivery.last_status_code == 500 and delivery.next_attempt_at - first_retry == timedelta(seconds=60)
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        wh.webhooks_sweep(now=delivery.next_attempt_at)
        verified = [Webhook(secret).verify(body, headers) for headers, body in receiver.requests]
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 3 and delivery.last_status_code == 200
    assert len(delivery.response_excerpt) <= 200
    ids = {headers["webhook-id"] for headers, _body in receiver.requests}
    assert len(receiver.requests) == 2 and ids == {delivery.event.msg_id}
    body = verified[-1]
    assert body["type"] == "order.shipped" and body["shop"] == shop_a.pk and body["sequence"] == 1
    assert body["data"]["order_no"] == order.order_no and body["data"]["buyer_phone"] == "138****5678"
    assert "13812345678" not in delivery.event.body
    # A tampered body does not verify.
    headers, raw = receiver.requests[-1]
    with time_machine.travel(delivery.delivered_at, tick=False), pytest.raises(Exception):  # noqa: B017
        Webhook(secret).verify(raw.replace(b"shipped", b"shipped!"), headers)
    # The log in the API.
    log = api(merchant).get(f"/api/v1/webhooks/{delivery.endpoint_id}/deliveries/", {"status": "succeeded"}).json()
    assert [(d["event_id"], d["attempts"]) for d in log["results"]] == [(delivery.event.msg_id, 3)]


@pytest.mark.django_db
def test_w1_dead_after_24h_notified_paused_after_repeated_dead_manual_retry(
    api, merchant, shop_a, private_ok, receiver, settings, django_capture_on_commit_callbacks
):
    """A receiver answering 500 for 24 h makes the delivery ``dead`` and the
    merchant notified; two dead in a row (WEBHOOK_PAUSE_AFTER_DEAD) pause the
    endpoint; a manual retry (API) delivers once the receiver is back."""
    settings.WEBHOOK_PAUSE_AFTER_DEAD = 2
    receiver.statuses = [500]
    receiver.start()
    endpoint_id = register(api, merchant, shop_a, receiver.url, ["order.shipped"])["id"]
    ship(order_placed(shop=shop_a, now=T))
    ship(order_placed(shop=shop_a, now=T))
    assert list(WebhookEvent.objects.order_by("sequence").values_list("type", "sequence")) == [
        ("order.shipped", 1),
        ("order.shipped", 2),
    ]
    later = T + timedelta(hours=24, minutes=1)
    with time_machine.travel(later, tick=False):
        assert wh.webhooks_sweep(now=later)["dead"] == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"dead"}
    assert Notification.objects.filter(shop=shop_a, kind="webhook_dead").count() == 2
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    assert not endpoint.active and endpoint.paused_at == later
    assert Notification.objects.filter(shop=shop_a, kind="webhook_paused").exists()
    # Paused: a new event is not queued for it; the sweeper leaves it alone.
    ship(order_placed(shop=shop_a, now=T))
    assert WebhookDelivery.objects.count() == 2

    receiver.statuses = [204]
    dead = WebhookDelivery.objects.order_by("pk").first()
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        resp = api(merchant).post(f"/api/v1/webhooks/deliveries/{dead.pk}/retry/")
    assert resp.status_code == 202
    dead.refresh_from_db()
    assert dead.status == "succeeded" and dead.last_status_code == 204
    assert len({h["webhook-id"] for h, _b in receiver.requests if h["webhook-id"] == dead.event.msg_id}) == 1
    resumed = api(merchant).post(f"/api/v1/webhooks/{endpoint_id}/resume/").json()
    assert resumed["active"] is True


@pytest.mark.django_db
def test_w1_dns_rebinding_is_checked_at_delivery(api, merchant, shop_a, receiver, settings, monkeypatch):
    """A host that resolved to a public address when registered and to
    loopback at delivery time is not contacted: the delivery fails with
    ``url_not_allowed`` and the receiver sees nothing."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    receiver.start()
    answers = {"erp.example.com": ["93.184.216.34"]}
    monkeypatch.setattr(targets, "_resolve", lambda host, port: answers[host])
    register(api, merchant, shop_a, f"http://erp.example.com:{receiver.port}/hook", ["order.shipped"])
    ship(order_placed(shop=shop_a, now=T))
    answers["erp.example.com"] = ["127.0.0.1"]
    with time_machine.travel(T, tick=False):
        wh.webhooks_sweep(now=T + timedelta(seconds=1))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.last_error.startswith("url_not_allowed")
    assert [h for h, _b in receiver.requests if h.get("webhook-id") == delivery.event.msg_id] == []
    assert delivery.attempts == 1 and delivery.last_status_code is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_w1_outbox_survives_a_process_killed_right_after_commit(api, merchant, shop_a, private_ok, receiver):
    """A separate process ships an order and is SIGKILLed right after the
    commit, before it could queue the delivery: the event is in the outbox
    and the sweeper delivers it."""
    register(api, merchant, shop_a, receiver.url)
    order = order_placed(shop=shop_a, now=T)
    s = connection.settings_dict
    script = textwrap.dedent(
        f"""
        import os, signal, django
        django.setup()
        from django.db import transaction
        from django.utils import timezone
        from orders.models import Order
        from orders.services import order_ship
        with transaction.atomic():
            transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))  # before the dispatch
            order_ship(order=Order.objects.get(pk={order.pk}), carrier="SF", tracking_no="SF77",
                       by=None, now=timezone.now())
        """
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
    }
    proc = subprocess.run([sys.executable, "-c", script], cwd=dj_settings.BASE_DIR, env=env, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    delivery = WebhookDelivery.objects.get(event__type="order.shipped")
    assert delivery.status == "pending" and delivery.attempts == 0
    receiver.start()
    from django.utils import timezone

    assert wh.webhooks_sweep(now=timezone.now())["succeeded"] == 1
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0][1])["data"]["tracking_no"] == "SF77"
