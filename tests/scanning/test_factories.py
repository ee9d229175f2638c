import pytest

from governance.hookspecs import Severity
from governance.scanning.models import FileScan, Verdict
from tests.scanning.factories import FileScanFactory, FindingFactory, verdict_for

pytestmark = pytest.mark.django_db


def test_a_file_scan_finishes_the_scan_ingest_queued_and_becomes_current():
    scan = FileScanFactory()
    scan.full_clean()
    blob = scan.blob
    blob.refresh_from_db()
    assert blob.current_scan == scan
    assert list(blob.scans.all()) == [scan]
    assert (scan.status, scan.verdict) == (FileScan.Status.DONE, Verdict.CLEAN)


@pytest.mark.parametrize(
    ("severity", "verdict"),
    [
        (Severity.LOW, Verdict.CLEAN),
        (Severity.MEDIUM, Verdict.FLAGGED),
        (Severity.HIGH, Verdict.FLAGGED),
        (Severity.CRITICAL, Verdict.QUARANTINED),
    ],
)
def test_a_finding_ranks_its_severity_and_its_scan_has_the_engines_verdict(severity, verdict):
    finding = FindingFactory(severity=severity.value)
    finding.full_clean()
    finding.scan.full_clean()
    assert finding.severity_rank == severity.rank
    assert finding.scan.verdict == verdict == verdict_for(severity.value)
    assert finding.scan.blob.current_scan_id == finding.scan.pk


def test_findings_can_share_a_scan():
    scan = FileScanFactory(verdict=verdict_for("medium", "low"))
    FindingFactory(scan=scan, severity="medium")
    FindingFactory(scan=scan, severity="low")
    assert [f.severity for f in scan.findings.all()] == ["medium", "low"]
