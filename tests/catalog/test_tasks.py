"""Catalog tasks, eager in-process and through a real broker to a real worker."""

import pytest
from celery.result import AsyncResult, EagerResult
from django.conf import settings

from governance.catalog.models import VersionScore
from governance.catalog.tasks import refresh_version_scores_task
from tests.catalog.factories import ModelVersionFactory


def test_without_a_broker_celery_is_eager() -> None:
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.CELERY_BROKER_URL)


@pytest.mark.django_db
def test_eager_tasks_run_in_process() -> None:
    version = ModelVersionFactory()
    result = refresh_version_scores_task.delay(version.pk)
    assert isinstance(result, EagerResult)
    assert set(result.get()) == {"metadata_completeness.metadata_completeness"}
    assert VersionScore.objects.filter(version=version).count() == 1


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_travels_through_the_broker_to_a_worker_and_back(celery_worker_process) -> None:
    version = ModelVersionFactory(model__tags=["ink", "style", "portrait"])
    result = refresh_version_scores_task.delay(version.pk)
    assert isinstance(result, AsyncResult) and not isinstance(result, EagerResult)
    values = result.get(timeout=60)
    assert result.status == "SUCCESS"
    # The worker process wrote the scores to the shared database.
    stored = VersionScore.objects.get(version=version)
    assert values == {"metadata_completeness.metadata_completeness": stored.value}
    assert celery_worker_process.poll() is None
