"""One settings module; every behaviour that differs between a laptop and
production comes from an environment variable.

Development (the default): SQLite under ``var/``, kombu's filesystem broker
under ``var/`` (no server), generated dev keys under ``var/``.
Production: ``DEBUG=0`` with ``SECRET_KEY``, ``FIELD_ENCRYPTION_KEY``,
``DATABASE_URL=postgres://…``, ``CELERY_BROKER_URL=redis://…`` and
``ALLOWED_HOSTS`` set; missing secrets refuse to start.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab  # noqa: F401  (used by beat entries)
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from config.limits import code_schema, id_schema

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)


def _secret(name: str, make) -> str:
    """A secret from the environment; in development, one generated once into
    an untracked file under ``var/``. Production refuses to start without it."""
    value = os.environ.get(name)
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")
    path = VAR_DIR / f"dev_{name.lower()}"
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


SECRET_KEY = _secret("SECRET_KEY", lambda: secrets.token_urlsafe(50))
# Key for the buyer's personal data at rest (rule O5): a Fernet key.
FIELD_ENCRYPTION_KEY = _secret("FIELD_ENCRYPTION_KEY", _fernet_key)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # django-unfold: the admin theme (README "Admin theme"); before the admin
    # so its templates win.
    "unfold.apps.BasicAppConfig",  # not its default: that one replaces admin.site
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    # The admin with the workbench home page (config/admin_site.py).
    "config.apps.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_celery_beat",
    "django_guid",  # issue 18: request id in logs, carried into enqueued tasks
    "axes",
    "django_otp",  # K1 (the SMS code device's base), K2 (staff TOTP + recovery codes)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "pgtrigger",  # P8: the deposit ledger's append-only trigger (PostgreSQL)
    "config",  # compile_catalogue command, templates
    "orders",
    "tickets",
    "penalties",
]

MIDDLEWARE = [
    "orders.redaction.RequestLogMiddleware",  # O5: the access log, query strings redacted
    "config.observability.RequestMetricsMiddleware",  # issue 18: per-view latency for /metrics
    "config.db_routing.ReadYourWritesMiddleware",  # issue 18: replica reads, read-your-writes
    "django.middleware.security.SecurityMiddleware",
    # Issue 18: static files (admin, theme, API docs) from the web process, hashed and compressed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_guid.middleware.guid_middleware",  # issue 18: a request id in every log line and task
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # K2: request.user.is_verified()
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web process and worker share the file: IMMEDIATE transactions and WAL
    # avoid "database is locked" (verified in shared/RECIPES.md).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
# Issue 18 point 4: a PostgreSQL streaming replica for the reading pages and
# exports (config/db_routing.py, with read-your-writes). Unset: one database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
    )
    # Test runs use the one test database for both (tests/test_replica.py starts from a real replica).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.db_routing.PrimaryReplicaRouter"]
# After a user's write, their replica-eligible reads wait for the replica this long at most.
REPLICA_RYW_SECONDS = int(os.environ.get("REPLICA_RYW_SECONDS", "300"))
REPLICA_EXPORT_WAIT_SECONDS = float(os.environ.get("REPLICA_EXPORT_WAIT_SECONDS", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

# --- Cache (throttles, export minute): shared by every process -------------
CACHE_URL = os.environ.get("CACHE_URL") or (
    os.environ.get("CELERY_BROKER_URL", "") if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") else ""
)
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# K2: staff sign in to the admin with a second factor (TOTP app or a one-time
# recovery code, django-otp). On whenever DEBUG is off unless set; off for
# ``make run`` (DEBUG on) and the tests.
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "Shop back office"

# django-axes: lock out a username+IP after repeated failed logins (admin and API).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "config.auth.lockout_response"
# django-axes reads the client address the same way as the throttles: the socket
# address unless NUM_PROXIES proxies are configured in front.
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("NUM_PROXIES", "0")) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if int(os.environ.get("NUM_PROXIES", "0")) else ["REMOTE_ADDR"]
)

# --- i18n / time ------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static / media -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATIC_BROTLI = env_bool("STATIC_BROTLI", True)
# Issue 18: WhiteNoise serves ``collectstatic``'s output (``make prod``) with
# hashed names (cached forever) and gzip/brotli copies; development keeps
# Django's plain storage so no collectstatic is needed for ``make run`` or tests.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.storage.StaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# django-unfold, the admin theme (config/admin_site.py). The site link goes to
# the workbench (there is no public site: "View site" was a 404).
UNFOLD = {
    "SITE_TITLE": _("Shop back office"),
    "SITE_HEADER": _("Shop back office"),
    "SITE_URL": "/admin/",
    "SITE_SYMBOL": "storefront",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_LANGUAGES": False,
    "BORDER_RADIUS": "6px",
    "SIDEBAR": {"show_search": True, "show_all_applications": True},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# JSON request bodies (config.parsers): larger answers 413, deeper nesting 400.
API_JSON_MAX_BYTES = int(os.environ.get("API_JSON_MAX_BYTES", str(1024 * 1024)))
API_JSON_MAX_DEPTH = int(os.environ.get("API_JSON_MAX_DEPTH", "32"))

# --- Production hardening (active when DEBUG is off) -------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- REST framework -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # One request content type per operation: JSON (with size and depth limits);
    # the ticket reply adds multipart for its images.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Client address for throttles: X-Forwarded-For is trusted only through this
    # many proxies in front of the app (0 = the socket address, the default).
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
    "DEFAULT_THROTTLE_RATES": {
        "auth_token": os.environ.get("AUTH_TOKEN_RATE", "20/min"),
    },
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": None,
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    # Tokens expire (a new login issues a fresh one); list and revoke at /api/v1/auth/tokens/.
    "TOKEN_TTL": timedelta(days=int(os.environ.get("AUTH_TOKEN_TTL_DAYS", "30"))),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Multi-shop back office API",
    "DESCRIPTION": "Merchant, support, reviewer and intake API. Errors: "
    '`{"code": "...", "detail": "..."}`; other shops\' rows answer 404.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The id and code path converters publish their limits (config.converters).
    "PATH_CONVERTER_OVERRIDES": {"id": id_schema(), "code": code_schema()},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Descriptions, error answers (with one example per code) and examples for every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.declare_error_responses",  # every status a view can answer
        "config.schema.postprocess",  # descriptions, codes and examples (merchant docs)
        "config.schema.publish_text_limits",  # free text in bodies: no NUL
    ],
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "ShopStatusEnum": "orders.models.Shop.Status",
        "ProductStatusEnum": "orders.models.Product.Status",
        "CancellationStatusEnum": "orders.models.CancellationRequest.Status",
        "CancellationReasonEnum": "orders.models.CancellationRequest.Reason",
        "RefundStatusEnum": "orders.models.Refund.Status",
        "RefundRouteEnum": "orders.models.Refund.Route",
        "AfterSaleStatusEnum": "orders.models.AfterSale.Status",
        "AfterSaleReasonEnum": "orders.models.AfterSale.Reason",
        "AfterSaleTypeEnum": "orders.models.AfterSale.Type",
        "ActorRoleEnum": "orders.models.Actor",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "TicketOutcomeEnum": "tickets.models.Ticket.Outcome",
        "TicketActorRoleEnum": "tickets.models.TicketEvent.ActorRole",
        "ExportStatusEnum": "orders.exports.models.Export.Status",
        "ExportFormatEnum": "orders.exports.models.Export.Format",
        "AppealReasonEnum": "penalties.models.Appeal.Reason",
        "AppealStatusEnum": "penalties.models.Appeal.Status",
    },
}

# --- Celery -------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A message whose worker died unacknowledged is redelivered after this
    # (on the next worker start, or the periodic sweep of a running worker).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Issue 18: the worker logs through LOGGING below (JSON lines with the request id).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Issue 18 point 3: beat-critical jobs on ``critical``, bulk work (exports,
# imports, webhook deliveries) on ``bulk``, the rest on ``default``. A worker
# started without ``-Q`` consumes all three (``make run``); production runs
# separate workers per queue (README, "PostgreSQL + Redis (production)").
CELERY_QUEUE_NAMES = ("critical", "default", "bulk")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in CELERY_QUEUE_NAMES]
CELERY_CRITICAL_TASKS = (
    "penalties.judge_overdue_shipments",
    "penalties.run_deductions",
    "penalties.auto_close_orders",
    "orders.auto_close",
    "tickets.time_out_tickets",
    "orders.process_refund",
    "orders.process_refunds",
)
CELERY_TASK_ROUTES = {
    **{name: {"queue": "critical"} for name in CELERY_CRITICAL_TASKS},
    # The export sweepers are quick bookkeeping: kept off the bulk queue they watch.
    "orders.requeue_stale_exports": {"queue": "default"},
    "orders.expire_exports": {"queue": "default"},
    "orders.run_export": {"queue": "bulk"},
    "*.run_export*": {"queue": "bulk"},
    "*import*": {"queue": "bulk"},
    "*webhook*": {"queue": "bulk"},
}

# Schedules live here, in code; django-celery-beat shows them in the admin.
# Every entry must name a registered task (tests/test_beat_schedule.py).
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {
        "task": "orders.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # T3: tickets still pending at their deadline are closed as timed out.
    "tickets-time-out": {
        "task": "tickets.time_out_tickets",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Reminder when a pending ticket has TICKET_REMINDER_HOURS left.
    "tickets-remind": {
        "task": "tickets.remind_tickets",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # O4: shipped orders with no tracking update for 72 h.
    "orders-flag-logistics-abnormal": {
        "task": "orders.flag_logistics_abnormal",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 600},
    },
    # F1: the refund sweeper: calls the gateway for refunds due (first call
    # whose task was lost, or a retry after an unanswered call, with backoff).
    "orders-process-pending-refunds": {
        "task": "orders.process_refunds",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # O6: delivered orders whose confirmation window ended → completed;
    # orders unpaid for UNPAID_CLOSE_MINUTES → closed.
    "orders-complete-delivered": {
        "task": "orders.complete_delivered",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 600},
    },
    "orders-close-unpaid": {
        "task": "orders.close_unpaid",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # W1: the outbox sweeper delivers what a lost message or a killed process
    # left behind, and the retries that are due (backoff).
    "orders-webhooks-sweep": {
        "task": "orders.webhooks_sweep",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # W3: imports whose message was lost or whose worker died are run again.
    "orders-requeue-shipment-imports": {
        "task": "orders.requeue_shipment_imports",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "orders-purge-idempotency-keys": {
        "task": "orders.purge_idempotency_keys",
        "schedule": crontab(minute=17, hour=4),
        "options": {"expires": 3600},
    },
    # Penalties (P1–P8, R1). Crontabs are in CELERY_TIMEZONE (Asia/Shanghai).
    "penalties-judge-overdue-shipments": {
        "task": "penalties.judge_overdue_shipments",
        "schedule": 60.0 * int(os.environ.get("JUDGE_INTERVAL_MINUTES", "5")),
        "options": {"expires": 60 * int(os.environ.get("JUDGE_INTERVAL_MINUTES", "5"))},
    },
    "penalties-run-deductions": {
        "task": "penalties.run_deductions",
        "schedule": crontab(hour=0, minute=30),
        "options": {"expires": 6 * 3600},
    },
    "penalties-auto-close-orders": {
        "task": "penalties.auto_close_orders",
        "schedule": crontab(hour=1, minute=0),
        "options": {"expires": 6 * 3600},
    },
    "penalties-compute-ratings": {
        "task": "penalties.compute_ratings",
        "schedule": crontab(hour=1, minute=30),
        "options": {"expires": 6 * 3600},
    },
    # X3: re-send export jobs left queued (broker outage); fail jobs whose worker died.
    "exports-requeue-stale": {
        "task": "orders.requeue_stale_exports",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # X3: delete export files and records after EXPORT_TTL_DAYS.
    "exports-expire": {
        "task": "orders.expire_exports",
        "schedule": crontab(minute=17),
        "options": {"expires": 1800},
    },
}
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24"))

# F1: the refund gateway (orders/gateways.py). The sandbox refuses every refund
# when REFUND_SANDBOX_FAIL is on, or while the cache flag is set
# (orders.gateways.sandbox_fail(True)); REFUND_SANDBOX_MODE=timeout or
# connection_error makes it unreachable instead (orders.gateways.sandbox_mode()).
REFUND_GATEWAY = os.environ.get("REFUND_GATEWAY", "orders.gateways.SandboxGateway")
# Issue 15: a top-up above this (yuan) needs a second reviewer and a reference number.
TOPUP_FOUR_EYES_LIMIT = os.environ.get("TOPUP_FOUR_EYES_LIMIT", "50000.00")
REFUND_SANDBOX_FAIL = env_bool("REFUND_SANDBOX_FAIL", False)
REFUND_SANDBOX_MODE = os.environ.get("REFUND_SANDBOX_MODE", "")

# Test-only: a batch job sleeps at this named point (config.testhooks.hang_point)
# after writing JOB_TEST_HANG_FILE, so a test can SIGKILL the worker mid-job.
JOB_TEST_HANG = os.environ.get("JOB_TEST_HANG", "")
JOB_TEST_HANG_FILE = os.environ.get("JOB_TEST_HANG_FILE", "")

# K1: the SMS provider (config/sms.py). The default writes the code to the log.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "config.sms.LogBackend")

# W2: a "changed since T" list stops this many seconds before now, so a change
# whose transaction is still committing cannot land behind a client's cursor.
SYNC_SETTLE_SECONDS = int(os.environ.get("SYNC_SETTLE_SECONDS", "5"))

# W1: event push. Targets must be public addresses (checked at registration
# and again, resolved, at every delivery) unless private targets are allowed.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = 3.0
WEBHOOK_READ_TIMEOUT_SECONDS = 5.0
WEBHOOK_RETRY_HOURS = 24  # then the delivery is dead and the merchant notified
WEBHOOK_RETRY_BASE_SECONDS = 30  # first retry, doubling
WEBHOOK_RETRY_MAX_SECONDS = 3600  # longest wait between two attempts
WEBHOOK_ATTEMPT_LEASE_SECONDS = 60  # a claimed attempt not finished by then is retried
WEBHOOK_PAUSE_AFTER_DEAD = 5  # dead deliveries in a row that pause the endpoint
WEBHOOK_DELIVERY_THREADS = 8  # concurrent POSTs per delivery batch (the waits are the network's)

# W3: bulk shipping by file: at most this many rows per file.
SHIPMENT_IMPORT_MAX_ROWS = 10_000

# --- Platform rules: every default in one place (shared/RULES.md) ----------------
PLATFORM = {
    "SHIP_HOURS": 48,  # O3
    "LOGISTICS_ABNORMAL_HOURS": 72,  # O4
    "CANCEL_WINDOW_MINUTES": 120,  # C1
    "TICKET_DEFAULT_SLA_HOURS": 24,  # T1
    "TICKET_REMINDER_HOURS": 2,  # reminder before a ticket's deadline
    "TICKET_EVIDENCE_MAX_IMAGES": 4,  # images per ticket reply
    "TICKET_EVIDENCE_MAX_BYTES": 5 * 1024 * 1024,  # per image
    "TICKET_EVIDENCE_MAX_PIXELS": int(os.environ.get("TICKET_EVIDENCE_MAX_PIXELS", str(40_000_000))),  # per image
    "TICKET_TIMEOUT_BATCH": 2000,  # T3 job: tickets closed per statement
    "JUDGE_INTERVAL_MINUTES": int(os.environ.get("JUDGE_INTERVAL_MINUTES", "5")),  # P1
    "REJUDGE_HOURS": 24,  # P2
    "MAX_JUDGEMENTS": 3,  # P2
    "DEDUCTION_AMOUNT": "10.00",  # P3
    "MAX_DEDUCTIONS_PER_ORDER": 2,  # P3
    "DAILY_DEDUCTION_CAP": "500.00",  # P3
    "BAN_AFTER_JUDGEMENTS": 2,  # P4: banned when judged more than this
    "AUTO_CLOSE_DAYS": 150,  # P7
    "CONFIRM_RECEIPT_DAYS": 10,  # O6: delivered → completed after the buyer's window
    "UNPAID_CLOSE_MINUTES": 30,  # O6: pending_payment this long → closed as unpaid
    "REFUND_RETRY_BASE_SECONDS": 60,  # F1: first retry after an unanswered call, doubling
    "REFUND_RETRY_MAX_SECONDS": 3600,  # F1: longest wait between two calls
    "REFUND_CALL_LEASE_SECONDS": 300,  # F1: a claimed call not answered by then is retried
    "REFUND_UNREACHABLE_HOURS": 24,  # F1: then the alternative route
    "RATING_WINDOW_DAYS": 30,  # R1
    "EXPORT_MAX_ROWS": 50_000,  # X1
    "EXPORT_INTERVAL_SECONDS": 60,  # X2
    "EXPORT_TTL_DAYS": 7,  # X3
    "APPEAL_WINDOW_DAYS": 7,  # V1: an appeal within 7 days of the judgement
    "APPEAL_REVIEW_HOURS": 48,  # V2: reviewers' target
    "VERIFY_CODE_DIGITS": 6,  # K1
    "VERIFY_CODE_TTL_SECONDS": 300,  # K1: a code is valid 5 minutes
    "VERIFY_MAX_TRIES": 5,  # K1: 5 wrong tries void the code
    "VERIFY_RESEND_SECONDS": 60,  # K1: one code a minute
    "VERIFY_GRANT_MINUTES": 10,  # K1: a verification lasts 10 minutes for that login
}

# --- Observability (issue 18 point 2: config/observability.py) -------------------
# /metrics answers a ``Authorization: Bearer $METRICS_TOKEN`` request, or one
# from an address in METRICS_ALLOWED_IPS (addresses or networks).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1/32,::1/128")
# django-guid: every request gets an id (or keeps a valid incoming X-Request-ID),
# answered in X-Request-ID, written on each log line and sent with each task it
# enqueues, so the worker's lines for that task carry it too.
from django_guid.integrations import CeleryIntegration  # noqa: E402

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=False)],
}
# JSON lines in production (LOG_FORMAT=json, the default when DEBUG is off);
# phones, e-mail addresses, tokens and secret fields are redacted in both formats.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId"},
        # One filter: tokens, secrets, e-mails (config/observability.py) and O5's
        # buyer phones (orders/redaction.py), on every handler.
        "redact_pii": {"()": "orders.redaction.RedactPII"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(process)d %(correlation_id)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger", "correlation_id": "request_id"},
            "timestamp": "time",  # ISO 8601, UTC
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id", "redact_pii"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_guid": {"level": "WARNING"},
        # runserver's request lines go through the redacting handler too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
