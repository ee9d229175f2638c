"""Scanning stored blobs: queued once, recorded, re-run safely, never stuck, never served."""

import json
import os
import signal
import struct
import subprocess
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from governance.errors import HubgateError
from governance.hookspecs import Finding, hookimpl
from governance.ingest import services as ingest
from governance.scanning import services
from governance.scanning.models import FileScan, Verdict
from governance.usage.downloads import ensure_servable

pytestmark = pytest.mark.django_db


def safetensors_bytes() -> bytes:
    header = json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    return struct.pack("<Q", len(header)) + header + os.urandom(4)


class Critical:
    @hookimpl
    def hubgate_scan_file(self, file):
        return [Finding(code="t.rce", severity="critical", message="runs code", member="x.pkl")]


def ingest_and_scan(data: bytes, capture) -> FileScan:
    with capture(execute=True):
        blob = ingest.ingest_chunks([data])
    blob.refresh_from_db()
    return blob.current_scan


def test_ingest_queues_one_scan_that_records_a_clean_verdict(
    django_capture_on_commit_callbacks,
) -> None:
    scan = ingest_and_scan(safetensors_bytes(), django_capture_on_commit_callbacks)
    assert (scan.status, scan.verdict, scan.attempts) == ("done", Verdict.CLEAN, 1)
    assert scan.pickle_scan_result in {"Success", "Pending"}
    assert scan.plugin_results["safetensors_header"]["ok"] is True
    assert "safetensors_header@" in scan.scanner_set
    ensure_servable(scan.blob)


def test_a_critical_finding_quarantines_and_is_never_served(
    plugin, django_capture_on_commit_callbacks
) -> None:
    plugin(Critical(), name="critical")
    scan = ingest_and_scan(safetensors_bytes(), django_capture_on_commit_callbacks)
    assert scan.verdict == Verdict.QUARANTINED
    finding = scan.findings.get(scanner="critical")
    assert (finding.code, finding.severity, finding.member) == ("t.rce", "critical", "x.pkl")
    with pytest.raises(HubgateError, match="quarantined"):
        ensure_servable(scan.blob)


def test_an_unscanned_file_is_not_served() -> None:
    blob = ingest.ingest_chunks([safetensors_bytes()])  # on_commit never ran: still queued
    with pytest.raises(HubgateError, match="not been scanned"):
        ensure_servable(blob)


def test_running_the_same_scan_again_does_not_duplicate_findings(
    plugin, django_capture_on_commit_callbacks
) -> None:
    plugin(Critical(), name="critical")
    scan = ingest_and_scan(safetensors_bytes(), django_capture_on_commit_callbacks)
    # A message redelivered after the scan finished changes nothing.
    services.run_scan(scan_id=scan.pk)
    scan.refresh_from_db()
    assert scan.attempts == 1 and scan.findings.count() == 1
    # A scan left RUNNING by a dead worker is re-run, replacing its partial findings.
    FileScan.objects.filter(pk=scan.pk).update(status="running")
    services.run_scan(scan_id=scan.pk)
    scan.refresh_from_db()
    assert (scan.status, scan.attempts, scan.findings.count()) == ("done", 2, 1)


def test_queue_scan_is_idempotent(django_capture_on_commit_callbacks) -> None:
    scan = ingest_and_scan(safetensors_bytes(), django_capture_on_commit_callbacks)
    assert services.queue_scan(blob=scan.blob) is None  # same scanners: nothing to do
    assert services.queue_scan(blob=scan.blob, force=True) is not None
    assert services.queue_scan(blob=scan.blob, force=True) is None  # one already queued


def test_stale_scans_are_requeued_and_eventually_give_up(
    django_capture_on_commit_callbacks,
) -> None:
    blob = ingest.ingest_chunks([safetensors_bytes()])
    scan = blob.scans.get()
    long_ago = timezone.now() - timedelta(days=1)
    FileScan.objects.filter(pk=scan.pk).update(status="running", started_at=long_ago, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.requeue_stale_scans() == 1
    scan.refresh_from_db()
    assert (scan.status, scan.attempts, scan.verdict) == ("done", 2, Verdict.CLEAN)
    with override_settings(HUBGATE_SCAN_MAX_ATTEMPTS=2):
        FileScan.objects.filter(pk=scan.pk).update(status="running", started_at=long_ago)
        assert services.requeue_stale_scans() == 0
    scan.refresh_from_db()
    assert (scan.status, scan.verdict) == ("failed", Verdict.ERROR)


def test_rescan_after_a_scanner_upgrade(plugin, django_capture_on_commit_callbacks) -> None:
    scan = ingest_and_scan(safetensors_bytes(), django_capture_on_commit_callbacks)
    assert services.rescan_outdated() == 0
    plugin(Critical(), name="new_scanner")  # the scanner set changed
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rescan_outdated() == 1
    scan.blob.refresh_from_db()
    assert scan.blob.current_scan.verdict == Verdict.QUARANTINED


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_scan_leaves_the_scan_to_be_redone(celery_worker_process) -> None:
    blob = ingest.ingest_chunks([b"HUBGATE-SLOW-SCAN 3\n" + os.urandom(64)])
    scan = blob.scans.get()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        scan.refresh_from_db()
        if scan.status == FileScan.Status.RUNNING:
            break
        time.sleep(0.1)
    assert scan.status == FileScan.Status.RUNNING, "the worker never started the scan"
    pool = _children(celery_worker_process.pid)
    assert pool, "no worker pool process to kill"
    for pid in pool:
        os.kill(pid, signal.SIGKILL)  # the process running the scan dies mid-scan
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        scan.refresh_from_db()
        if scan.status == FileScan.Status.DONE:
            break
        time.sleep(0.2)
    assert scan.status == FileScan.Status.DONE, f"scan stuck in {scan.status}"
    assert scan.attempts == 2
    assert scan.verdict == Verdict.FLAGGED  # the slow file is of no known format
    assert celery_worker_process.poll() is None
