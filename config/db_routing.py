"""Issue 18 point 4: reads from a PostgreSQL streaming replica, when there is
one (``DATABASE_REPLICA_URL``); without it every query goes to ``default``
exactly as before.

What reads from the replica (the bulk of the reading, none of the writing):
admin list and search pages and the workbench dashboards (GET), the API's
list endpoints (the merchants' sync lists, GET) and export jobs. Everything
else, every write, and the login/session/token/2FA tables always use the
primary.

Read-your-writes: a request that wrote pins its own later reads to the
primary; at its end the primary's WAL position is remembered for the user
(cache, ``REPLICA_RYW_SECONDS`` at most), and that user's next replica-eligible
request reads the replica only once the replica has replayed up to it (one
``pg_last_wal_replay_lsn()`` query), else the primary. So an approval
followed by its page view never shows the state before the approval, however
far behind the replica is. An export job waits (``REPLICA_EXPORT_WAIT_SECONDS``
at most) for the replica to reach the primary's position when the job
starts, else reads the primary.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
# Never read from the replica: what a request needs to know who it is.
PRIMARY_ONLY_APPS = frozenset(
    {"sessions", "auth", "contenttypes", "admin", "knox", "axes", "otp_totp", "otp_static", "django_celery_beat"}
)

_replica_gate: ContextVar = ContextVar("replica_gate", default=None)  # None: primary; else a callable → bool
_wrote: ContextVar[bool] = ContextVar("wrote", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES and REPLICA in connections.settings


def _ryw_key(user_id) -> str:
    return f"db:ryw:{user_id}"


def primary_lsn() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def replica_has_replayed(lsn: str) -> bool:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", [lsn])
        return bool(cursor.fetchone()[0])


def replica_lag_bytes() -> int | None:
    """How far the replica's replay is behind the primary (None without a replica, -1 unreachable)."""
    if not replica_configured():
        return None
    try:
        target = primary_lsn()
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT greatest(pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()), 0)::bigint", [target]
            )
            return int(cursor.fetchone()[0])
    except Exception:  # noqa: BLE001
        logger.warning("replica unreachable", exc_info=True)
        return -1


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        gate = _replica_gate.get()
        if gate is None or _wrote.get() or model._meta.app_label in PRIMARY_ONLY_APPS or not replica_configured():
            return DEFAULT_DB_ALIAS
        return REPLICA if gate() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def _replica_eligible(request, view_func) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    name = getattr(view_func, "__name__", "")
    if name == "changelist_view" and hasattr(view_func, "model_admin"):
        return True  # admin list and search pages
    if name == "index" and hasattr(view_func, "admin_site"):
        return True  # the workbench dashboards
    cls = getattr(view_func, "cls", None)
    if cls is not None:
        from rest_framework.generics import ListAPIView

        return isinstance(cls, type) and issubclass(cls, ListAPIView)  # the API's lists (sync pages)
    return False


def _request_gate(request):
    """Reads the replica unless this user wrote and the replica has not replayed it yet (memoized)."""
    decided: list[bool] = []

    def gate() -> bool:
        if not decided:
            user = getattr(request, "user", None)
            lsn = None
            if user is not None and getattr(user, "is_authenticated", False):
                from django.core.cache import cache

                lsn = cache.get(_ryw_key(user.pk))
            try:
                decided.append(lsn is None or replica_has_replayed(lsn))
            except Exception:  # noqa: BLE001  (an unreachable replica: read the primary)
                logger.warning("replica unavailable; reading the primary", exc_info=True)
                decided.append(False)
        return decided[0]

    return gate


class ReadYourWritesMiddleware:
    """Sets the replica scope of each request (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        wrote_token = _wrote.set(False)
        request._replica_tokens = []
        try:
            response = self.get_response(request)
            if _wrote.get():
                user = getattr(request, "user", None)
                if user is not None and getattr(user, "is_authenticated", False):
                    from django.core.cache import cache

                    cache.set(_ryw_key(user.pk), primary_lsn(), settings.REPLICA_RYW_SECONDS)
            return response
        finally:
            for token in reversed(request._replica_tokens):
                _replica_gate.reset(token)
            _wrote.reset(wrote_token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if hasattr(request, "_replica_tokens") and _replica_eligible(request, view_func):
            request._replica_tokens.append(_replica_gate.set(_request_gate(request)))


def export_read_alias() -> str:
    """The alias an export job reads from: the replica once it has replayed
    everything the primary had when the job started, else the primary."""
    if not replica_configured():
        return DEFAULT_DB_ALIAS
    try:
        target = primary_lsn()
        deadline = time.monotonic() + settings.REPLICA_EXPORT_WAIT_SECONDS
        while True:
            if replica_has_replayed(target):
                return REPLICA
            if time.monotonic() >= deadline:
                logger.warning(
                    "replica behind the primary after %ss: export reads the primary",
                    settings.REPLICA_EXPORT_WAIT_SECONDS,
                )
                return DEFAULT_DB_ALIAS
            time.sleep(0.05)
    except Exception:  # noqa: BLE001
        logger.warning("replica unavailable: export reads the primary", exc_info=True)
        return DEFAULT_DB_ALIAS
