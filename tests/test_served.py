"""Issue 18 point 1: the site as production runs it. ``collectstatic`` with
``DEBUG=0`` (WhiteNoise: hashed names, compressed copies), then gunicorn with
``config/gunicorn.py``: the admin's CSS and the API docs' Swagger UI come from
the web process itself, compressed and cached for good, and /metrics adds up
every gunicorn worker's requests.

About 30 s on this machine (collectstatic compresses every file once, gzip only here).
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from bench.worker import database_url

ROOT = Path(__file__).resolve().parent.parent
HOST, PORT = "127.0.0.1", 9401
TOKEN = "scrape-token-for-the-served-test"


def _db_url() -> str:
    if connection.vendor == "postgresql":
        return database_url(connection.settings_dict)
    return f"sqlite:///{connection.settings_dict['NAME']}"


def _get(path: str, **headers) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.fixture
def production(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": django_settings.FIELD_ENCRYPTION_KEY,
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": _db_url(),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "METRICS_TOKEN": TOKEN,
        "GUNICORN_WORKERS": "2",
        "STATIC_BROTLI": "0",  # gzip copies only: brotli takes a minute of CPU (config/storage.py)
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "config/gunicorn.py", "--bind", f"{HOST}:{PORT}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection((HOST, PORT), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "gunicorn.log").read_text()) from None
                time.sleep(0.2)
        yield tmp_path
    finally:
        server.terminate()
        server.wait(20)
        log.close()


@pytest.mark.postgres  # production's database; once in CI (the PostgreSQL pass)
@pytest.mark.django_db(transaction=True)
def test_i18_gunicorn_with_debug_off_serves_the_styled_admin_and_the_api_docs(production):
    # the admin's login page links its theme's (django-unfold) CSS under a hashed name
    status, _, body = _get("/admin/login/")
    assert status == 200, body[:500]
    css = re.search(rb'href="(/static/unfold/css/styles\.[0-9a-f]{12}\.css)"', body)
    assert css, body[:3000]
    # which the web process serves compressed, cached for good
    status, headers, content = _get(css.group(1).decode(), **{"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers.get("content-encoding") == "gzip"
    assert "immutable" in headers.get("cache-control", "") or "max-age=315360000" in headers.get("cache-control", "")
    status, headers, plain = _get(css.group(1).decode())
    assert status == 200 and len(plain) > 10_000 and "content-encoding" not in headers
    assert headers["content-type"].startswith("text/css")

    # the API docs page loads Swagger UI from this server (offline: the sidecar's files)
    status, _, docs = _get("/api/docs/")
    assert status == 200
    scripts = re.findall(rb'src="(/static/drf_spectacular_sidecar/[^"]+\.js)"', docs)
    assert scripts, docs[:2000]
    for src in scripts:
        status, headers, js = _get(src.decode(), **{"Accept-Encoding": "gzip"})
        assert status == 200 and len(js) > 1000
        assert headers.get("content-encoding") == "gzip"
    # the project's own static files too (the shop filter script of the admin)
    manifest = (production / "static" / "staticfiles.json").read_text()
    own = re.search(r'"(orders/shop_filter\.[0-9a-f]{12}\.js)"', manifest)
    assert own and _get(f"/static/{own.group(1)}")[0] == 200
    # a name that was not collected is a 404, not the app
    assert _get("/static/admin/css/nothing-here.css")[0] == 404

    # the probes, and every worker's requests counted in one /metrics
    assert _get("/healthz")[0] == 200
    status, _, ready = _get("/readyz")
    assert status == 200, ready
    for _ in range(6):
        assert _get("/admin/login/")[0] == 200
    status, _, text = _get("/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200
    count = re.search(
        rb'backoffice_http_request_duration_seconds_count\{method="GET",view="admin:login"\} ([0-9.]+)', text
    )
    assert count and float(count.group(1)) == 7.0, text[:3000]
    assert b'backoffice_http_request_duration_seconds_count{method="GET",view="<static>"}' in text
