"""Issue 18 point 2: what a load balancer and an on-call engineer look at.

- ``/healthz``: the process answers (no database, no cache).
- ``/readyz``: the database(s), the cache and the broker answer (503 naming
  the one that does not).
- ``/metrics``: Prometheus text format, for a token (``METRICS_TOKEN``, sent
  as ``Authorization: Bearer …``) or from an allowed address
  (``METRICS_ALLOWED_IPS``, default loopback): request latency per view
  (every gunicorn worker's, through prometheus-client's multiprocess
  directory), Celery task counts and durations (counted by every worker into
  the shared cache, so any host's web process reports them), queue depth on
  the broker, and each beat job's last run, duration and counts from
  ``penalties.JobRun``.

The three answer from the first middleware, before the host check and the
HTTPS redirect: probes come by address over plain HTTP.

Logs: JSON lines (``LOG_FORMAT=json``, the default with ``DEBUG=0``) with the
request id of django-guid (``X-Request-ID``, also set on each task the request
enqueues and in the worker's lines for it), buyer phones, e-mail addresses and
tokens redacted (:class:`RedactPII`).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

logger = logging.getLogger(__name__)

PROBE_PATHS = {"/healthz", "/readyz", "/metrics"}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_LATENCY = Histogram(
    "backoffice_http_request_duration_seconds",
    "Time from the first middleware until the response, per view",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter(
    "backoffice_http_requests",
    "Responses per view, method and status code",
    ["view", "method", "status"],
)


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        # WhiteNoise answers static files before any view is resolved.
        return "<static>" if request.path.startswith(f"/{settings.STATIC_URL.lstrip('/')}") else "<unresolved>"
    return match.view_name or match.route or "<unnamed>"


class RequestMetricsMiddleware:
    """Answers the probes; times every other request per view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in PROBE_PATHS:
            return {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}[request.path](request)
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        REQUEST_LATENCY.labels(view, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        return response


# --- probes ------------------------------------------------------------------------


def healthz(request) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def _check_databases() -> None:
    from django.db import connections

    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")


def _check_cache() -> None:
    from django.core.cache import cache

    token = os.urandom(8).hex()
    cache.set("readyz:probe", token, 30)
    if cache.get("readyz:probe") != token:
        raise RuntimeError("cache did not return what was written")


def _check_broker() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)


READY_CHECKS = {"database": _check_databases, "cache": _check_cache, "broker": _check_broker}


def readyz(request) -> HttpResponse:
    checks: dict[str, str] = {}
    for name, check in READY_CHECKS.items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001  (any failure means not ready)
            logger.warning("readyz: %s unavailable: %s", name, exc)
            checks[name] = f"unavailable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


# --- /metrics ------------------------------------------------------------------------


def _client_allowed(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        import hmac

        return hmac.compare_digest(header[len("Bearer ") :].strip(), token)
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)


def metrics(request) -> HttpResponse:
    from django.utils.translation import gettext as _

    if not _client_allowed(request):
        return JsonResponse(
            {"code": "forbidden", "detail": _("Metrics need the metrics token or an allowed address.")}, status=403
        )
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    extra = CollectorRegistry()
    extra.register(BackofficeCollector())
    body += generate_latest(extra)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


# --- Celery task counts and durations (in the shared cache) -----------------------

CELERY_KEY = "obs:celery:{task}:{field}"
TASK_STATES = ("SUCCESS", "FAILURE", "RETRY")
_started: dict[str, float] = {}


def _add(key: str, delta: int) -> None:
    from django.core.cache import cache

    if not cache.add(key, delta, timeout=None):
        try:
            cache.incr(key, delta)
        except ValueError:  # expired between add and incr
            cache.add(key, delta, timeout=None)


def task_started(task_id=None, **kwargs) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if task is None or started is None:
        return
    try:
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        state = state if state in TASK_STATES else "FAILURE"
        _add(CELERY_KEY.format(task=task.name, field=state), 1)
        _add(CELERY_KEY.format(task=task.name, field="ms"), elapsed_ms)
    except Exception:  # noqa: BLE001  (metrics never fail a task)
        logger.warning("could not record task metrics for %s", task.name, exc_info=True)


def connect_celery_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(task_started, weak=False, dispatch_uid="obs_task_started")
    task_postrun.connect(task_finished, weak=False, dispatch_uid="obs_task_finished")


def _queue_depths() -> dict[str, int]:
    from config.celery import app

    depths = {}
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        channel = conn.default_channel
        for queue in settings.CELERY_QUEUE_NAMES:
            depths[queue] = channel.queue_declare(queue=queue, durable=True, auto_delete=False).message_count
    return depths


class BackofficeCollector:
    """Read at scrape time: Celery counts (cache), queue depth (broker), job runs (database)."""

    def collect(self):
        yield from self._celery()
        yield from self._queues()
        yield from self._jobs()
        yield from self._replica()

    def _replica(self):
        from config.db_routing import replica_lag_bytes

        lag = replica_lag_bytes()
        if lag is None:
            return
        gauge = GaugeMetricFamily(
            "backoffice_replica_replay_lag_bytes", "WAL the replica has not replayed yet (-1: unreachable)"
        )
        gauge.add_metric([], lag)
        yield gauge

    def _celery(self):
        from django.core.cache import cache

        from config.celery import app

        app.loader.import_default_modules()  # every app's tasks.py, also in a process that sent none
        names = sorted(name for name in app.tasks if not name.startswith("celery."))
        keys = [CELERY_KEY.format(task=n, field=f) for n in names for f in (*TASK_STATES, "ms")]
        values = cache.get_many(keys)
        total = CounterMetricFamily(
            "backoffice_celery_tasks", "Celery tasks finished, per task and state", labels=["task", "state"]
        )
        seconds = CounterMetricFamily(
            "backoffice_celery_task_seconds", "Time spent running each Celery task", labels=["task"]
        )
        for name in names:
            for state in TASK_STATES:
                total.add_metric([name, state.lower()], int(values.get(CELERY_KEY.format(task=name, field=state), 0)))
            seconds.add_metric([name], int(values.get(CELERY_KEY.format(task=name, field="ms"), 0)) / 1000)
        yield total
        yield seconds

    def _queues(self):
        depth = GaugeMetricFamily("backoffice_celery_queue_depth", "Messages waiting on the broker", labels=["queue"])
        up = GaugeMetricFamily("backoffice_broker_up", "1 when the broker answered this scrape")
        try:
            for queue, n in _queue_depths().items():
                depth.add_metric([queue], n)
            up.add_metric([], 1)
        except Exception:  # noqa: BLE001
            logger.warning("metrics: broker unavailable", exc_info=True)
            up.add_metric([], 0)
        yield depth
        yield up

    def _jobs(self):
        from django.db.models import Max

        from penalties.models import JobRun

        started = GaugeMetricFamily(
            "backoffice_job_last_started_timestamp_seconds", "Start of each job's last run", labels=["job"]
        )
        finished = GaugeMetricFamily(
            "backoffice_job_last_finished_timestamp_seconds", "End of each job's last finished run", labels=["job"]
        )
        duration = GaugeMetricFamily(
            "backoffice_job_last_duration_seconds", "Duration of each job's last run", labels=["job"]
        )
        failed = GaugeMetricFamily(
            "backoffice_job_last_failed", "1 when the job's last run recorded an error", labels=["job"]
        )
        counts = GaugeMetricFamily(
            "backoffice_job_last_count", "The counts each job's last run recorded", labels=["job", "count"]
        )
        last_ids = JobRun.objects.values("job").annotate(last=Max("id")).values_list("last", flat=True)
        for run in JobRun.objects.using("default").filter(id__in=list(last_ids)).order_by("job"):
            started.add_metric([run.job], run.started_at.timestamp())
            failed.add_metric([run.job], 1 if run.error else 0)
            if run.finished_at:
                finished.add_metric([run.job], run.finished_at.timestamp())
                duration.add_metric([run.job], (run.finished_at - run.started_at).total_seconds())
            for key, value in sorted((run.counts or {}).items()):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                counts.add_metric([run.job, key], value)
        yield from (started, finished, duration, failed, counts)


# --- logging --------------------------------------------------------------------------

_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_EMAIL = re.compile(r"\b[\w.+-]+@([\w-]+\.[\w.-]+)\b")
_TOKEN = re.compile(r"\b(Token|Bearer)\s+[\w.~+/=-]{8,}", re.IGNORECASE)
_SECRET_FIELD = re.compile(
    r"""(["']?(?:password|passwd|secret|token|code|phone|buyer_phone)["']?\s*[:=]\s*)(["']?)(?!\*\*\*)[^\s,;'"}&]+""",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Phones as 138****5678, e-mails as ***@domain, tokens and secret fields as ***."""
    text = _TOKEN.sub(lambda m: f"{m.group(1)} ***", text)
    text = _SECRET_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _EMAIL.sub(lambda m: f"***@{m.group(1)}", text)


class RedactPII(logging.Filter):
    """Rewrites each record's message (with its arguments), exception text and
    stack redacted. Apps extend :meth:`redact` (``orders.redaction.RedactPII``
    adds the buyer-phone rules of O5); ``LOGGING`` installs that one filter."""

    def redact(self, text: str) -> str:
        return redact(text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  (a bad format string is logged as it is)
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
