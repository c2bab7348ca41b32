"""``make loadtest`` (issue 8 point 8): gunicorn, 2 workers, on PostgreSQL
``bench_1m``; 50 merchants (threads, one keep-alive ``http.client``
connection each, loopback only) list their orders and read them for 60 s.
Each merchant pauses 1–3 s between requests (``LOADTEST_THINK``), as people
do. Each merchant's first request warms the server and is not counted (a
cold gunicorn thread's first request, 50 at once, is a start-up cost, not the
service's latency); then each starts after a random part of one pause. Prints requests, errors, p50/p99 per endpoint; exits non-zero on any error.

Each merchant gets a knox token made in this process; the server runs with
``DEBUG=0`` (production settings, SSL redirect off on loopback).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MERCHANTS = int(os.environ.get("LOADTEST_MERCHANTS", "50"))
SECONDS = float(os.environ.get("LOADTEST_SECONDS", "60"))
TIMEOUT = 60.0
# Merchants are people: a pause between clicks (seconds, uniform). "0,0" for a closed loop.
THINK = tuple(float(x) for x in os.environ.get("LOADTEST_THINK", "1,3").split(","))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def prepare(url: str) -> tuple[list[tuple[str, list[str]]], dict]:
    """Tokens and a few order numbers per merchant; the secrets the server needs."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from knox.models import AuthToken

    from orders.bulk import MERCHANT_PREFIX
    from orders.models import Order, ShopMembership

    merchants = []
    AuthToken.objects.filter(user__username__startswith=MERCHANT_PREFIX).delete()  # last run's
    memberships = ShopMembership.objects.filter(user__username__startswith=MERCHANT_PREFIX).select_related("user")
    for m in memberships.order_by("user__username")[:MERCHANTS]:
        _, token = AuthToken.objects.create(m.user)
        numbers = list(
            Order.objects.filter(shop_id=m.shop_id).order_by("-placed_at").values_list("order_no", flat=True)[:50]
        )
        merchants.append((token, numbers))
    secrets = {"SECRET_KEY": settings.SECRET_KEY, "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY}
    return merchants, secrets


def start_server(url: str, port: int, secrets: dict) -> subprocess.Popen:
    env = {
        **os.environ,
        **secrets,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "CONN_MAX_AGE": "60",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # Issue 18: the production config (config/gunicorn.py: worker class and
    # counts; GUNICORN_WORKERS / GUNICORN_WORKER_CLASS / GUNICORN_THREADS
    # override it for a comparison). Its keep-alive is longer than a merchant's
    # pause, as behind a proxy.
    cmd = [str(gunicorn), "-c", "config/gunicorn.py", "--bind", f"{HOST}:{port}", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def client(
    port: int, token: str, numbers: list[str], stop_at: float, out: dict, lock: threading.Lock, warm: threading.Event
) -> None:
    rnd = random.Random(token)
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    local = {"list": [], "detail": []}
    errors: list[str] = []
    # Warm-up, not counted: this merchant's first request (a cold thread's
    # first connection, imports and caches), then a random part of one pause,
    # so that 50 people do not click in the same millisecond at the start.
    try:
        conn.request("GET", "/api/v1/orders/", headers=headers)
        conn.getresponse().read()
    except (OSError, http.client.HTTPException):
        conn.close()
        conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    warm.wait(TIMEOUT)
    time.sleep(rnd.uniform(0, THINK[1]))
    while time.monotonic() < stop_at:
        if numbers and rnd.random() < 0.5:
            kind, path = "detail", f"/api/v1/orders/{rnd.choice(numbers)}/"
        else:
            kind, path = "list", "/api/v1/orders/" + rnd.choice(["", "?status=awaiting_shipment", "?overdue=true"])
        t = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                errors.append(f"{response.status} {path} {body[:120]!r}")
            elif kind == "list":
                json.loads(body)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            errors.append(f"{type(exc).__name__} {path}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
        local[kind].append((time.perf_counter() - t) * 1000)
        time.sleep(min(rnd.uniform(*THINK), max(0.0, stop_at - time.monotonic())))
    conn.close()
    with lock:
        for k, v in local.items():
            out[k].extend(v)
        out["errors"].extend(errors)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1) if len(values) > 1 else values[0]


def main() -> int:
    from bench.run import DEFAULT_URL, _redis_answers, ensure_dataset

    if not os.environ.get("CACHE_URL") and _redis_answers():
        # Production's cache (throttles, metrics) is Redis; the embedded file cache is for make run.
        os.environ["CACHE_URL"] = "redis://127.0.0.1:6379/13"
        os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        print("make loadtest needs PostgreSQL (DATABASE_URL); SQLite is refused.", file=sys.stderr)
        return 2
    ensure_dataset(url, int(os.environ.get("LOADTEST_ORDERS", "1000000")))
    merchants, secrets = prepare(url)
    port = _free_port()
    server = start_server(url, port, secrets)
    out: dict = {"list": [], "detail": [], "errors": []}
    lock = threading.Lock()
    try:
        print(
            f"{len(merchants)} merchants for {SECONDS:.0f} s against gunicorn (config/gunicorn.py"
            f" {os.environ.get('GUNICORN_WORKER_CLASS', '')} {os.environ.get('GUNICORN_WORKERS', '')}"
            f"x{os.environ.get('GUNICORN_THREADS', '')}) on {HOST}:{port}, think {THINK} s"
        )
        warm = threading.Event()
        stop_at = time.monotonic() + SECONDS + THINK[1]
        threads = [
            threading.Thread(target=client, args=(port, token, numbers, stop_at, out, lock, warm), daemon=True)
            for token, numbers in merchants
        ]
        for t in threads:
            t.start()
        time.sleep(min(10.0, THINK[1] * 3))  # every merchant's warm-up request answered
        warm.set()
        for t in threads:
            t.join(SECONDS + TIMEOUT + 5)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    total = len(out["list"]) + len(out["detail"])
    print(f"requests: {total} ({total / SECONDS:.1f}/s), errors: {len(out['errors'])}")
    for kind in ("list", "detail"):
        v = out[kind]
        print(f"  {kind:<6} n={len(v):<6} p50={_pct(v, 50)} ms  p99={_pct(v, 99)} ms")
    for e in out["errors"][:10]:
        print("  error:", e)
    report = ROOT / "var" / "loadtest.json"
    report.parent.mkdir(exist_ok=True)
    summary = {
        "requests": total,
        "errors": len(out["errors"]),
        "rps": round(total / SECONDS, 1),
        **{f"{k}_p50_ms": _pct(out[k], 50) for k in ("list", "detail")},
        **{f"{k}_p99_ms": _pct(out[k], 99) for k in ("list", "detail")},
    }
    report.write_text(json.dumps(summary, indent=2))
    return 1 if out["errors"] or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
