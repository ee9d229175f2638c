"""A fake CivitAI for the connector and compat tests, and a client pointed at it."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from guardian.shortcuts import assign_perm

from config.celery import app as celery_app
from governance.catalog.models import ModelVersion
from governance.connectors.client import CivitaiClient, RetryPolicy
from governance.demo.catalog import load_fixture
from governance.demo.fake_hub import FakeCivitai
from governance.lifecycle import services as lifecycle

#: The fake hub's CivitAI API key (a CivitAI key, not a Hubgate one).
HUB_KEY = "civitai-test-key-5f1e0c9d"
#: A version whose creator requires sign-in to download (of model 607649, a LoRA).
LOGIN_MODEL, LOGIN_VERSION = 607649, 671489
#: Models of the demo fixture the tests name.
CLAYMATION = 821055  # LoRA, 3 versions, one file each
MERIDIAN = 707418  # Checkpoint, a version with a SafeTensor and a GGUF file
DIORAMA = 693280  # LoRA; its newest version 799656 has a model file and training data


@pytest.fixture(autouse=True)
def _eager_celery(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process (as without a broker), except in tests with a real worker."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def fixture_documents() -> list[dict]:
    return copy.deepcopy(load_fixture())


@pytest.fixture
def fake_hub() -> Iterator[FakeCivitai]:
    with FakeCivitai(fixture_documents(), api_key=HUB_KEY, login_required={LOGIN_VERSION}) as hub:
        yield hub


class Sleeps(list):
    """Records the client's backoff waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def hub_client(fake_hub: FakeCivitai, sleeps: Sleeps) -> Iterator[CivitaiClient]:
    client = CivitaiClient(
        base_url=fake_hub.url,
        api_key=HUB_KEY,
        timeout=2.0,
        retry=RetryPolicy(attempts=3),
        sleep=sleeps,
    )
    yield client
    client.close()


@pytest.fixture
def hub_settings(fake_hub: FakeCivitai, settings):
    """Services without an explicit client use the fake hub."""
    settings.HUBGATE_CIVITAI_BASE_URL = fake_hub.url
    settings.HUBGATE_CIVITAI_API_KEY = HUB_KEY
    settings.HUBGATE_CIVITAI_ATTEMPTS = 3
    return settings


def approve_for(team, version: ModelVersion, actor=None) -> ModelVersion:
    """Take a version through the lifecycle to approved and let ``team`` use it — what an
    approved request does (the request flow itself is the approvals app's to test)."""
    lifecycle.submit_version(version=version, actor=actor)
    lifecycle.enter_review(version=version)
    lifecycle.approve_version(version=version, actor=actor, request_id=0)
    if team is not None:
        assign_perm("catalog.use_modelversion", team.group, version)
        assign_perm("catalog.view_model", team.group, version.model)
    version.refresh_from_db()
    return version
