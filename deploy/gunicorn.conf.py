"""Gunicorn settings for Hubgate's web process.

Used by every deployment in deploy/ (container image, compose, Kubernetes, systemd):
``gunicorn --config deploy/gunicorn.conf.py config.wsgi``. Each value can be overridden
from the environment, so one file serves a laptop-sized VM and a large node alike.
"""

import math
import os
from pathlib import Path

from gunicorn.glogging import Logger

# The project is installed (editable) wherever gunicorn runs, so its bottom-layer redaction
# module is importable here: one list of secret parameters for the app's logs and this one.
from governance.redaction import redact


def _env_int(name: str, default: int) -> int:
    """An integer from the environment, failing loudly on a value that is not one."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name}={raw!r} is not an integer") from None


def _usable_cores() -> int:
    """CPU cores this process may really use: the CPU set, narrowed by a cgroup v2 quota.

    A container limited to one CPU on a 32-core node must not start 65 workers, and
    ``os.cpu_count()`` reports the node, not the limit.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = cores or os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cores


# --- Where it listens and who may tell it the original scheme --------------------------
bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]
# Proxies whose X-Forwarded-* headers gunicorn trusts (same variable gunicorn itself reads).
# Django decides https-ness from SECURE_PROXY_SSL_HEADER, so the real guarantee is that only
# the reverse proxy can reach this port and that it overwrites X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# --- Processes ---------------------------------------------------------------------------
# WEB_CONCURRENCY (gunicorn's own variable) wins; otherwise 2 x cores + 1, capped, since
# each worker is a full Django process (~100 MB) and more of them than that only queue.
workers = _env_int(
    "WEB_CONCURRENCY",
    min(2 * _usable_cores() + 1, _env_int("GUNICORN_MAX_WORKERS", 8)),
)
# More than one thread switches gunicorn to its gthread worker (useful for slow uploads).
threads = _env_int("GUNICORN_THREADS", 1)
# Recycle workers now and then so a slow leak never grows unbounded; the jitter keeps them
# from all restarting at the same moment.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# --- Timeouts ----------------------------------------------------------------------------
# A request still running after this is killed (and its worker restarted).
timeout = _env_int("GUNICORN_TIMEOUT", 60)
# Time a worker gets to finish in-flight requests on SIGTERM / restart.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds to keep an idle connection from the reverse proxy open.
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

# Worker heartbeat files on tmpfs: a container's overlay filesystem (or a read-only root)
# can stall or refuse them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# --- Logging: everything to stdout/stderr, the container runtime or journald keeps it -----
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client as the proxy saw it, then the usual combined format, then the time in ms.
access_log_format = (
    '%({x-forwarded-for}i)s %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
)


class RedactingLogger(Logger):
    """Gunicorn's logger with secrets taken out of the access-log atoms.

    CivitAI-style clients send their key as ``?token=…``: the request line (``%(r)s``), the
    query (``%(q)s``), the referer (``%(f)s``) and any request header a format names
    (``%({authorization}i)s``) are written only after :func:`governance.redaction.redact`.
    """

    REDACTED_ATOMS = ("r", "q", "f", "U")

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if isinstance(value, str) and (name in self.REDACTED_ATOMS or name.endswith("}i")):
                atoms[name] = redact(value)
        return atoms


logger_class = RedactingLogger
proc_name = "hubgate-web"
