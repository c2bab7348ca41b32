"""gunicorn's configuration for production (issue 18 point 1):
``gunicorn -c config/gunicorn.py`` (``make prod``).

Worker class and counts were chosen by measurement with ``make loadtest``
(50 merchants, loopback, this 2-core machine; README, "Performance"): the
figures for each candidate are in the README. Every value can be overridden
from the environment for another machine: ``GUNICORN_WORKERS`` (or the
conventional ``WEB_CONCURRENCY``), ``GUNICORN_WORKER_CLASS``,
``GUNICORN_THREADS``, ``GUNICORN_BIND``.

/metrics aggregates every worker's request latency through prometheus-client's
multiprocess directory (``PROMETHEUS_MULTIPROC_DIR``, emptied at start).
"""

import os
import shutil
from pathlib import Path

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY") or "2")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Longer than a person's pause between clicks, and than a proxy's idle timeout.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then (slow leaks in any library), staggered.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# The application logs each request's problems as JSON lines; gunicorn's access
# log is off unless asked for (GUNICORN_ACCESSLOG=-).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

_metrics_dir = Path(
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR",
        str(Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var")) / "prometheus"),
    )
)


def on_starting(server):
    """A fresh metrics directory per server start (the files are per worker pid)."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
