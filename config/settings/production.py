"""Production settings: everything from the environment, and no insecure default accepted.

Importing this module raises ImproperlyConfigured when the secret key or the audit key is
unset or the development default, DEBUG is on, or ALLOWED_HOSTS is empty, so a misconfigured
server never starts.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import INSECURE_DEFAULT_AUDIT_KEY, INSECURE_DEFAULT_SECRET_KEY, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
HUBGATE_AUDIT_KEY = env.str("HUBGATE_AUDIT_KEY", default="")

_problems = []
if not SECRET_KEY or SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
    _problems.append("DJANGO_SECRET_KEY must be set to a random value of 50+ characters")
if HUBGATE_AUDIT_KEY == INSECURE_DEFAULT_AUDIT_KEY or len(HUBGATE_AUDIT_KEY) < 32:
    _problems.append("HUBGATE_AUDIT_KEY must be set to a random value of 32+ characters")
if DEBUG:
    _problems.append("DJANGO_DEBUG must be off")
if not ALLOWED_HOSTS:
    _problems.append("DJANGO_ALLOWED_HOSTS must name the hosts this server answers for")
if "postgresql" not in DATABASES["default"].get("ENGINE", ""):  # noqa: F405
    _problems.append("DATABASE_URL must point at PostgreSQL (SQLite is for a laptop)")
if not CELERY_BROKER_URL:  # noqa: F405
    _problems.append(
        "CELERY_BROKER_URL must name a broker: scans must run in workers, not in web requests"
    )
if _problems:
    raise ImproperlyConfigured("Refusing to start in production mode: " + "; ".join(_problems))

# The CivitAI-compatible API answers only callers with a key, unless explicitly opened.
HUBGATE_COMPAT_ANONYMOUS_READ = env.bool("HUBGATE_COMPAT_ANONYMOUS_READ", default=False)

REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]  # noqa: F405

# Static files are served by the web process itself (WhiteNoise), right after
# SecurityMiddleware so they still get its headers; collectstatic writes hashed, compressed
# copies that browsers may cache forever.
MIDDLEWARE = list(MIDDLEWARE)  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)  # noqa: F405
