"""Scanning stored blobs: queue, run (idempotently, surviving worker loss), judge, record."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.hookspecs import FileFormat, FileToScan
from governance.ingest import storage
from governance.ingest.models import Blob

from .engine import PICKLE_SCANNERS, VIRUS_SCANNERS, ScanOutcome, scan_file, scanner_set
from .models import FileScan, Finding, Verdict
from .signals import scan_finished

logger = logging.getLogger(__name__)


def queue_scan(*, blob: Blob, force: bool = False) -> FileScan | None:
    """Queue a scan of ``blob`` (after the current transaction commits).

    Nothing is queued when a scan is already queued or running, or when the blob's last scan
    used the same scanners (unless ``force``).
    """
    from .tasks import scan_blob_task

    with transaction.atomic():
        Blob.objects.select_for_update().get(pk=blob.pk)
        active = blob.scans.filter(status__in=[FileScan.Status.QUEUED, FileScan.Status.RUNNING])
        if active.exists():
            return None
        current = blob.current_scan
        if (
            not force
            and current is not None
            and current.status == FileScan.Status.DONE
            and current.scanner_set == scanner_set()
        ):
            return None
        scan = FileScan.objects.create(blob=blob)
        transaction.on_commit(lambda: scan_blob_task.delay(scan.pk))
    return scan


def _start(scan_id: int) -> FileScan | None:
    with transaction.atomic():
        scan = (
            FileScan.objects.select_for_update(of=("self",)).select_related("blob").get(pk=scan_id)
        )
        if scan.status in (FileScan.Status.DONE, FileScan.Status.FAILED):
            return None  # a redelivered message for a finished scan: nothing to do
        # QUEUED, or RUNNING left behind by a worker that died: (re)run it.
        scan.status = FileScan.Status.RUNNING
        scan.attempts += 1
        scan.started_at = timezone.now()
        scan.save(update_fields=["status", "attempts", "started_at"])
        return scan


def run_scan(*, scan_id: int) -> FileScan | None:
    """Run a queued scan; safe to call again for the same scan (redelivery after worker loss)."""
    scan = _start(scan_id)
    if scan is None:
        return FileScan.objects.get(pk=scan_id)
    blob = scan.blob
    try:
        with storage.local_path(blob.storage_name) as path:
            outcome = scan_file(
                FileToScan(
                    path=path,
                    name=_display_name(blob),
                    size=blob.size,
                    sha256=blob.sha256,
                    detected_format=FileFormat(blob.format),
                )
            )
    except Exception as exc:
        # Storage or engine failure (not a plugin's: those are inside the outcome).
        logger.exception("Scan %s of blob %s failed", scan.pk, blob.pk)
        return _record_failure(scan, f"{type(exc).__name__}: {exc}")
    return _record(scan, outcome, scanners=scanner_set())


def _display_name(blob: Blob) -> str:
    file = blob.model_files.order_by("id").first()
    return file.name if file is not None else blob.sha256.lower()


@transaction.atomic
def _record(scan: FileScan, outcome: ScanOutcome, *, scanners: str) -> FileScan:
    scan = FileScan.objects.select_for_update().get(pk=scan.pk)
    scan.findings.all().delete()  # a re-run replaces what an interrupted run wrote
    Finding.objects.bulk_create(
        Finding(
            scan=scan,
            scanner=f.scanner,
            code=f.finding.code[:100],
            severity=f.finding.severity.value,
            severity_rank=f.finding.severity.rank,
            member=(f.finding.member or "")[:1000],
            message=f.finding.message,
            detail=dict(f.finding.detail),
        )
        for f in outcome.findings
    )
    scan.status = FileScan.Status.DONE
    scan.verdict = outcome.verdict
    scan.scanner_set = scanners
    scan.error = "; ".join(f"{name}: {error}" for name, error in outcome.failures.items())
    scan.plugin_results = {
        name: {
            "ok": name not in outcome.failures,
            "seconds": outcome.durations.get(name),
            "error": outcome.failures.get(name),
        }
        for name in sorted(outcome.scanners | set(outcome.failures))
    }
    scan.pickle_scan_result, scan.pickle_scan_message = outcome.hub_summary(PICKLE_SCANNERS)
    scan.virus_scan_result, scan.virus_scan_message = outcome.hub_summary(VIRUS_SCANNERS)
    scan.finished_at = timezone.now()
    scan.save()
    Blob.objects.filter(pk=scan.blob_id).update(current_scan=scan)
    transaction.on_commit(lambda: scan_finished.send(FileScan, blob=scan.blob, scan=scan))
    return scan


@transaction.atomic
def _record_failure(scan: FileScan, error: str) -> FileScan:
    scan = FileScan.objects.select_for_update().get(pk=scan.pk)
    scan.status, scan.verdict, scan.error = FileScan.Status.FAILED, Verdict.ERROR, error
    scan.finished_at = timezone.now()
    scan.save(update_fields=["status", "verdict", "error", "finished_at"])
    Blob.objects.filter(pk=scan.blob_id).update(current_scan=scan)
    transaction.on_commit(lambda: scan_finished.send(FileScan, blob=scan.blob, scan=scan))
    return scan


def requeue_stale_scans() -> int:
    """Re-queue scans a lost worker or a lost broker message left behind; returns how many.

    A scan running longer than the task time limit, or queued for longer than that, will not
    finish by itself. Scans that already failed too often are marked failed (fail closed).
    """
    from .tasks import scan_blob_task

    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    cutoff = timezone.now() - limit
    stale = FileScan.objects.filter(
        status=FileScan.Status.RUNNING, started_at__lt=cutoff
    ) | FileScan.objects.filter(status=FileScan.Status.QUEUED, queued_at__lt=cutoff)
    count = 0
    for scan in stale:
        if scan.attempts >= settings.HUBGATE_SCAN_MAX_ATTEMPTS:
            _record_failure(scan, f"gave up after {scan.attempts} attempts")
            continue
        with transaction.atomic():
            FileScan.objects.filter(pk=scan.pk).update(
                status=FileScan.Status.QUEUED, queued_at=timezone.now()
            )
            transaction.on_commit(lambda pk=scan.pk: scan_blob_task.delay(pk))
        count += 1
    return count


def rescan_outdated(*, everything: bool = False) -> int:
    """Queue a scan of every blob scanned by other scanners than today's (or of all blobs)."""
    current = scanner_set()
    blobs = Blob.objects.all()
    if not everything:
        blobs = blobs.exclude(current_scan__scanner_set=current, current_scan__status="done")
    return sum(queue_scan(blob=blob, force=everything) is not None for blob in blobs.iterator())
