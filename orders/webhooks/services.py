"""Rule W1: registering endpoints and delivering the outbox (``outbox.py``
writes it). Delivery happens after commit (``dispatch``) and from the
sweeper, never under a row lock."""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from ..errors import OrderError
from ..models import Shop
from ..privacy import _fernet
from ..services.notifications import notification_create
from . import dispatch, transport
from .models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from .outbox import webhook_event_emit
from .targets import resolve_target

logger = logging.getLogger(__name__)
D = WebhookDelivery.Status


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return _fernet().decrypt(endpoint.secret_encrypted.encode()).decode()


def _clean_events(events) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise OrderError("invalid_events", _('Give a list of event types, or ["*"].'), status=400)
    if events == ["*"]:
        return events
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise OrderError(
            "invalid_events", _("Unknown event types: %(types)s") % {"types": ", ".join(unknown)}, status=400
        )
    return sorted(set(events))


@transaction.atomic
def webhook_endpoint_create(*, shop: Shop, url: str, events, by, now: datetime) -> tuple[WebhookEndpoint, str]:
    """W1: register an endpoint; the secret is returned once (stored encrypted)."""
    resolve_target(url)
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        shop=shop,
        url=url,
        events=_clean_events(events),
        secret_encrypted=_encrypt(secret),
        created_by=by if getattr(by, "is_authenticated", False) else None,
        created_at=now,
    )
    return endpoint, secret


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, now: datetime) -> str:
    """W1: a new secret, effective for the next attempt of every delivery."""
    secret = _new_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret_encrypted=_encrypt(secret))
    endpoint.secret_encrypted = _encrypt(secret)
    return secret


@transaction.atomic
def webhook_endpoint_resume(*, endpoint: WebhookEndpoint, now: datetime) -> WebhookEndpoint:
    """W1: the merchant resumes a paused endpoint; its waiting deliveries go out."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=True, paused_at=None, dead_streak=0)
    endpoint.refresh_from_db()
    return endpoint


def _claim(delivery_id: int, now: datetime, *, due_only: bool) -> WebhookDelivery | None:
    """Take one attempt of the delivery: conditional on the attempt count
    read, so a racing worker's claim makes this one a no-op (no double send)."""
    delivery = (
        WebhookDelivery.objects.select_related("event", "endpoint")
        .filter(pk=delivery_id, status__in=[D.PENDING, D.FAILED])
        .first()
    )
    if delivery is None or (due_only and (delivery.next_attempt_at or now) > now):
        return None
    lease = now + timedelta(seconds=settings.WEBHOOK_ATTEMPT_LEASE_SECONDS)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status__in=[D.PENDING, D.FAILED], attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=lease)
    if not claimed:
        return None
    delivery.attempts += 1
    return delivery


def _headers(delivery: WebhookDelivery, now: datetime) -> dict[str, str]:
    at = now.astimezone(UTC)
    signature = Webhook(endpoint_secret(delivery.endpoint)).sign(delivery.event.msg_id, at, delivery.event.body)
    return {
        "Content-Type": "application/json",
        "User-Agent": "backoffice-webhooks/1",
        "webhook-id": delivery.event.msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _backoff(attempts: int) -> timedelta:
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def webhook_delivery_attempt(*, delivery_id: int, now: datetime, due_only: bool = True) -> str | None:
    """W1: one signed POST; any 2xx succeeds. A failure is retried with
    exponential backoff until ``give_up_at`` (24 h), then the delivery is dead,
    the merchant notified, and after WEBHOOK_PAUSE_AFTER_DEAD dead deliveries
    in a row the endpoint paused. Returns the delivery's new status."""
    delivery = _claim(delivery_id, now, due_only=due_only)
    if delivery is None:
        return None
    try:
        target = resolve_target(delivery.endpoint.url)  # again: DNS may have changed (rebinding)
    except OrderError as exc:
        answer = transport.Answer(status=None, excerpt="", error=f"url_not_allowed: {exc.detail}"[:300])
    else:
        answer = transport.post(target, body=delivery.event.body.encode(), headers=_headers(delivery, now))
    ok = answer.status is not None and 200 <= answer.status < 300
    return _record(delivery=delivery, answer=answer, ok=ok, now=now)


def _record(*, delivery: WebhookDelivery, answer: transport.Answer, ok: bool, now: datetime) -> str:
    fields = {
        "last_status_code": answer.status,
        "last_error": answer.error if not ok else "",
        "response_excerpt": answer.excerpt[: transport.EXCERPT_BYTES],
    }
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts, status__in=[D.PENDING, D.FAILED])
    if ok:
        with transaction.atomic():
            if mine.update(status=D.SUCCEEDED, delivered_at=now, next_attempt_at=None, **fields):
                WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).exclude(dead_streak=0).update(dead_streak=0)
        return D.SUCCEEDED
    next_at = now + _backoff(delivery.attempts)
    if next_at <= delivery.give_up_at:
        mine.update(status=D.FAILED, next_attempt_at=next_at, **fields)
        return D.FAILED
    with transaction.atomic():
        if not mine.update(status=D.DEAD, next_attempt_at=None, **fields):
            return D.DEAD
        _dead(delivery=delivery, now=now)
    return D.DEAD


def _dead(*, delivery: WebhookDelivery, now: datetime) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    endpoint.dead_streak += 1
    fields = ["dead_streak"]
    notification_create(
        shop=endpoint.shop_id,
        kind="webhook_dead",
        title=_("An event could not be delivered to %(url)s") % {"url": endpoint.url},
        body=_(
            "Event %(id)s (%(type)s) was retried for %(hours)s hours without success; retry it by hand from the"
            " delivery log."
        )
        % {"id": delivery.event.msg_id, "type": delivery.event.type, "hours": settings.WEBHOOK_RETRY_HOURS},
        data={"delivery_id": delivery.pk, "endpoint_id": endpoint.pk, "event_id": delivery.event.msg_id},
        dedupe_key=f"webhook_dead:{delivery.pk}:{delivery.attempts}",
    )
    if endpoint.active and endpoint.dead_streak >= settings.WEBHOOK_PAUSE_AFTER_DEAD:
        endpoint.active, endpoint.paused_at = False, now
        fields += ["active", "paused_at"]
        notification_create(
            shop=endpoint.shop_id,
            kind="webhook_paused",
            title=_("Event push to %(url)s is paused") % {"url": endpoint.url},
            body=_("%(n)s deliveries in a row failed for 24 hours. Resume the endpoint once it answers again.")
            % {"n": endpoint.dead_streak},
            data={"endpoint_id": endpoint.pk},
        )
    endpoint.save(update_fields=fields)


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery, now: datetime) -> WebhookDelivery:
    """W1: a retry by hand (any status but a delivery being attempted right
    now): attempted again at once, with a fresh 24 h of retries."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = D.PENDING
    delivery.next_attempt_at = now
    delivery.give_up_at = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    delivery.save(update_fields=["status", "next_attempt_at", "give_up_at"])
    dispatch.deliver_after_commit([delivery.pk], manual=True)
    return delivery


def webhooks_sweep(*, now: datetime, limit: int = 1000) -> dict:
    """W1: deliver the deliveries due (first attempts whose message was lost,
    e.g. a process killed right after its commit, and retries after backoff)
    of active endpoints. Safe with two sweepers at once (claims)."""
    due = WebhookDelivery.objects.filter(
        Q(status__in=[D.PENDING, D.FAILED]), next_attempt_at__lte=now, endpoint__active=True
    ).order_by("next_attempt_at", "pk")
    ids = list(due.values_list("pk", flat=True)[:limit])
    summary = {"due": len(ids), "succeeded": 0, "failed": 0, "dead": 0}
    for pk in ids:
        status = webhook_delivery_attempt(delivery_id=pk, now=now)
        if status in summary:
            summary[status] += 1
    logger.info("webhooks_sweep %s", summary)
    return summary


__all__ = ["webhook_event_emit"]
