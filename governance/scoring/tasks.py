"""Celery tasks of scoring: thin wrappers over services, JSON arguments only."""

from celery import shared_task

from governance.catalog.models import ModelVersion

from .services import refresh_scores, refresh_version_scores


@shared_task(acks_late=True)
def refresh_version_scores_task(version_id: int) -> dict[str, float | None]:
    """Recompute a version's scores; returns ``{"plugin.metric": value}`` for the caller."""
    version = ModelVersion.objects.get(pk=version_id)
    scores = refresh_version_scores(version=version)
    return {f"{s.plugin}.{s.name}" if s.name else s.plugin: s.value for s in scores}


@shared_task(acks_late=True)
def refresh_model_scores_task(model_ids: list[int]) -> int:
    """Rescore every version of ``model_ids`` (after an import changed them); returns how
    many scores were stored."""
    return len(refresh_scores(versions=ModelVersion.objects.filter(model_id__in=model_ids)))


@shared_task(acks_late=True)
def refresh_versions_scores_task(version_ids: list[int]) -> int:
    """Rescore ``version_ids`` (after an upload, a finished scan or a license change);
    returns how many scores were stored."""
    return len(refresh_scores(versions=ModelVersion.objects.filter(pk__in=version_ids)))
