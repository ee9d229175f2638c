"""Keys never reach a log: the dev server's, django.request's, the app's and gunicorn's."""

import io
import logging
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from governance.redaction import redact

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hg_ab12cd34_s3cr3tS3cr3tS3cr3t"


@pytest.mark.parametrize(
    "line",
    [
        f"GET /api/download/models/1?token={SECRET} HTTP/1.1",
        "GET /api/v1/models?limit=1&api_key=plainsecret&sort=Newest HTTP/1.1",
        "GET /cb?CODE=plainsecret&state=x HTTP/1.1",
        "GET /f?X-Amz-Signature=plainsecret HTTP/1.1",
        "token=plainsecret&x=1",
    ],
)
def test_redact_removes_secret_query_values(line) -> None:
    cleaned = redact(line)
    assert "plainsecret" not in cleaned
    assert "s3cr3t" not in cleaned


def test_redact_keeps_harmless_parameters() -> None:
    line = "GET /api/v1/models?limit=1&monkey=banana&tokens=3 HTTP/1.1"
    assert redact(line) == line


def _written_by(logger_name: str, *args, **kwargs) -> str:
    """What the configured handlers of ``logger_name`` write for one record."""
    logger = logging.getLogger(logger_name)
    configured = logger.handlers if not logger.propagate else logging.getLogger().handlers
    # Only the handlers settings.LOGGING made (pytest adds its own capturing ones).
    handlers = [h for h in configured if type(h) is logging.StreamHandler]
    assert handlers
    out = io.StringIO()
    previous = [h.setStream(out) for h in handlers]
    try:
        logger.warning(*args, **kwargs)
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)
    return out.getvalue()


def test_dev_server_log_redacts_query_keys() -> None:
    written = _written_by(
        "django.server",
        '"%s" %s %s',
        f"GET /api/download/models/1?token={SECRET} HTTP/1.1",
        "404",
        "10",
        extra={"status_code": 404, "server_time": "now"},
    )
    assert "/api/download/models/1?token=" in written
    assert "s3cr3t" not in written


@pytest.mark.parametrize("name", ["django.request", "governance.compat.views", "celery.task"])
def test_app_and_django_loggers_redact_query_keys(name) -> None:
    written = _written_by(name, "Failed: %s", f"/api/v1/models?key={SECRET}")
    assert "/api/v1/models?key=" in written
    assert "s3cr3t" not in written


@pytest.mark.slow
def test_runserver_does_not_log_a_query_token(tmp_path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The development server on its own SQLite file: CI's service run points DATABASE_URL at
    # a database only the test runner creates.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "HUBGATE_", "CELERY_")) and k != "DATABASE_URL"
    }
    env = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "HUBGATE_VAR_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                "--skip-checks",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?token={SECRET}")
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.3)
            time.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    written = log_path.read_text()
    assert "/healthz?token=" in written, written
    assert "s3cr3t" not in written


def test_gunicorn_access_log_redacts_query_keys() -> None:
    pytest.importorskip("gunicorn")
    from gunicorn.config import Config

    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("logger_class", conf["logger_class"])
    cfg.set("access_log_format", conf["access_log_format"])
    cfg.set("accesslog", "-")
    logger = conf["logger_class"](cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/download/models/1?token={SECRET}",
        "PATH_INFO": "/api/download/models/1",
        "QUERY_STRING": f"token={SECRET}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.5",
        "HTTP_REFERER": f"https://hubgate.example.com/x?api_key={SECRET}",
    }
    req = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    out = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(out)
    logger.access(resp, req, environ, timedelta(milliseconds=5))
    written = out.getvalue()
    assert "GET /api/download/models/1?token=" in written, written
    assert "s3cr3t" not in written
