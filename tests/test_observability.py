"""Issue 18 point 2: health, readiness, Prometheus metrics and the logs.

The probes answer from the first middleware (before the host check and the
HTTPS redirect); /metrics needs the token or an allowed address.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from config import celery_app
from config.observability import RedactPII, redact
from penalties.models import JobRun

METRICS_TOKEN = "t0ken-for-the-scraper-0123456789"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = METRICS_TOKEN

    def _scrape() -> str:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}", REMOTE_ADDR="10.9.9.9")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain")
        return response.content.decode()

    return _scrape


def _value(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_i18_healthz_answers_without_the_database_nor_an_allowed_host(client, settings):
    # no django_db mark: any query would raise here
    settings.ALLOWED_HOSTS = ["backoffice.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_i18_readyz_checks_database_cache_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_i18_readyz_is_503_naming_the_broker_when_it_is_unreachable(client, monkeypatch):
    # nothing listens on this port (the test port range of this project)
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9449/0")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9449/0")  # Celery reads the variable first
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"
    assert body["checks"]["broker"].startswith("unavailable")


@pytest.mark.django_db
def test_i18_metrics_refuse_a_stranger_in_the_error_shape(client, settings):
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1/32"]
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong-token"}, {"HTTP_AUTHORIZATION": "Token x"}):
        response = client.get("/metrics", REMOTE_ADDR="203.0.113.5", **headers)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden" and response.json()["detail"]
    # an address on the allow-list needs no token
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


@pytest.mark.django_db
def test_i18_metrics_show_request_latency_per_view(api, scrape, shop_a):
    from tests.factories import MembershipFactory, UserFactory

    merchant = UserFactory()
    MembershipFactory(user=merchant, shop=shop_a)
    series = 'backoffice_http_request_duration_seconds_count{method="GET",view="order-list"}'
    before = _value(scrape(), series)
    client = api(merchant)
    for _ in range(3):
        assert client.get("/api/v1/orders/").status_code == 200
    after = scrape()
    assert _value(after, series) == before + 3
    assert 'backoffice_http_request_duration_seconds_bucket{le="0.05",method="GET",view="order-list"}' in after
    assert _value(after, 'backoffice_http_requests_total{method="GET",status="200",view="order-list"}') >= 3


@pytest.mark.django_db
def test_i18_metrics_count_celery_tasks_and_their_time(scrape):
    from orders.tasks import heartbeat

    counted = 'backoffice_celery_tasks_total{state="success",task="orders.heartbeat"}'
    before = _value(scrape(), counted)
    heartbeat.delay()
    heartbeat.delay()
    text = scrape()
    assert _value(text, counted) == before + 2
    assert 'backoffice_celery_task_seconds_total{task="orders.heartbeat"}' in text
    assert 'backoffice_celery_tasks_total{state="failure",task="penalties.judge_overdue_shipments"}' in text


@pytest.mark.django_db
def test_i18_metrics_show_queue_depth_per_queue(scrape):
    text = scrape()
    for queue in ("critical", "default", "bulk"):
        assert f'backoffice_celery_queue_depth{{queue="{queue}"}}' in text
    assert "backoffice_broker_up 1.0" in text


@pytest.mark.django_db
def test_i18_metrics_show_each_beat_jobs_last_run_from_the_job_run_log(scrape):
    now = timezone.now()
    JobRun.objects.create(
        job="run_deductions", business_day=now.date() - timedelta(days=1), started_at=now - timedelta(days=1),
        finished_at=now - timedelta(days=1) + timedelta(seconds=3), counts={"deducted": 4},
    )  # fmt: skip
    last = JobRun.objects.create(
        job="run_deductions", business_day=now.date(), started_at=now - timedelta(seconds=90),
        finished_at=now - timedelta(seconds=88, milliseconds=500), counts={"deducted": 7, "capped": 2, "note": "x"},
    )  # fmt: skip
    JobRun.objects.create(
        job="judge_overdue_shipments", business_day=now.date(), daily=False, started_at=now, error="boom"
    )
    text = scrape()
    assert _value(text, 'backoffice_job_last_started_timestamp_seconds{job="run_deductions"}') == pytest.approx(
        last.started_at.timestamp()
    )
    assert _value(text, 'backoffice_job_last_duration_seconds{job="run_deductions"}') == pytest.approx(1.5)
    assert _value(text, 'backoffice_job_last_count{count="deducted",job="run_deductions"}') == 7
    assert _value(text, 'backoffice_job_last_count{count="capped",job="run_deductions"}') == 2
    assert 'count="note"' not in text
    assert _value(text, 'backoffice_job_last_failed{job="judge_overdue_shipments"}') == 1
    assert _value(text, 'backoffice_job_last_failed{job="run_deductions"}') == 0
    assert 'backoffice_job_last_duration_seconds{job="judge_overdue_shipments"}' not in text  # still running


@pytest.mark.django_db
def test_i18_a_request_keeps_a_valid_incoming_request_id_and_answers_it(client):
    rid = uuid.uuid4().hex
    response = client.get("/api/v1/orders/", HTTP_X_REQUEST_ID=rid)
    assert response["X-Request-ID"] == rid
    fresh = client.get("/api/v1/orders/", HTTP_X_REQUEST_ID="not a uuid; injected")["X-Request-ID"]
    assert fresh != "not a uuid; injected" and uuid.UUID(fresh)


def test_i18_log_lines_are_json_with_the_request_id_and_pii_redacted(settings):
    """The production handler (LOGGING's json formatter and filters) on one record."""
    import io
    import logging.config

    from django_guid import clear_guid, set_guid

    config = json.loads(json.dumps(settings.LOGGING, default=str))
    stream = io.StringIO()
    config["handlers"] = {
        "capture": {
            "class": "logging.StreamHandler",
            "stream": stream,
            "formatter": "json",
            "filters": ["request_id", "redact_pii"],
        }
    }
    config["root"] = {"handlers": [], "level": "INFO"}
    config["loggers"] = {"i18.capture": {"handlers": ["capture"], "level": "INFO", "propagate": False}}
    config["formatters"]["json"] = settings.LOGGING["formatters"]["json"]
    logging.config.dictConfig(config)
    try:
        set_guid("6b1f2d0e8c1a4c7e9d3b5a7f1e2c4d6a")
        logging.getLogger("i18.capture").warning(
            "buyer %s wrote from %s with %s; form password=%s", "13812345678", "li.lei@example.com",
            "Token 0123456789abcdef0123", "hunter2",
        )  # fmt: skip
    finally:
        clear_guid()
        logging.config.dictConfig(settings.LOGGING)
    line = json.loads(stream.getvalue().strip())
    assert line["request_id"] == "6b1f2d0e8c1a4c7e9d3b5a7f1e2c4d6a"
    assert line["level"] == "WARNING" and line["logger"] == "i18.capture"
    assert datetime.fromisoformat(line["time"]).utcoffset() == timedelta(0)  # ISO 8601, UTC
    message = line["message"]
    assert "13812345678" not in message and "138****5678" in message
    assert "li.lei" not in message and "***@example.com" in message
    assert "0123456789abcdef0123" not in message and "Token ***" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("raw", "kept", "gone"),
    [
        ("phone +86 13912345678 called", "139****5678", "13912345678"),
        ('{"buyer_phone": "13700001111"}', "buyer_phone", "13700001111"),
        ("order O2026120300000123 shipped", "O2026120300000123", None),  # order numbers stay
        ("Authorization: Bearer abcdefghijklmnop", "Bearer ***", "abcdefghijklmnop"),
    ],
)
def test_i18_redaction_keeps_what_helps_and_drops_what_identifies(raw, kept, gone):
    out = redact(raw)
    assert kept in out
    if gone:
        assert gone not in out


def test_i18_redaction_covers_exception_text():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise ValueError("bad phone 13812345678")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RedactPII().filter(record)
    assert "13812345678" not in record.exc_text and "138****5678" in record.exc_text
