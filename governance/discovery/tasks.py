"""Celery tasks of the search indexes: thin, idempotent, ids in, nothing out."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def reindex_model_task(model_id: int) -> None:
    """Bring the lexical, semantic and image indexes of one model up to date."""
    services.index_models([model_id])


@shared_task(acks_late=True, ignore_result=True)
def reindex_stale_task() -> None:
    """Index models imported or changed in bulk since their search document was written."""
    services.reindex_stale()
