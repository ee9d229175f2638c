"""Celery tasks of the CI gate: thin, idempotent, JSON arguments."""

from celery import shared_task

from . import verdicts


# The name it had in the gates app, so messages queued before an upgrade still run.
@shared_task(acks_late=True, name="governance.gates.tasks.refresh_gate_verdicts_task")
def refresh_gate_verdicts_task(version_ids: list[int]) -> int:
    """Recompute the stored gate verdicts of these versions that an input change made stale."""
    return verdicts.refresh_stored_verdicts(version_ids=version_ids)
