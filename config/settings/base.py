"""Settings shared by every environment, read from environment variables.

The defaults run Hubgate on a laptop with nothing installed: SQLite, files on local disk,
Celery tasks executed eagerly in-process. Production overrides live in ``production.py``.
"""

import re
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# An optional .env beside manage.py, for local development only.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Recognised by production.py, which refuses to start while it is still in use.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-hubgate-development-only"  # noqa: S105

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
# The audit chain's HMAC key, likewise refused by production.py while it is the default.
INSECURE_DEFAULT_AUDIT_KEY = "hubgate-development-only-audit-key"
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env.str("HUBGATE_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "guardian",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Content-Security-Policy headers (and request.csp_nonce) on every response.
    "csp",
    # PostgreSQL full-text and trigram lookups for search; inert on SQLite.
    "django.contrib.postgres",
    "governance.api",
    "governance.accounts",
    "governance.catalog",
    "governance.ingest",
    "governance.scanning",
    "governance.audit",
    "governance.gates",
    "governance.lifecycle",
    "governance.scoring",
    "governance.approvals",
    "governance.licensing",
    "governance.usage",
    "governance.connectors",
    "governance.compat",
    "governance.events",
    "governance.portal",
    # Community (issue 11): reviews, comments, favorites, follows, collections, moderation.
    "governance.community",
    # Search (issue 10): full-text, semantic and visual indexes of the catalog.
    "governance.discovery",
    # Recommendations and quality (issue 10): item-item matrix, composite quality, compatibility.
    "governance.recommendations",
    # The CI quality gate (POST /api/gate/check/, hubgate check): above approvals.
    "governance.ci",
    # Sign-in (issue 9): local accounts, OpenID Connect and SAML 2.0, sessions per user.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.usersessions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "governance.headers.PermissionsPolicyMiddleware",
    "governance.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

#: Reverse proxies (addresses or CIDRs) whose X-Forwarded-For is believed when working out a
#: request's client address (governance.net.client_address: rate limits, sign-in limits,
#: sessions). Empty: the TCP peer is the client and X-Forwarded-For is ignored, since
#: anyone can send it. Behind a load balancer, list its addresses (e.g. 10.0.0.0/8).
HUBGATE_TRUSTED_PROXIES = env.list("HUBGATE_TRUSTED_PROXIES", default=[])

#: Destinations (host names, addresses or CIDRs) that outbound connections may reach even
#: though they are internal: governance.net refuses private, loopback, link-local, multicast,
#: reserved and cloud-metadata addresses for the hub connector, its downloads and webhooks.
#: List a hub mirror or webhook receiver inside your network here, nothing broader.
HUBGATE_OUTBOUND_ALLOW = env.list("HUBGATE_OUTBOUND_ALLOW", default=[])

# --- Browser security headers -------------------------------------------------------------
# Content-Security-Policy on every response (django-csp): scripts and styles only from our
# own static files (no inline script, style or event handler anywhere in templates/),
# previews from the hubs' https image hosts, nothing framed, no plugins. A page that truly
# needs an inline block uses request.csp_nonce; the API docs pages relax style-src for
# themselves only (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "https:", "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
#: Browser features no page uses, denied to every page (governance.headers).
HUBGATE_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), serial=(), hid=(), "
    "xr-spatial-tracking=(), browsing-topics=()"
)
# Scripts never read the CSRF cookie: forms carry the token, htmx sends it from the
# hx-headers attribute on <body> (templates/base.html), upload.js from its form.
CSRF_COOKIE_HTTPONLY = True

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.portal.context_processors.pending_reviews",
            ],
        },
    },
]

# Unset DATABASE_URL means a SQLite file under var/, so `make run` needs no server.
if not env.str("DATABASE_URL", default=""):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hubgate.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: a write-ahead log lets readers run beside the writer, and a commit
    # (a download's usage event) does not wait for an fsync; a power cut can lose the last
    # commits, an application crash cannot (https://sqlite.org/wal.html).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Throttling counters and other shared caches: Redis in production (CACHE_URL=redis://…),
# process memory on a laptop.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# No guardian anonymous user: anonymous access is decided by Hubgate's own settings.
ANONYMOUS_USER_NAME = None
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:catalog"
LOGOUT_REDIRECT_URL = "account_login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Files on local disk by default; any S3-compatible object store by setting
# HUBGATE_STORAGE=s3 plus the AWS_* variables django-storages reads.
if env.str("HUBGATE_STORAGE", default="local") == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

#: API keys expire at the latest after this many days.
HUBGATE_API_KEY_MAX_DAYS = env.int("HUBGATE_API_KEY_MAX_DAYS", default=365)
#: How long a key's row stays in the cache (0: never cached). A revocation or deactivation
#: drops it at once from a shared cache (CACHE_URL=redis://…); a per-process memory cache in
#: another web process keeps it at most this long.
HUBGATE_API_KEY_CACHE_SECONDS = env.int("HUBGATE_API_KEY_CACHE_SECONDS", default=30)

# Uploads: the largest file accepted, and how long an unfinished resumable upload is kept.
HUBGATE_MAX_UPLOAD_BYTES = env.int("HUBGATE_MAX_UPLOAD_BYTES", default=64 * 1024**3)
HUBGATE_UPLOAD_TTL_HOURS = env.int("HUBGATE_UPLOAD_TTL_HOURS", default=24)
HUBGATE_UPLOAD_MAX_CHUNK_BYTES = env.int("HUBGATE_UPLOAD_MAX_CHUNK_BYTES", default=256 * 1024**2)


def _env_bytes(name: str, default: str) -> int:
    """A size from the environment: plain bytes or with a unit ("20GiB", "500 MB", "1.5T")."""
    raw = env.str(name, default=default)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:([kmgtp])(i?)b?|b)?\s*", raw, re.IGNORECASE)
    if match is None:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a size like 20GiB, 500MB or 1048576")
    number, prefix, binary = match.groups()
    power = "kmgtp".index(prefix.lower()) + 1 if prefix else 0
    return int(float(number) * (1024 if binary or not prefix else 1000) ** power)


#: Upload quotas (0: unlimited). In flight: the declared sizes of a user's (or a team's)
#: unfinished uploads; stored: the blobs their uploads stored. A team is charged for uploads
#: to its models; an upload to no version is charged to its user only.
HUBGATE_UPLOAD_QUOTA_USER_INFLIGHT = _env_bytes("HUBGATE_UPLOAD_QUOTA_USER_INFLIGHT", "128GiB")
HUBGATE_UPLOAD_QUOTA_USER_STORED = _env_bytes("HUBGATE_UPLOAD_QUOTA_USER_STORED", "1TiB")
HUBGATE_UPLOAD_QUOTA_TEAM_INFLIGHT = _env_bytes("HUBGATE_UPLOAD_QUOTA_TEAM_INFLIGHT", "512GiB")
HUBGATE_UPLOAD_QUOTA_TEAM_STORED = _env_bytes("HUBGATE_UPLOAD_QUOTA_TEAM_STORED", "4TiB")
#: The purge (beat, every HUBGATE_UPLOAD_PURGE_SECONDS) deletes expired uploads at once, and
#: failed, aborted or stuck uploads and blobs attached to nothing once they are this old.
HUBGATE_UPLOAD_PURGE_GRACE_HOURS = env.int("HUBGATE_UPLOAD_PURGE_GRACE_HOURS", default=7 * 24)
HUBGATE_UPLOAD_PURGE_SECONDS = env.int("HUBGATE_UPLOAD_PURGE_SECONDS", default=60 * 60)

# --- Celery ------------------------------------------------------------------------------
# Unset CELERY_BROKER_URL: tasks run eagerly in-process, so nothing else has to be running.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Work that must not be lost is acknowledged only after it ran, and requeued if the worker
# process dies under it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message not acknowledged within this time is redelivered (Redis): it must outlast the
# longest task, or a long scan would run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 15 * 60}
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_BEAT_SCHEDULE = {
    # Search indexes catch up with bulk imports (which send no model signals).
    "reindex-stale-search-documents": {
        "task": "governance.discovery.tasks.reindex_stale_task",
        "schedule": 60,
    },
    "requeue-stale-scans": {
        "task": "governance.scanning.tasks.requeue_stale_scans_task",
        "schedule": 5 * 60,
    },
    # The outbox relay: re-queues webhook deliveries whose Celery message was lost.
    "retry-overdue-webhook-deliveries": {
        "task": "governance.events.tasks.retry_overdue_deliveries_task",
        "schedule": 60,
    },
    "retire-sunset-versions": {
        "task": "governance.lifecycle.tasks.retire_due_versions_task",
        "schedule": 60 * 60,
    },
    "expire-waivers": {
        "task": "governance.approvals.tasks.expire_waivers_task",
        "schedule": 15 * 60,
    },
    "expire-license-decisions": {
        "task": "governance.licensing.tasks.expire_license_decisions_task",
        "schedule": 15 * 60,
    },
    # Expired and abandoned uploads and blobs attached to nothing would fill the disk.
    "purge-stale-uploads": {
        "task": "governance.ingest.tasks.purge_stale_uploads_task",
        "schedule": HUBGATE_UPLOAD_PURGE_SECONDS,
    },
}
#: Licensing: the company's annual revenue in USD (revenue-capped licenses such as the
#: Stability AI Community License need it; unset, commercial use under them needs review),
#: the reviewer roles that may record license decisions, and how long a decision may last.
HUBGATE_ANNUAL_REVENUE_USD = env.int("HUBGATE_ANNUAL_REVENUE_USD", default=None)
HUBGATE_LICENSE_REVIEWER_ROLES = env.list("HUBGATE_LICENSE_REVIEWER_ROLES", default=["legal"])
HUBGATE_LICENSE_DECISION_MAX_DAYS = env.int("HUBGATE_LICENSE_DECISION_MAX_DAYS", default=365)
#: The longest a waiver may run before it must be granted again.
HUBGATE_WAIVER_MAX_DAYS = env.int("HUBGATE_WAIVER_MAX_DAYS", default=180)
#: A scan that failed this many times (worker lost each time) is recorded as an error.
HUBGATE_SCAN_MAX_ATTEMPTS = env.int("HUBGATE_SCAN_MAX_ATTEMPTS", default=3)
#: One scan's budget (0: none): past it the scanners are stopped and the scan ends with a
#: high `scan_budget_exceeded` finding. Time stays under the task's soft limit; bytes are
#: what all scanners of one file read together (several read the whole file).
HUBGATE_SCAN_MAX_SECONDS = env.float("HUBGATE_SCAN_MAX_SECONDS", default=30 * 60)
HUBGATE_SCAN_MAX_BYTES = _env_bytes("HUBGATE_SCAN_MAX_BYTES", "512GiB")

# --- Audit log (governance.audit) ---------------------------------------------------------
#: The secret that keys the audit chain (HMAC-SHA256). Keep it outside the database, so that
#: someone who can write to the database cannot recompute the chain; changing it makes every
#: entry written under the old one fail `audit verify`.
HUBGATE_AUDIT_KEY = env.str("HUBGATE_AUDIT_KEY", default=INSECURE_DEFAULT_AUDIT_KEY)
#: Where `audit anchor` (and beat, every HUBGATE_AUDIT_ANCHOR_SECONDS) copies the head:
#: file:///path (JSON lines, append-only) or s3://bucket/prefix (S3 Object Lock); unset: nowhere.
HUBGATE_AUDIT_ANCHOR = env.str("HUBGATE_AUDIT_ANCHOR", default="")
HUBGATE_AUDIT_ANCHOR_SECONDS = env.int("HUBGATE_AUDIT_ANCHOR_SECONDS", default=60 * 60)
#: S3 anchors: Object Lock mode (COMPLIANCE: nobody can delete; GOVERNANCE: a privileged role
#: can), days each anchor is retained, and the endpoint/region for S3-compatible stores.
HUBGATE_AUDIT_ANCHOR_LOCK_MODE = env.str("HUBGATE_AUDIT_ANCHOR_LOCK_MODE", default="COMPLIANCE")
HUBGATE_AUDIT_ANCHOR_RETAIN_DAYS = env.int("HUBGATE_AUDIT_ANCHOR_RETAIN_DAYS", default=400)
HUBGATE_AUDIT_ANCHOR_ENDPOINT_URL = env.str(
    "HUBGATE_AUDIT_ANCHOR_ENDPOINT_URL", default=env.str("AWS_S3_ENDPOINT_URL", default="")
)
HUBGATE_AUDIT_ANCHOR_REGION = env.str(
    "HUBGATE_AUDIT_ANCHOR_REGION", default=env.str("AWS_S3_REGION_NAME", default="")
)
if HUBGATE_AUDIT_ANCHOR:
    CELERY_BEAT_SCHEDULE["anchor-audit-head"] = {
        "task": "governance.audit.tasks.anchor_audit_head_task",
        "schedule": HUBGATE_AUDIT_ANCHOR_SECONDS,
    }

# --- E-mail and webhooks (governance.events) ----------------------------------------------
# EMAIL_URL in django-environ's form, e.g. smtp+tls://user:password@smtp.example.com:587;
# unset writes each e-mail as a file under var/mail/ (read them there when trying Hubgate).
_email = env.email_url("EMAIL_URL", default="filemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# A mail server that does not answer must not hold a Celery worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Hubgate <hubgate@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
#: A webhook delivery is given up (failed) after this many attempts.
HUBGATE_WEBHOOK_MAX_ATTEMPTS = env.int("HUBGATE_WEBHOOK_MAX_ATTEMPTS", default=8)
#: Whole-request timeout of one delivery attempt; connecting alone gets at most 5 s of it.
HUBGATE_WEBHOOK_TIMEOUT_SECONDS = env.float("HUBGATE_WEBHOOK_TIMEOUT_SECONDS", default=15.0)

# --- Usage and community (governance.usage, governance.community) -------------------------
#: How a usage event is written: "insert" (one INSERT in the request) or "queue" (a Celery
#: task after commit, falling back to the INSERT when the broker cannot take it).
HUBGATE_USAGE_RECORDING = env.str("HUBGATE_USAGE_RECORDING", default="insert")
#: How often Celery beat folds usage events into daily counters (today and yesterday).
HUBGATE_USAGE_AGGREGATE_SECONDS = env.int("HUBGATE_USAGE_AGGREGATE_SECONDS", default=15 * 60)
CELERY_BEAT_SCHEDULE["aggregate-daily-usage"] = {
    "task": "governance.usage.tasks.aggregate_daily_usage_task",
    "schedule": HUBGATE_USAGE_AGGREGATE_SECONDS,
}

# --- CivitAI in and out (governance.connectors, governance.compat) -------------------------
#: The hub the connector imports from; the API key (a CivitAI key, sent only as a Bearer
#: header to this origin) is needed for creators' "login required" downloads.
HUBGATE_CIVITAI_BASE_URL = env.str("HUBGATE_CIVITAI_BASE_URL", default="https://civitai.com")
HUBGATE_CIVITAI_API_KEY = env.str("HUBGATE_CIVITAI_API_KEY", default="")
HUBGATE_CIVITAI_TIMEOUT_SECONDS = env.float("HUBGATE_CIVITAI_TIMEOUT_SECONDS", default=30.0)
#: Tries per request (timeouts, 5xx and 429 are retried with backoff and jitter).
HUBGATE_CIVITAI_ATTEMPTS = env.int("HUBGATE_CIVITAI_ATTEMPTS", default=5)
#: A listing with more pages than this is treated as endless.
HUBGATE_CIVITAI_MAX_PAGES = env.int("HUBGATE_CIVITAI_MAX_PAGES", default=10_000)
#: Downloads from the hub at once, across every worker (slots in the cache: set CACHE_URL).
HUBGATE_CIVITAI_DOWNLOAD_CONCURRENCY = env.int("HUBGATE_CIVITAI_DOWNLOAD_CONCURRENCY", default=2)
#: How often Celery beat re-syncs tracked models.
HUBGATE_CIVITAI_SYNC_SECONDS = env.int("HUBGATE_CIVITAI_SYNC_SECONDS", default=6 * 60 * 60)
CELERY_BEAT_SCHEDULE["sync-tracked-civitai-models"] = {
    "task": "governance.connectors.tasks.sync_tracked_task",
    "schedule": HUBGATE_CIVITAI_SYNC_SECONDS,
}
#: Whether callers without a key may read the company-wide approved catalog through the
#: CivitAI-compatible API (/api/v1/…). On for a laptop and the demo; production turns it off.
HUBGATE_COMPAT_ANONYMOUS_READ = env.bool("HUBGATE_COMPAT_ANONYMOUS_READ", default=True)

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "governance.api.authentication.HasScope",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "governance.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["governance.api.authentication.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "apikey": env.str("HUBGATE_API_RATE", default="6000/min"),
        # The CivitAI-compatible API (/api/v1/…), per key, user or client address.
        "civitai": env.str("HUBGATE_COMPAT_RATE", default="6000/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "governance.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # drf-spectacular's, plus the problem+json error responses of every operation.
    "DEFAULT_SCHEMA_CLASS": "governance.api.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "governance.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hubgate API",
    "DESCRIPTION": (
        "Governance for AI models taken from community hubs: the catalog of models, "
        "versions, files, creators and tags; uploads, scans and findings; requests, reviews, "
        "waivers and gate runs; the CI gate check (`POST /api/gate/check/`); usage events; "
        "API keys; and, for administrators, teams, memberships, service accounts and the "
        "audit log. Programs authenticate with `Authorization: Bearer hg_…` API keys whose "
        "scopes (read, request, review, admin, ci) limit them. Every error is one shape, an "
        "RFC 9457 problem document (`application/problem+json`); state-changing calls marked "
        "so accept an `Idempotency-Key`."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ScanResultEnum": "governance.catalog.models.ScanResult",
        "VersionStateEnum": "governance.catalog.models.VersionState",
        "RequestStateEnum": "governance.approvals.models.ModelRequest.State",
        "ScanVerdictEnum": "governance.scanning.models.Verdict",
        "GateRunOutcomeEnum": "governance.gates.models.GateRun.Outcome",
        "CheckVerdictEnum": "governance.ci.check.VERDICT_CHOICES",
        "GateReasonCodeEnum": "governance.ci.check.REASON_CODE_CHOICES",
        "LicenseVerdictEnum": "governance.licensing.api.serializers.VERDICT_CHOICES",
        "ContentStatusEnum": "governance.community.models.ContentStatus",
        "ReportStatusEnum": "governance.community.models.Report.Status",
    },
}

# --- Plugins -----------------------------------------------------------------------------
# Plugins load from the "hubgate" entry-point group. Disable one by its entry-point name;
# configure one under its name: HUBGATE_PLUGINS = {"tag_overlap": {"min_score": 0.2}}.
HUBGATE_DISABLED_PLUGINS = env.list("HUBGATE_DISABLED_PLUGINS", default=[])
HUBGATE_PLUGINS = env.json("HUBGATE_PLUGINS", default={})
# Plugin modules that are not installed as packages (a site's own), by import path.
HUBGATE_PLUGIN_MODULES = env.list("HUBGATE_PLUGIN_MODULES", default=[])

# Every handler redacts secrets (?token=… and the other parameters listed in
# governance.redaction, Hubgate keys) before writing: CivitAI-style clients send their key
# in the query string, which the development server and django.request would log verbatim.
# Django's own handlers are replaced here, so no record reaches an unfiltered one.
_log_level = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "governance.redaction.RedactSecretsFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": _log_level},
    "loggers": {
        "django": {"handlers": ["console"], "level": _log_level, "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # picklescan warns about every non-pickle it is shown; our scanner reports what matters.
        "picklescan": {"level": "ERROR"},
    },
}

# --- Sign-in: django-allauth (local accounts, OpenID Connect, SAML 2.0) --------------------
# Local username/password accounts stay for development and the demo; a company signs in
# through its IdP. Providers come from the environment below or from the admin (Social
# applications); nobody signs up without the IdP (local sign-up is closed).
ACCOUNT_ADAPTER = "governance.accounts.sso.HubgateAccountAdapter"
SOCIALACCOUNT_ADAPTER = "governance.accounts.sso.HubgateSocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = None
#: Local password sign-in (the demo users); production may turn it off and rely on the IdP.
HUBGATE_LOCAL_LOGIN = env.bool("HUBGATE_LOCAL_LOGIN", default=True)
SOCIALACCOUNT_AUTO_SIGNUP = True  # users are provisioned at their first IdP sign-in
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never link an account by an unverified e-mail
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_ONLY = False
USERSESSIONS_TRACK_ACTIVITY = False
SOCIALACCOUNT_PROVIDERS: dict = {
    "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": []},
    "saml": {"APPS": []},
}
#: OpenID Connect: the issuer URL (its /.well-known/openid-configuration is read), the
#: client registered there for Hubgate, and the scopes (the groups claim needs its scope).
HUBGATE_OIDC_SERVER_URL = env.str("HUBGATE_OIDC_SERVER_URL", default="")
if HUBGATE_OIDC_SERVER_URL:
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": env.str("HUBGATE_OIDC_PROVIDER_ID", default="company"),
            "name": env.str("HUBGATE_OIDC_NAME", default="Company sign-in"),
            "client_id": env.str("HUBGATE_OIDC_CLIENT_ID"),
            "secret": env.str("HUBGATE_OIDC_CLIENT_SECRET"),
            "settings": {
                "server_url": HUBGATE_OIDC_SERVER_URL,
                "scope": env.list(
                    "HUBGATE_OIDC_SCOPES", default=["openid", "profile", "email", "groups"]
                ),
                "token_auth_method": env.str(
                    "HUBGATE_OIDC_TOKEN_AUTH_METHOD", default="client_secret_post"
                ),
            },
        }
    )
#: SAML 2.0: the organization slug in /accounts/saml/<slug>/…, the IdP's entity id and
#: metadata URL (or SSO URL and certificate), and which attributes carry the id and e-mail.
HUBGATE_SAML_IDP_ENTITY_ID = env.str("HUBGATE_SAML_IDP_ENTITY_ID", default="")
if HUBGATE_SAML_IDP_ENTITY_ID:
    SOCIALACCOUNT_PROVIDERS["saml"]["APPS"].append(
        {
            "name": env.str("HUBGATE_SAML_NAME", default="Company SAML sign-in"),
            "provider_id": HUBGATE_SAML_IDP_ENTITY_ID,
            "client_id": env.str("HUBGATE_SAML_ORGANIZATION", default="company"),
            "settings": {
                "attribute_mapping": {
                    "uid": env.str("HUBGATE_SAML_UID_ATTRIBUTE", default="uid"),
                    "email": env.str("HUBGATE_SAML_EMAIL_ATTRIBUTE", default="email"),
                    "username": env.str("HUBGATE_SAML_USERNAME_ATTRIBUTE", default="uid"),
                },
                # The IdP's metadata URL, or its sign-in URL and signing certificate.
                "idp": {
                    "entity_id": HUBGATE_SAML_IDP_ENTITY_ID,
                    **(
                        {"metadata_url": env.str("HUBGATE_SAML_IDP_METADATA_URL")}
                        if env.str("HUBGATE_SAML_IDP_METADATA_URL", default="")
                        else {
                            "sso_url": env.str("HUBGATE_SAML_IDP_SSO_URL"),
                            "x509cert": env.str("HUBGATE_SAML_IDP_X509CERT"),
                        }
                    ),
                },
            },
        }
    )
#: IdP group → team / reviewer role, applied at every sign-in (added and removed). Rows of
#: the "IdP group mappings" admin come first; this is the default, e.g.
#: {"hubgate-studio": {"team": "creative-studio", "role": "member"},
#:  "hubgate-security": {"reviewer_role": "security"}}.
HUBGATE_IDP_GROUP_MAPPING = env.json("HUBGATE_IDP_GROUP_MAPPING", default={})
#: The claims (OIDC) or attributes (SAML) the groups are read from, first found wins.
HUBGATE_IDP_GROUP_CLAIMS = env.list(
    "HUBGATE_IDP_GROUP_CLAIMS",
    default=[
        "groups",
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
        "memberOf",
    ],
)
#: Sign-out ends the user's other sessions too ("sign out everywhere") and the IdP session
#: (OpenID Connect RP-initiated logout through the IdP's end_session_endpoint).
HUBGATE_LOGOUT_EVERYWHERE = env.bool("HUBGATE_LOGOUT_EVERYWHERE", default=True)

# --- Recommendations and quality (governance.recommendations) ---------------------------
#: Days of implicit feedback the item-item matrix is built from, and its rebuild period.
HUBGATE_RECS_WINDOW_DAYS = env.int("HUBGATE_RECS_WINDOW_DAYS", default=365)
HUBGATE_RECS_REFRESH_SECONDS = env.int("HUBGATE_RECS_REFRESH_SECONDS", default=60 * 60)
CELERY_BEAT_SCHEDULE["refresh-item-similarity"] = {
    "task": "governance.recommendations.tasks.refresh_item_similarity_task",
    "schedule": HUBGATE_RECS_REFRESH_SECONDS,
}
#: Weights of the composite quality score per metric; "default" for metrics not listed.
HUBGATE_QUALITY_WEIGHTS = env.json("HUBGATE_QUALITY_WEIGHTS", default={})
#: Exponent of the composite's weighted power mean (1 arithmetic, 0 geometric, -1 harmonic).
HUBGATE_QUALITY_POWER = env.float("HUBGATE_QUALITY_POWER", default=-2.0)
#: Recommender snapshots are cached per process for at most this many seconds (0: off);
#: model saves and matrix refreshes invalidate them sooner.
HUBGATE_RECS_SNAPSHOT_SECONDS = env.int("HUBGATE_RECS_SNAPSHOT_SECONDS", default=120)
#: Recommender snapshots carry text embeddings only up to this many candidate models.
HUBGATE_RECS_EMBEDDING_MAX_MODELS = env.int("HUBGATE_RECS_EMBEDDING_MAX_MODELS", default=5000)
