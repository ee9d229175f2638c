"""Shared fixtures: plugins registered for one test, service markers, a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from governance.plugins import register_plugin, reset_plugin_manager, unregister_plugin

ROOT = Path(__file__).resolve().parent.parent
#: "-gw0", "-gw1", … in a pytest-xdist worker: for files and names each test process needs alone.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
XDIST_SUFFIX = f"-{_XDIST_WORKER}" if _XDIST_WORKER else ""


def pytest_configure(config: pytest.Config) -> None:
    """``HUBGATE_TEST_NOW=2026-12-05T12:00:00Z pytest …`` runs the suite as if the clock had
    been set to that moment when it started (it keeps ticking), so CI can prove that the
    suite passes on a Saturday, at midnight or on New Year's Eve. Processes the tests start
    (Celery workers, the CLI, the test IdP) keep the real clock."""
    now = os.environ.get("HUBGATE_TEST_NOW")
    if now:
        import time_machine

        traveller = time_machine.travel(datetime.fromisoformat(now), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def services_required() -> bool:
    """In CI's service run a test that cannot reach its service fails instead of skipping."""
    return os.environ.get("HUBGATE_REQUIRE_SERVICES") == "1"


def _missing_service(item: pytest.Item, why: str) -> None:
    if services_required():
        pytest.fail(f"{why}, and HUBGATE_REQUIRE_SERVICES=1 says it must be here", pytrace=False)
    pytest.skip(why)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            _missing_service(item, "needs PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("worker") and not settings.CELERY_BROKER_URL:
        _missing_service(item, "needs a Celery broker: set CELERY_BROKER_URL=redis://…")


@pytest.fixture(autouse=True)
def _fresh_plugin_manager() -> Iterator[None]:
    """Each test sees exactly the plugins installed through entry points and settings."""
    reset_plugin_manager()
    yield
    reset_plugin_manager()


@pytest.fixture(autouse=True)
def _eager_celery(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process, as without a broker, except in tests with a real worker: with a
    broker configured (CI's service run) nobody else would run them."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from config.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _isolated_media(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[None]:
    """Every test stores files in a directory of its own (a worker test shares the worker's)."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from django.test import override_settings

    root = tmp_path_factory.mktemp("media")
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root},
        },
    }
    with override_settings(MEDIA_ROOT=root, STORAGES=storages):
        yield


#: A Wednesday noon in UTC: far from midnight, a weekend, a month's end and DST changes.
QUIET_MOMENT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def quiet_clock(time_machine) -> datetime:
    """The clock set to :data:`QUIET_MOMENT` (still ticking), for tests that count events per
    day or week: run at 23:59:59 or on a Sunday they would straddle two days or weeks."""
    time_machine.move_to(QUIET_MOMENT, tick=True)
    return QUIET_MOMENT


@pytest.fixture
def plugin() -> Iterator[Callable[..., object]]:
    """Register plugin objects for one test: ``plugin(obj, name="x")``; unregistered after."""
    names: list[str] = []

    def register(obj: object, *, name: str) -> object:
        info = register_plugin(obj, name=name)
        names.append(name)
        return info

    yield register
    for name in names:
        unregister_plugin(name)


@pytest.fixture
def user(db):
    from tests.accounts.factories import UserFactory

    return UserFactory()


@pytest.fixture
def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if "sqlite" in db["ENGINE"]:
        raise RuntimeError("a separate worker process cannot share an in-memory SQLite database")
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker) -> Iterator[subprocess.Popen]:
    """A real ``celery worker`` process on the test database and the configured broker.

    Under pytest-xdist every test process has one, on its own test database (test_<name>_gwN)
    and its own queue (CELERY_TASK_DEFAULT_QUEUE in config/settings/test.py, inherited
    through the environment), so no worker takes a task meant for another database."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a Celery broker")
    from config.celery import app

    with django_db_blocker.unblock():
        database_url = _database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "HUBGATE_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # A scanner that can be made slow, so a test can kill the worker mid-scan.
        "HUBGATE_PLUGIN_MODULES": "tests.scanning.slow_scanner",
    }
    log_path = ROOT / "var" / f"test-worker{XDIST_SUFFIX}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115  (closed in the finally below)
    node = f"hubgate-test-{os.getpid()}@%h"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=1",
            "--pool=prefork",
            "-n",
            node,
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(
                    f"the Celery worker exited at start with code {proc.returncode}:\n"
                    + log_path.read_text()[-3000:]
                )
            replies = app.control.ping(timeout=1.0) or []
            if any(node.split("@")[0] in name for reply in replies for name in reply):
                break
        else:
            pytest.fail("the Celery worker did not answer a ping within 60 s")
        yield proc
    finally:
        stop_process(proc, timeout=20)
        log.close()


def stop_process(proc: subprocess.Popen, *, timeout: float) -> None:
    """Ask a process started by a fixture to stop; kill it if it has not within ``timeout``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    broker = settings.CELERY_BROKER_URL or "none (tasks run eagerly in-process)"
    return [
        f"hubgate: database {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''}"
        f"{'/' + str(db['NAME']) if 'sqlite' not in db['ENGINE'] else ''}",
        f"hubgate: celery broker {broker}",
        f"hubgate: services required: {services_required()}",
        f"hubgate: clock {os.environ.get('HUBGATE_TEST_NOW') or 'real'}"
        f" in TIME_ZONE {settings.TIME_ZONE} (Django sets the process's TZ to it)",
    ]


@pytest.fixture
def own_version(user):
    """A model version owned by a team ``user`` belongs to (so ``user`` may add files)."""
    from tests.accounts.factories import MembershipFactory
    from tests.catalog.factories import ModelVersionFactory

    team = MembershipFactory(user=user).team
    return ModelVersionFactory(model__owning_team=team)
