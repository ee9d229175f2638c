"""Connector tasks: thin. A job's work is in the services; the task runs it and retries it
when the hub is rate limiting, down, or every download slot is busy."""

from __future__ import annotations

from celery import shared_task

from .errors import DownloadsBusy, HubRateLimited, HubUnavailable
from .models import ConnectorJob
from .services import fail_job, run_job, start_job

MAX_RETRIES = 8


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def run_job_task(self, job_id: int) -> str:
    """Run one connector job; a finished job is not run again (redelivery is harmless)."""
    try:
        return run_job(job_id=job_id).status
    except (HubRateLimited, HubUnavailable, DownloadsBusy) as exc:
        if self.request.is_eager or self.request.retries >= MAX_RETRIES:
            fail_job(job_id=job_id, reason=exc.detail)
            return ConnectorJob.Status.FAILED
        countdown = getattr(exc, "retry_after", None) or 30 * 2**self.request.retries
        raise self.retry(exc=exc, countdown=min(countdown, 3600)) from exc


@shared_task
def sync_tracked_task() -> int:
    """The periodic sync (Celery beat): one job re-syncing every tracked model."""
    return start_job(kind=ConnectorJob.Kind.SYNC).pk
