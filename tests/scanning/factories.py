"""Finished scans and their findings, as ``governance.scanning.services`` leaves them: the
scan is its blob's current scan and its verdict is the one the engine gives its findings."""

import factory
from django.utils import timezone

from governance.hookspecs import Finding as FoundIssue
from governance.hookspecs import Severity
from governance.ingest.models import Blob
from governance.scanning.engine import ScannedFinding, ScanOutcome, scanner_set
from governance.scanning.models import FileScan, Finding, HubScanResult, Verdict
from tests.ingest.factories import BlobFactory


def verdict_for(*severities: str) -> Verdict:
    """The engine's verdict for a scan that found issues of these severities."""
    found = [
        ScannedFinding("factory", FoundIssue(code="factory", severity=s, message="-"))
        for s in severities
    ]
    return ScanOutcome(file=None, findings=found, failures={}).verdict


class FileScanFactory(factory.django.DjangoModelFactory):
    """A finished scan, made the blob's current scan.

    It finishes the scan ingest queued for the blob (as the worker would) rather than
    leaving that one queued beside it. Its verdict must match its findings: build findings
    with ``FindingFactory(scan=...)`` on a scan whose ``verdict`` is ``verdict_for(...)``.
    """

    class Meta:
        model = FileScan

    blob = factory.SubFactory(BlobFactory)
    status = FileScan.Status.DONE
    verdict = Verdict.CLEAN
    scanner_set = factory.LazyFunction(scanner_set)
    attempts = 1
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda s: s.started_at)
    plugin_results = factory.LazyFunction(dict)
    pickle_scan_result = HubScanResult.SUCCESS
    pickle_scan_message = "No issues found."
    virus_scan_result = HubScanResult.PENDING
    virus_scan_message = "No such scanner is enabled."

    @classmethod
    def _create(cls, model_class, *, blob, **fields):
        scan = blob.scans.filter(status=FileScan.Status.QUEUED).first()
        if scan is None:
            scan = model_class(blob=blob)
        for name, value in fields.items():
            setattr(scan, name, value)
        scan.save()
        if scan.status in (FileScan.Status.DONE, FileScan.Status.FAILED):
            Blob.objects.filter(pk=blob.pk).update(current_scan=scan)
            blob.current_scan = scan
        return scan


class FindingFactory(factory.django.DjangoModelFactory):
    """One finding; by default on a fresh scan whose verdict follows from its severity."""

    class Meta:
        model = Finding

    scan = factory.SubFactory(
        FileScanFactory,
        verdict=factory.LazyAttribute(lambda s: verdict_for(s.factory_parent.severity)),
    )
    scanner = "pickle_opcodes"
    code = factory.Sequence(lambda n: f"pickle.global_import.{n}")
    severity = Severity.MEDIUM.value
    severity_rank = factory.LazyAttribute(lambda f: Severity(f.severity).rank)
    member = "archive/data.pkl"
    message = "Imports a callable that is not on the allow list."
    detail = factory.LazyFunction(lambda: {"module": "collections", "name": "OrderedDict"})
