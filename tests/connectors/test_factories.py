import pytest

from tests.connectors.factories import (
    ConnectorJobFactory,
    HubConnectionFactory,
    TrackedModelFactory,
)

pytestmark = pytest.mark.django_db


def test_the_hub_connection_is_one_healthy_row_per_hub():
    connection = HubConnectionFactory()
    connection.full_clean()
    assert HubConnectionFactory() == connection
    assert connection.status == "ok" and connection.last_success_at is not None


def test_a_tracked_model_is_known_by_its_own_hub_id():
    tracked = TrackedModelFactory()
    tracked.full_clean()
    assert (tracked.hub, tracked.external_id) == (tracked.model.hub, tracked.model.external_id)
    assert tracked.model.tracking == tracked


def test_a_connector_job_is_a_finished_import_of_its_model():
    job = ConnectorJobFactory()
    job.full_clean()
    assert job.finished and job.percent == 100.0
    assert job.reference.endswith(f"/models/{job.model.external_id}")
