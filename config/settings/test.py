"""Test settings: the local settings (so the demo app too) with fast password hashing and
throwaway file storage."""

import os
import tempfile
from pathlib import Path

from .local import *  # noqa: F403
from .local import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A worker process started by the tests is handed the same directory through the environment.
MEDIA_ROOT = Path(
    os.environ.get("HUBGATE_TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="hubgate-test-media-")
)
STORAGES["default"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": MEDIA_ROOT},
}
# Recommender snapshot cache off: tests change scores/tags between calls in one process
# (tests/recommendations turns it on where it tests it).
HUBGATE_RECS_SNAPSHOT_SECONDS = 0
# The fake CivitAI hub and the webhook receivers of the tests listen on 127.0.0.1; tests of
# the outbound guard itself empty this list.
HUBGATE_OUTBOUND_ALLOW = ["127.0.0.1", "::1", "localhost"]
# Under pytest-xdist each test process has its own test database (test_<name>_gw0, …) and, for
# the tests marked `worker`, its own Celery worker: each pair shares a queue of its own, or a
# worker would take tasks sent by another test process and look for their rows in its database.
CELERY_TASK_DEFAULT_QUEUE = f"hubgate-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
