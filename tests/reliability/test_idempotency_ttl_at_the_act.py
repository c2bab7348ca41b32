"""Idempotency-Key (issue 13, "deadlines hold at the moment of the act"):
a stored answer is kept ``IDEMPOTENCY_KEY_TTL_HOURS`` (24 h) at the moment
of the retry, not until the purge job next runs."""

from datetime import datetime, timedelta

import pytest
import time_machine

from orders.models import IdempotencyKey
from orders.policy import PLATFORM_TZ
from tests.factories import order_placed

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 23, 30, tzinfo=PLATFORM_TZ)
SECOND = timedelta(seconds=1)


def cancel(api, merchant, order, when, detail):
    with time_machine.travel(when, tick=False):
        return api(merchant).post(
            f"/api/v1/orders/{order.order_no}/cancel/",
            {"reason": "other", "detail": detail},
            format="json",
            HTTP_IDEMPOTENCY_KEY="cancel-1",
        )


def test_idempotency_key_replays_until_its_ttl_then_is_a_new_request(api, merchant, shop_a, settings):
    """TTL 1 h here: the same key with the same body replays at the last
    instant (and with another body is refused as reused); one second later,
    before any purge, the key is a new request: it acts (here: refused,
    because a cancellation is already pending) instead of replaying."""
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 1
    order = order_placed(shop=shop_a, now=T0)
    first = cancel(api, merchant, order, T0, "缺货")
    assert first.status_code == 201, first.content
    created = IdempotencyKey.objects.get(key="cancel-1").created_at

    replay = cancel(api, merchant, order, created + timedelta(hours=1), "缺货")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    reused = cancel(api, merchant, order, created + timedelta(hours=1), "另一个原因")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"

    fresh = cancel(api, merchant, order, created + timedelta(hours=1) + SECOND, "另一个原因")
    assert "Idempotent-Replayed" not in fresh
    assert fresh.status_code == 409 and fresh.json()["code"] == "cancellation_pending"
    # errors are not stored: the expired answer stays until the purge, and is never replayed again
    assert IdempotencyKey.objects.get(key="cancel-1").created_at == created
