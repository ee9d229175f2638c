"""Scoring tasks, eager in-process and through a real broker to a real worker."""

import pytest
from celery.result import AsyncResult, EagerResult
from django.conf import settings

from governance.catalog.models import VersionScore
from governance.scoring.tasks import refresh_version_scores_task
from tests.catalog.factories import ModelVersionFactory


def test_without_a_broker_celery_is_eager() -> None:
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.CELERY_BROKER_URL)


@pytest.mark.django_db
def test_eager_tasks_run_in_process() -> None:
    version = ModelVersionFactory()
    result = refresh_version_scores_task.delay(version.pk)
    assert isinstance(result, EagerResult)
    assert "metadata_completeness.metadata_completeness" in result.get()
    assert VersionScore.objects.filter(version=version).count() == len(result.get())


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
    stored = VersionScore.objects.filter(version=version)
    assert values == {f"{s.plugin}.{s.name}": s.value for s in stored}
    assert "metadata_completeness.metadata_completeness" in values
    assert celery_worker_process.poll() is None
