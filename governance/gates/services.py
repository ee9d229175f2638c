"""The gates a version must pass before it can be approved, and a record of each run.

Gates today: every file is stored and scanned, and every medium-or-worse finding is either
absent or covered by a live waiver; a quarantined file blocks for good. The license gate
(``license``, on the licensing app's verdict) adds its verdict for the request's intended
use to the same report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from governance.catalog.models import ModelVersion
from governance.hookspecs import Severity
from governance.scanning.models import FileScan, Finding, Verdict

from .items import GateItem
from .license import license_gate
from .models import GateRun


@dataclass(frozen=True)
class GateReport:
    items: list[GateItem]

    @property
    def outcome(self) -> str:
        statuses = {item.status for item in self.items}
        for outcome in ("quarantined", "pending", "failed"):
            if outcome in statuses:
                return outcome
        return GateRun.Outcome.PASSED

    @property
    def passed(self) -> bool:
        return self.outcome == GateRun.Outcome.PASSED

    @property
    def has_findings(self) -> bool:
        return any(item.finding_id for item in self.items)

    def blocking(self) -> list[GateItem]:
        return [i for i in self.items if i.status in ("failed", "pending", "quarantined")]


GateFunction = Callable[[ModelVersion, str | None, datetime], list[GateItem]]

#: ``(version, at) -> {(blob sha256, scanner, code, member): waiver}``: the live waivers of a
#: version. Waivers belong to the approvals app, above this one; it installs its selector with
#: ``provide_waivers`` when it loads. Until then nothing is waived: the gate fails closed.
WaiverSource = Callable[[ModelVersion, datetime], Mapping[tuple[str, str, str, str], Any]]


def _no_waivers(version: ModelVersion, at: datetime) -> Mapping[tuple[str, str, str, str], Any]:
    return {}


_waiver_source: WaiverSource = _no_waivers


def provide_waivers(source: WaiverSource) -> None:
    """Install the function the scan gate asks for live waivers (the approvals app's)."""
    global _waiver_source
    _waiver_source = source


def files_and_scans(version: ModelVersion, intended_use: str | None, now: datetime) -> list:
    """Every file stored and scanned; findings of medium or worse absent or waived."""
    files = list(version.files.select_related("blob__current_scan"))
    if not files:
        return [GateItem("files", "failed", "The version has no files.")]
    # One query for the blocking findings of every file, and the waivers only when there are
    # some: the CI gate check runs this for every file it is asked about.
    scan_ids = [f.blob.current_scan_id for f in files if f.blob and f.blob.current_scan_id]
    blocking_of: dict[int, list] = {scan_id: [] for scan_id in scan_ids}
    if scan_ids:
        for finding in Finding.objects.filter(
            scan_id__in=scan_ids, severity_rank__gte=Severity.MEDIUM.rank
        ):
            blocking_of[finding.scan_id].append(finding)
    waivers = _waiver_source(version, now) if any(blocking_of.values()) else {}
    items: list[GateItem] = []
    for file in files:
        blob = file.blob
        if blob is None:
            items.append(
                GateItem(
                    "files",
                    "failed",
                    f"{file.name} has not been downloaded or uploaded into Hubgate yet.",
                    file_id=file.pk,
                )
            )
            continue
        scan = blob.current_scan
        if scan is None or scan.status in (FileScan.Status.QUEUED, FileScan.Status.RUNNING):
            items.append(
                GateItem("scan", "pending", f"{file.name} is being scanned.", file_id=file.pk)
            )
            continue
        if scan.verdict == Verdict.QUARANTINED:
            items.append(
                GateItem(
                    "scan",
                    "quarantined",
                    f"{file.name} is quarantined: a scanner found something critical.",
                    file_id=file.pk,
                    severity=Severity.CRITICAL.value,
                )
            )
            continue
        if scan.verdict == Verdict.ERROR:
            items.append(
                GateItem(
                    "scan",
                    "failed",
                    f"The scan of {file.name} failed "
                    f"({scan.error or 'unknown error'}); re-scan it.",
                    file_id=file.pk,
                )
            )
            continue
        blocking = blocking_of.get(scan.pk, [])
        for finding in blocking:
            key = (blob.sha256, finding.scanner, finding.code, finding.member)
            waiver = waivers.get(key)
            if waiver is not None:
                items.append(
                    GateItem(
                        "scan",
                        "waived",
                        f"{finding.code} in {file.name} is waived by "
                        f"{waiver.granted_by} until {waiver.expires_at:%Y-%m-%d}: "
                        f"{waiver.justification}",
                        file_id=file.pk,
                        finding_id=finding.pk,
                        waiver_id=waiver.pk,
                        severity=finding.severity,
                        expires_at=waiver.expires_at.isoformat(),
                    )
                )
            else:
                items.append(
                    GateItem(
                        "scan",
                        "failed",
                        f"[{finding.severity}] {finding.code} in {file.name}: {finding.message}",
                        file_id=file.pk,
                        finding_id=finding.pk,
                        severity=finding.severity,
                        waivable=True,
                    )
                )
        if not blocking:
            items.append(GateItem("scan", "passed", f"{file.name} scanned clean.", file_id=file.pk))
    return items


#: The gates, in order. Another app adds its gate function here (one line), e.g. licensing.
GATES: list[GateFunction] = [files_and_scans, license_gate]


def evaluate_gates(
    version: ModelVersion, *, intended_use: str | None = None, at: datetime | None = None
) -> GateReport:
    """Every gate's answer for ``version`` now (nothing is stored)."""
    now = at or timezone.now()
    return GateReport([item for gate in GATES for item in gate(version, intended_use, now)])


def record_gate_run(*, version: ModelVersion, report: GateReport, request=None) -> GateRun:
    return GateRun.objects.create(
        version=version,
        request=request,
        outcome=report.outcome,
        items=[asdict(item) for item in report.items],
    )
