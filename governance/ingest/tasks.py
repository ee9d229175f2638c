"""Ingest housekeeping tasks: thin, idempotent."""

from celery import shared_task

from .services import purge_stale_uploads


@shared_task
def purge_stale_uploads_task() -> dict[str, int]:
    """Beat: delete expired or abandoned uploads and blobs attached to nothing."""
    report = purge_stale_uploads()
    return {"sessions": report.sessions, "blobs": report.blobs, "spool_files": report.spool_files}
