"""A scan's budget: past its time or bytes the scan ends with a finding instead of running on."""

import time
from dataclasses import replace

import pytest

from governance.hookspecs import (
    FileFormat,
    FileToScan,
    ScanBudget,
    ScanBudgetExceeded,
    Severity,
    hookimpl,
)
from governance.ingest import services as ingest
from governance.scanning.engine import scan_file
from governance.scanning.models import FileScan, Verdict
from governance.scanning.services import run_scan
from tests.scanning import slow_scanner


class SlowReader:
    """Reads the whole file slowly, through the budgeted reader, as a real scanner would."""

    def __init__(self, *, chunk: int = 4096, pause: float = 0.0) -> None:
        self.chunk, self.pause, self.read = chunk, pause, 0

    @hookimpl
    def hubgate_scan_file(self, file):
        with file.open() as fh:
            while data := fh.read(self.chunk):
                self.read += len(data)
                time.sleep(self.pause)
        return []


class Swallower(SlowReader):
    """Catches everything, as careless scanner code does, and reports the file clean."""

    @hookimpl
    def hubgate_scan_file(self, file):
        try:
            return super().hubgate_scan_file(file)
        except Exception:
            return []


def payload(tmp_path, data: bytes, name: str = "model.bin") -> FileToScan:
    path = tmp_path / name
    path.write_bytes(data)
    return FileToScan(path, name, len(data), detected_format=FileFormat.PICKLE)


def budget_findings(outcome):
    return [f.finding for f in outcome.findings if f.finding.code == "scan_budget_exceeded"]


def test_a_scanner_reading_past_the_time_budget_is_stopped(plugin, tmp_path) -> None:
    slow = SlowReader(chunk=1024, pause=0.05)  # would take ~50 s for 1 MiB
    plugin(slow, name="slow_reader")
    file = payload(tmp_path, bytes(1024 * 1024))
    started = time.monotonic()

    outcome = scan_file(replace(file, budget=ScanBudget(max_seconds=0.3)))

    assert time.monotonic() - started < 5
    assert slow.read < 1024 * 1024
    assert outcome.failures["slow_reader"].startswith("ScanBudgetExceeded:")
    (finding,) = budget_findings(outcome)
    assert finding.severity is Severity.HIGH
    assert "slow_reader" in finding.detail["stopped_scanners"]
    assert finding.detail["max_seconds"] == 0.3
    assert outcome.verdict is Verdict.ERROR  # an unfinished scan fails closed


def test_a_scanner_reading_past_the_bytes_budget_is_stopped(plugin, tmp_path) -> None:
    plugin(SlowReader(chunk=64 * 1024), name="reader")
    file = payload(tmp_path, bytes(4 * 1024 * 1024))

    outcome = scan_file(replace(file, budget=ScanBudget(max_bytes=256_000)))

    assert "ScanBudgetExceeded" in outcome.failures["reader"]
    (finding,) = budget_findings(outcome)
    assert "256000 bytes" in finding.message
    assert 256_000 < finding.detail["bytes_read"] < 4 * 1024 * 1024


def test_a_scanner_that_swallows_the_stop_cannot_read_on(plugin, tmp_path) -> None:
    swallower = Swallower(chunk=64 * 1024)
    plugin(swallower, name="swallower")
    file = payload(tmp_path, bytes(4 * 1024 * 1024))

    outcome = scan_file(replace(file, budget=ScanBudget(max_bytes=256_000)))

    assert swallower.read <= 256_000 + 64 * 1024
    assert budget_findings(outcome), "the clean answer of a stopped scanner is not the last word"
    assert outcome.verdict is not Verdict.CLEAN


def test_a_scanner_that_overruns_without_reading_ends_the_scan_with_a_finding(
    plugin, tmp_path
) -> None:
    plugin(slow_scanner, name="slow_scanner")
    file = payload(tmp_path, slow_scanner.MARKER + b"0.4\n")

    outcome = scan_file(replace(file, budget=ScanBudget(max_seconds=0.1)))

    (finding,) = budget_findings(outcome)
    assert "longer than 0.1 seconds" in finding.message
    assert outcome.verdict in (Verdict.FLAGGED, Verdict.ERROR)


def test_scanners_not_yet_called_when_time_is_up_are_skipped(plugin, tmp_path) -> None:
    reader = SlowReader()
    plugin(reader, name="reader")
    file = payload(tmp_path, b"x" * 100)
    spent = ScanBudget(max_seconds=0.01)
    time.sleep(0.02)

    outcome = scan_file(replace(file, budget=spent))

    assert outcome.failures["reader"] == "not called: out of time"
    assert reader.read == 0
    assert "reader" in budget_findings(outcome)[0].detail["stopped_scanners"]


def test_a_scan_within_its_budget_has_no_budget_finding(plugin, tmp_path) -> None:
    plugin(SlowReader(), name="reader")
    file = payload(tmp_path, b"x" * 100_000)
    outcome = scan_file(replace(file, budget=ScanBudget(max_seconds=60, max_bytes=10**6)))
    assert "reader" not in outcome.failures and not budget_findings(outcome)


def test_the_budget_comes_from_the_settings(plugin, tmp_path, settings) -> None:
    settings.HUBGATE_SCAN_MAX_BYTES = 10_000
    plugin(SlowReader(), name="reader")
    outcome = scan_file(payload(tmp_path, bytes(100_000)))
    assert budget_findings(outcome)[0].detail["max_bytes"] == 10_000


def test_the_defaults_bound_every_scan() -> None:
    from django.conf import settings

    assert 0 < settings.HUBGATE_SCAN_MAX_SECONDS < settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert settings.HUBGATE_SCAN_MAX_BYTES >= settings.HUBGATE_MAX_UPLOAD_BYTES


@pytest.mark.django_db
def test_a_stored_blob_over_budget_gets_a_high_finding_that_blocks(
    plugin, settings, django_capture_on_commit_callbacks
) -> None:
    settings.HUBGATE_SCAN_MAX_BYTES = 50_000
    plugin(SlowReader(), name="reader")
    blob = ingest.ingest_chunks([bytes(200_000)])
    scan = FileScan.objects.get(blob=blob)

    scan = run_scan(scan_id=scan.pk)

    finding = scan.findings.get(code="scan_budget_exceeded")
    assert finding.severity == Severity.HIGH and finding.scanner == "hubgate"
    assert scan.verdict == Verdict.ERROR
    assert "ScanBudgetExceeded" in scan.plugin_results["reader"]["error"]


def test_a_spent_budget_stays_spent() -> None:
    budget = ScanBudget(max_bytes=10)
    budget.check(10)
    with pytest.raises(ScanBudgetExceeded, match="more than 10 bytes"):
        budget.check(1)
    with pytest.raises(ScanBudgetExceeded):
        budget.check()
    assert budget.spent() and budget.bytes_read == 11
