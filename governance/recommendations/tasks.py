"""Celery tasks of recommendations: thin, idempotent, JSON arguments."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def refresh_item_similarity_task() -> dict:
    """Rebuild the item-item similarity matrix (beat: hourly)."""
    report = services.refresh_item_similarity()
    return {"interactions": report.interactions, "models": report.models, "pairs": report.pairs}
