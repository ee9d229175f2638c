"""Settings: safe defaults on a laptop, and a production mode that refuses insecure ones."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k3Jd9-f0Qw8_zN2mVb7XcL1pRt6YhU4sAe5GiO0oPl9KjH8gFd"


#: What a production server is given besides the secret and hosts (nothing is contacted).
SERVICES = {
    "DATABASE_URL": "postgres://hubgate@db.invalid:5432/hubgate",
    "CELERY_BROKER_URL": "redis://broker.invalid:6379/0",
    "HUBGATE_AUDIT_KEY": "a-production-audit-key-of-40-characters!",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "HUBGATE_", "DATABASE_", "CELERY_"))
    }
    env = {k: v for k, v in {**SERVICES, **env}.items() if v != ""}  # "" means: not set
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "hubgate.example.com"}, "DJANGO_SECRET_KEY"),
        (
            {
                "DJANGO_SECRET_KEY": "django-insecure-hubgate-development-only",
                "DJANGO_ALLOWED_HOSTS": "h",
            },
            "DJANGO_SECRET_KEY",
        ),
        ({"DJANGO_SECRET_KEY": GOOD_SECRET}, "DJANGO_ALLOWED_HOSTS"),
        (
            {"DJANGO_SECRET_KEY": GOOD_SECRET, "DJANGO_ALLOWED_HOSTS": "h", "DJANGO_DEBUG": "1"},
            "DJANGO_DEBUG",
        ),
        (
            {"DJANGO_SECRET_KEY": GOOD_SECRET, "DJANGO_ALLOWED_HOSTS": "h", "DATABASE_URL": ""},
            "DATABASE_URL must point at PostgreSQL",
        ),
        (
            {
                "DJANGO_SECRET_KEY": GOOD_SECRET,
                "DJANGO_ALLOWED_HOSTS": "h",
                "CELERY_BROKER_URL": "",
            },
            "CELERY_BROKER_URL must name a broker",
        ),
    ],
)
def test_production_refuses_to_start_with_insecure_settings(env, complaint) -> None:
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "Refusing to start in production mode" in result.stderr
    assert complaint in result.stderr


@pytest.mark.slow
def test_production_passes_the_deploy_check() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DJANGO_ALLOWED_HOSTS="hubgate.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_celery_speaks_json_only_and_keeps_work_that_must_not_be_lost() -> None:
    from config.celery import app

    conf = app.conf
    assert conf.task_serializer == conf.result_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.CELERY_BROKER_URL)


def test_default_storage_is_local_disk() -> None:
    assert settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage")


def test_s3_storage_is_one_setting_away() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.STORAGES['default']['BACKEND'])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HUBGATE_"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "HUBGATE_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "models",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "storages.backends.s3.S3Storage", out.stderr


@pytest.mark.django_db
def test_healthz_answers_without_authentication(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_a_fresh_checkout_gets_its_sqlite_directory(tmp_path) -> None:
    var = tmp_path / "fresh-var"
    code = (
        "import django; django.setup(); "
        "from django.db import connection; connection.ensure_connection()"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "HUBGATE_VAR_DIR": str(var),
        },
    )
    assert result.returncode == 0, result.stderr
    assert (var / "hubgate.sqlite3").exists()


@pytest.mark.slow
def test_production_serves_no_browsable_api() -> None:
    code = (
        "from django.conf import settings; "
        "print(settings.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'])"
    )
    result = run_manage(
        "shell",
        "-c",
        code,
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DJANGO_ALLOWED_HOSTS="hubgate.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "JSONRenderer" in result.stdout and "BrowsableAPIRenderer" not in result.stdout
