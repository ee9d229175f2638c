"""Health check of the web process: ask gunicorn for a page exactly as the proxy would.

The container image's HEALTHCHECK and the compose file run it; exit status 0 means the page
answered 200. It sends a Host from DJANGO_ALLOWED_HOSTS (any other is refused with 400) and
``X-Forwarded-Proto: https`` (otherwise SECURE_SSL_REDIRECT answers 301). Standard library
only, so it costs a fraction of a second and never imports Django.
"""

import http.client
import os
import sys


def probe_host() -> str:
    """The first concrete host in DJANGO_ALLOWED_HOSTS (``.example.com`` -> ``example.com``)."""
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
    return next((h.lstrip(".") for h in hosts if h and h != "*"), "localhost")


def main() -> int:
    """Return 0 when the page answers 200, 1 otherwise (with the reason on stderr)."""
    port = int(os.environ.get("HEALTHCHECK_PORT", "8000"))
    path = os.environ.get("HEALTHCHECK_PATH", "/healthz")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": probe_host(), "X-Forwarded-Proto": "https"})
        status = conn.getresponse().status
    except OSError as exc:
        print(f"healthcheck: GET {path} on port {port} failed: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if status != 200:
        print(f"healthcheck: GET {path} answered {status}, expected 200", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
