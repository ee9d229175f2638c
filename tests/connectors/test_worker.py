"""A listing import in a real Celery worker on PostgreSQL: progress shows while it runs."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from governance.connectors.models import ConnectorJob
from governance.connectors.tasks import run_job_task
from tests.conftest import ROOT, _database_url

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

QUEUE = "hubgate-test-connectors"


@pytest.fixture
def connector_worker(fake_hub):
    """A worker of its own on a queue of its own, pointed at the fake hub."""
    from config.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "HUBGATE_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "HUBGATE_CIVITAI_BASE_URL": fake_hub.url,
        "HUBGATE_CIVITAI_API_KEY": "",
    }
    log_path = Path(ROOT) / "var" / "test-connector-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    node = f"hubgate-connectors-{os.getpid()}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                QUEUE,
                "--concurrency=1",
                "--pool=solo",
                "-n",
                f"{node}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert proc.poll() is None, log_path.read_text()[-3000:]
                replies = app.control.ping(timeout=1.0) or []
                if any(node in name for reply in replies for name in reply):
                    break
            else:
                pytest.fail("the connector worker did not answer within 60 s")
            yield proc
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def test_a_listing_import_reports_progress_while_it_runs(fake_hub, connector_worker) -> None:
    fake_hub.faults.delay = 0.4  # seven pages of ten: a few seconds of work
    job = ConnectorJob.objects.create(
        kind=ConnectorJob.Kind.LISTING, options={"params": {"limit": 10}}
    )
    run_job_task.apply_async(args=[job.pk], queue=QUEUE)
    seen: set[tuple[str, int]] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        seen.add((job.status, job.done))
        if job.finished:
            break
        time.sleep(0.1)
    assert job.status == ConnectorJob.Status.SUCCEEDED, job.message
    total = len([m for m in fake_hub.models() if m["mode"] != "TakenDown"])
    assert job.done == total
    assert any(status == "running" and 0 < done < total for status, done in seen), seen
    assert f"{total} model(s) imported" in job.message
