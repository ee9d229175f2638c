"""Recording usage: one insert by default; queued with a direct insert when the broker is
down; every download path records; the team is found when not given."""

import time

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from config.celery import app as celery_app
from governance.usage.models import DailyUsage, UsageEvent
from governance.usage.services import aggregate_recent_usage, record_usage
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.catalog.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("quiet_clock")  # the event and today's counters on one day
def test_an_event_is_one_insert_and_counts_for_the_users_first_team():
    version = ModelVersionFactory()
    membership = MembershipFactory()
    MembershipFactory(user=membership.user)  # a second, later team
    with CaptureQueriesContext(connection) as queries:
        event = record_usage(
            kind=UsageEvent.Kind.DOWNLOAD, version=version, user=membership.user, client="portal"
        )
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and statements[0].startswith("INSERT")
    assert event is not None and event.team_id is None
    aggregate_recent_usage(days=1)
    assert DailyUsage.objects.get().team_id == membership.team_id


def test_an_event_recorded_after_a_response_is_written_when_it_is_closed():
    from django.http import HttpResponse

    version = ModelVersionFactory()
    response = HttpResponse(b"bytes")
    assert record_usage(kind="download", version=version, after=response) is None
    assert not UsageEvent.objects.exists()  # the client gets its bytes first
    # As Django's test client does: keep the test's database connection open at close.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert UsageEvent.objects.get().version_id == version.pk


def test_a_download_through_the_api_is_recorded_once_its_bytes_are_sent(
    client, django_capture_on_commit_callbacks
):
    from governance.catalog.models import VersionState
    from governance.demo.approvals import demo_safetensors
    from governance.ingest.services import attach_blob, ingest_chunks

    version = ModelVersionFactory()
    with django_capture_on_commit_callbacks(execute=True):  # the scan runs on commit
        blob = ingest_chunks([demo_safetensors("usage", tensors=2, width=8)])
        file = attach_blob(version=version, blob=blob, name="tiny.safetensors")
    # Arrange: approved (the approval flow is not what this test is about).
    type(version).objects.filter(pk=version.pk).update(state=VersionState.APPROVED)
    client.force_login(UserFactory(is_staff=True))
    response = client.get(f"/api/files/{file.pk}/download/")
    assert response.status_code == 200, response.content
    b"".join(response.streaming_content)
    event = UsageEvent.objects.get(kind="download")
    assert (event.file_id, event.client) == (file.pk, "api")


@override_settings(HUBGATE_USAGE_RECORDING="queue")
def test_a_queued_event_is_written_by_the_task_with_the_time_it_happened(
    django_capture_on_commit_callbacks,
):
    version = ModelVersionFactory()
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert record_usage(kind="download", version=version, user=user, client="api") is None
        assert not UsageEvent.objects.exists()  # nothing before commit
    event = UsageEvent.objects.get()
    assert (event.user_id, event.version_id, event.client) == (user.pk, version.pk, "api")


@pytest.fixture
def broker_down():
    """Celery pointed at a port nobody listens on, not eager: sending a message fails."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_write_url, conf.task_always_eager, celery_app._pool
    saved_producers = celery_app.amqp._producer_pool
    celery_app.amqp._producer_pool = None  # pools cached for the previous broker URL
    from governance.usage import services

    services._broker_paused_until = 0.0
    conf.broker_url = conf.broker_write_url = "redis://127.0.0.1:9/0"
    conf.task_always_eager = False
    celery_app._pool = None
    yield
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    conf.broker_url, conf.broker_write_url, conf.task_always_eager, celery_app._pool = saved
    celery_app.amqp._producer_pool = saved_producers


@pytest.mark.slow  # redis-py retries a refused connection for a few seconds
@override_settings(HUBGATE_USAGE_RECORDING="queue")
def test_no_event_is_lost_when_the_broker_is_down(broker_down, django_capture_on_commit_callbacks):
    version = ModelVersionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        record_usage(kind="download", version=version, client="civitai-api")
    assert UsageEvent.objects.filter(version=version).count() == 1
    # Then the broker is skipped for a while: the next downloads do not wait for it.
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            record_usage(kind="download", version=version, client="civitai-api")
    assert time.perf_counter() - started < 1.0
    assert UsageEvent.objects.filter(version=version).count() == 21


@override_settings(HUBGATE_USAGE_RECORDING="queue")
def test_a_deployment_is_written_at_once_even_when_queueing():
    event = record_usage(kind="deployment", version=ModelVersionFactory(), client="ci")
    assert event is not None and event.pk


def test_a_failing_insert_is_logged_not_raised(caplog):
    version = ModelVersionFactory()
    too_long = {
        "kind": "download",
        "version_id": version.pk,
        "client": "x",
        "metadata": {"bad": object()},
    }  # not JSON: the insert fails
    from governance.usage.services import insert_usage_event

    with pytest.raises(TypeError):
        insert_usage_event(too_long)  # a programming error is not hidden
    version.delete()
    assert record_usage(kind="download", version=version) is None
    assert "Could not record" in caplog.text


def test_an_api_read_of_a_version_is_recorded(api_client, user):
    version = ModelVersionFactory()
    response = api_client.get(f"/api/versions/{version.pk}/")
    assert response.status_code == 200
    event = UsageEvent.objects.get(kind=UsageEvent.Kind.API_READ)
    assert (event.version_id, event.user_id, event.client) == (version.pk, user.pk, "api")


def test_opening_a_models_community_block_is_a_portal_view(client):
    version = ModelVersionFactory()
    user = UserFactory()
    client.force_login(user)
    assert client.get(f"/community/models/{version.model_id}/").status_code == 200
    assert UsageEvent.objects.filter(kind="portal_view", version=version, user=user).exists()


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@override_settings(HUBGATE_USAGE_RECORDING="queue")
def test_a_queued_event_travels_through_the_broker_to_a_worker(celery_worker_process):
    version = ModelVersionFactory()
    record_usage(kind="download", version=version, client="civitai-api")  # autocommit: queued now
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not UsageEvent.objects.filter(version=version).exists():
        time.sleep(0.2)
    event = UsageEvent.objects.get(version=version)
    assert event.client == "civitai-api"
    assert celery_worker_process.poll() is None
