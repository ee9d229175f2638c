"""Celery tasks of the catalog: thin wrappers over services, JSON arguments only."""

from celery import shared_task

from .models import ModelVersion
from .services import refresh_version_scores


@shared_task(acks_late=True)
def refresh_version_scores_task(version_id: int) -> dict[str, float | None]:
    """Recompute a version's scores; returns ``{"plugin.metric": value}`` for the caller."""
    version = ModelVersion.objects.get(pk=version_id)
    scores = refresh_version_scores(version=version)
    return {f"{s.plugin}.{s.name}" if s.name else s.plugin: s.value for s in scores}
