"""Scan tasks: thin, idempotent, acknowledged only after they ran."""

from celery import shared_task

from .services import requeue_stale_scans, run_scan


@shared_task(acks_late=True, reject_on_worker_lost=True)
def scan_blob_task(scan_id: int) -> str:
    """Run one queued scan; a redelivered message re-runs or skips it, never duplicates it."""
    scan = run_scan(scan_id=scan_id)
    return scan.verdict if scan is not None else "missing"


@shared_task
def requeue_stale_scans_task() -> int:
    return requeue_stale_scans()
