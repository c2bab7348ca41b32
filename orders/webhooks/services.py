"""Rule W1: registering endpoints and delivering the outbox (``outbox.py``
writes it). Delivery happens after commit (``dispatch``) and from the
sweeper, never under a row lock."""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
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


def _claim(delivery_ids: list[int], now: datetime, *, due_only: bool) -> list[WebhookDelivery]:
    """Take one attempt of each delivery still to make, in one transaction:
    the rows are locked (SKIP LOCKED on PostgreSQL: a racing worker takes
    others, never the same ones) and leased (``next_attempt_at`` moved past
    the batch's worst case, so the sweeper does not send them again meanwhile)."""
    with transaction.atomic():
        qs = WebhookDelivery.objects.filter(pk__in=delivery_ids, status__in=[D.PENDING, D.FAILED])
        if due_only:
            qs = qs.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        deliveries = list(qs.select_related("event", "endpoint").order_by("pk"))
        if not deliveries:
            return []
        worst = settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS + settings.WEBHOOK_READ_TIMEOUT_SECONDS
        lease = now + timedelta(seconds=settings.WEBHOOK_ATTEMPT_LEASE_SECONDS + worst * len(deliveries))
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            attempts=F("attempts") + 1, next_attempt_at=lease
        )
    for delivery in deliveries:
        delivery.attempts += 1
    return deliveries


def _headers(delivery: WebhookDelivery, now: datetime, secret: str) -> dict[str, str]:
    at = now.astimezone(UTC)
    signature = Webhook(secret).sign(delivery.event.msg_id, at, delivery.event.body)
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
    """W1: one delivery's attempt (``webhook_deliveries_attempt`` of one)."""
    return webhook_deliveries_attempt(delivery_ids=[delivery_id], now=now, due_only=due_only).get(delivery_id)


def webhook_deliveries_attempt(*, delivery_ids: list[int], now: datetime, due_only: bool = True) -> dict[int, str]:
    """W1: one signed POST per delivery; any 2xx succeeds. A failure is
    retried with exponential backoff until ``give_up_at`` (24 h), then the
    delivery is dead, the merchant notified, and after
    WEBHOOK_PAUSE_AFTER_DEAD dead deliveries in a row the endpoint paused.

    Batched for throughput: one claim for the batch, the URL resolved and
    checked once per endpoint per batch (still at delivery time: DNS
    rebinding), kept-alive connections (``transport``), the successes recorded
    in a few statements. When an endpoint does not answer at all, its other
    deliveries in the batch are recorded as failed with that answer rather
    than each waiting for its own timeout. Returns ``{id: new status}``."""
    deliveries = _claim(list(delivery_ids), now, due_only=due_only)
    out: dict[int, str] = {}
    targets: dict[int, transport.Target | transport.Answer] = {}
    secrets_: dict[int, str] = {}
    down: dict[int, transport.Answer] = {}
    succeeded: list[tuple[WebhookDelivery, transport.Answer]] = []
    for delivery in deliveries:
        endpoint = delivery.endpoint
        if endpoint.pk not in targets:
            try:
                targets[endpoint.pk] = resolve_target(endpoint.url)
            except OrderError as exc:
                targets[endpoint.pk] = transport.Answer(
                    status=None, excerpt="", error=f"url_not_allowed: {exc.detail}"[:300]
                )
            secrets_[endpoint.pk] = endpoint_secret(endpoint)
        target = targets[endpoint.pk]
        if isinstance(target, transport.Answer):
            answer = target
        elif endpoint.pk in down:
            answer = down[endpoint.pk]
        else:
            headers = _headers(delivery, now, secrets_[endpoint.pk])
            answer = transport.post(target, body=delivery.event.body.encode(), headers=headers)
            if answer.status is None:
                down[endpoint.pk] = answer
        if answer.status is not None and 200 <= answer.status < 300:
            succeeded.append((delivery, answer))
        else:
            out[delivery.pk] = _record_failed(delivery=delivery, answer=answer, now=now)
    if succeeded:
        _record_succeeded(succeeded, now=now)
        out.update({d.pk: D.SUCCEEDED for d, _a in succeeded})
    return out


def _record_succeeded(rows: list[tuple[WebhookDelivery, transport.Answer]], *, now: datetime) -> None:
    """Successes in one statement per (attempt number, answer): each row only
    if it is still this worker's attempt."""
    groups: dict[tuple[int, int, str], list[int]] = {}
    for delivery, answer in rows:
        key = (delivery.attempts, answer.status, answer.excerpt[: transport.EXCERPT_BYTES])
        groups.setdefault(key, []).append(delivery.pk)
    with transaction.atomic():
        for (attempts, status, excerpt), ids in groups.items():
            WebhookDelivery.objects.filter(pk__in=ids, attempts=attempts, status__in=[D.PENDING, D.FAILED]).update(
                status=D.SUCCEEDED,
                delivered_at=now,
                next_attempt_at=None,
                last_status_code=status,
                last_error="",
                response_excerpt=excerpt,
            )
        endpoints = {d.endpoint_id for d, _a in rows}
        WebhookEndpoint.objects.filter(pk__in=endpoints).exclude(dead_streak=0).update(dead_streak=0)


def _record_failed(*, delivery: WebhookDelivery, answer: transport.Answer, now: datetime) -> str:
    """A failed attempt: retried after backoff, or dead once past ``give_up_at``."""
    fields = {
        "last_status_code": answer.status,
        "last_error": answer.error or f"HTTP {answer.status}",
        "response_excerpt": answer.excerpt[: transport.EXCERPT_BYTES],
    }
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts, status__in=[D.PENDING, D.FAILED])
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


def webhooks_sweep(*, now: datetime, limit: int = 1000, batch: int = 100) -> dict:
    """W1: deliver the deliveries due (first attempts whose message was lost,
    e.g. a process killed right after its commit, and retries after backoff)
    of active endpoints, in batches. Safe with two sweepers at once (claims)."""
    due = WebhookDelivery.objects.filter(
        Q(status__in=[D.PENDING, D.FAILED]), next_attempt_at__lte=now, endpoint__active=True
    ).order_by("next_attempt_at", "pk")
    ids = list(due.values_list("pk", flat=True)[:limit])
    summary = {"due": len(ids), "succeeded": 0, "failed": 0, "dead": 0}
    for start in range(0, len(ids), batch):
        for status in webhook_deliveries_attempt(delivery_ids=ids[start : start + batch], now=now).values():
            if status in summary:
                summary[status] += 1
    logger.info("webhooks_sweep %s", summary)
    return summary


__all__ = ["webhook_event_emit"]
