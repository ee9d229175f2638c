"""The Celery app: a worker without a settings module never runs with development settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "HUBGATE_", "DATABASE_", "CELERY_"))
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_worker_without_settings_module_refuses_development_defaults() -> None:
    # What `celery -A config worker` does first: import the app, then configure it.
    code = "from config.celery import app; from django.conf import settings; settings.DEBUG"
    result = _python(code)
    assert result.returncode != 0
    assert "Refusing to start in production mode" in result.stderr


@pytest.mark.slow
def test_worker_without_settings_module_uses_production_settings() -> None:
    code = (
        "import os; from config.celery import app; from django.conf import settings; "
        "print(os.environ['DJANGO_SETTINGS_MODULE'], settings.DEBUG)"
    )
    result = _python(
        code,
        DJANGO_SECRET_KEY="k3Jd9-f0Qw8_zN2mVb7XcL1pRt6YhU4sAe5GiO0oPl9KjH8gFd",
        DJANGO_ALLOWED_HOSTS="hubgate.example.com",
        DATABASE_URL="postgres://hubgate@db.invalid:5432/hubgate",
        CELERY_BROKER_URL="redis://broker.invalid:6379/0",
        HUBGATE_AUDIT_KEY="Zq4-uW9pLm2xR7tB5nV8cY3kJ6hG1fD0sA_eT4oI",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False"]


def test_every_deployed_celery_process_names_its_settings_module() -> None:
    deploy = ROOT / "deploy"
    files = [
        deploy / "compose.yaml",
        deploy / "kubernetes" / "worker.yaml",
        deploy / "kubernetes" / "beat.yaml",
        deploy / "systemd" / "hubgate-worker.service",
        deploy / "systemd" / "hubgate-beat.service",
    ]
    for path in files:
        text = path.read_text()
        assert "celery" in text, path
        assert "config.settings.production" in text, path
