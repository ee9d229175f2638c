"""Celery tasks of the gates: thin, idempotent, JSON arguments."""

from celery import shared_task

from . import verdicts


@shared_task(acks_late=True)
def refresh_gate_verdicts_task(version_ids: list[int]) -> int:
    """Recompute the stored gate verdicts of these versions that an input change made stale."""
    return verdicts.refresh_stored_verdicts(version_ids=version_ids)
