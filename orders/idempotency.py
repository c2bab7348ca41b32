"""``Idempotency-Key`` for state-changing API calls (API.md: ship, cancel,
reply, export). Reusable by any app:

    from orders.idempotency import idempotent

    class OrderShipApi(APIView):
        @idempotent
        def post(self, request, order_no): ...

The key is scoped to (user, key, method, path). The first call runs inside a
transaction together with the row that reserves the key; a successful (2xx)
answer is stored and a retry with the same key gets it back (header
``Idempotent-Replayed: true``) without acting again. A concurrent retry waits
on the key's unique index until the first commits, then replays. Errors are
not stored (the transaction rolls back), so a corrected retry acts; a refusal
that keeps its effect (``DomainError.keeps_effect``, a deadline enforced at the
act) is not stored either, but its effect commits. The same
key with a different body answers 409 ``idempotency_key_reused``.
Keys are kept ``IDEMPOTENCY_KEY_TTL_HOURS`` (default 24 h; ``purge_expired``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from config.errors import DomainError

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    return hashlib.sha256(body.encode()).hexdigest()


def idempotent(view_method):
    """Decorate an APIView handler (``post``/``put``/``patch``/``delete``)."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise DomainError("invalid_idempotency_key", _("Idempotency-Key must be 1–255 characters."), status=400)
        fingerprint = _fingerprint(request)
        ident = {"user": request.user, "key": key, "method": request.method, "path": request.path[:255]}
        with transaction.atomic():
            for attempt in (1, 2):
                try:
                    with transaction.atomic():
                        record = IdempotencyKey.objects.create(**ident, fingerprint=fingerprint, status_code=0)
                    break
                except IntegrityError:
                    record = IdempotencyKey.objects.get(**ident)
                    if attempt == 1 and _expired(record):
                        # Kept TTL hours at the moment of the retry, not until
                        # the purge job next runs: an older key is a new request.
                        IdempotencyKey.objects.filter(pk=record.pk).delete()
                        continue
                    if record.fingerprint != fingerprint:
                        raise DomainError(
                            "idempotency_key_reused",
                            _("This Idempotency-Key was used with a different request body."),
                            status=409,
                        )
                    response = Response(record.response_body, status=record.status_code)
                    response["Idempotent-Replayed"] = "true"
                    return response
            try:
                response = view_method(self, request, *args, **kwargs)
            except DomainError as refusal:
                if not refusal.keeps_effect:
                    raise
                # Not stored, like every error; the effect of the refusal
                # (e.g. a ticket timed out at its deadline) commits.
                record.delete()
                kept = refusal
            else:
                if 200 <= response.status_code < 300:
                    record.status_code = response.status_code
                    record.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
                    record.save(update_fields=["status_code", "response_body"])
                else:
                    record.delete()
                return response
        raise kept

    return wrapper


def _ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 24))


def _expired(record: IdempotencyKey) -> bool:
    """Past its TTL (the purge's own boundary: older than TTL hours)."""
    return record.created_at < timezone.now() - _ttl()


def purge_expired(*, now: datetime) -> int:
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - _ttl()).delete()
    return deleted
