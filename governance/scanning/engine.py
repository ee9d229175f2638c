"""Running every scanner plugin over one file and judging the result.

Used by the scan task (stored blobs), ``manage.py scan`` and the offline ``hubgate scan``.
It never touches the database.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from governance.hookspecs import (
    FileFormat,
    FileToScan,
    Finding,
    ScanBudget,
    ScanBudgetExceeded,
    Severity,
)
from governance.ingest import formats
from governance.plugins import PluginResult, call_hook, plugin_infos

from .models import HubScanResult, Verdict

#: The scanners whose findings make up CivitAI's "pickle scan" summary.
PICKLE_SCANNERS = frozenset({"pickle_opcodes"})
VIRUS_SCANNERS = frozenset({"clamav"})
#: How call_hook records a scanner the budget stopped (the reader raised) or skipped.
_BUDGET_ERRORS = (f"{ScanBudgetExceeded.__name__}:", "not called: out of time")


@dataclass(frozen=True)
class ScannedFinding:
    scanner: str
    finding: Finding


@dataclass(frozen=True)
class ScanOutcome:
    file: FileToScan
    findings: list[ScannedFinding]
    #: plugin name → error, for every scanner that raised or answered nonsense.
    failures: dict[str, str]
    #: plugin name → seconds, for every scanner that answered.
    durations: dict[str, float] = field(default_factory=dict)
    #: every enabled scanner, whether it answered or abstained (the file was not its kind).
    scanners: frozenset[str] = frozenset()

    @property
    def verdict(self) -> Verdict:
        if any(f.finding.severity is Severity.CRITICAL for f in self.findings):
            return Verdict.QUARANTINED
        if self.failures:
            return Verdict.ERROR  # fail closed: an unanswered question is not a clean file
        if any(f.finding.severity.rank >= Severity.MEDIUM.rank for f in self.findings):
            return Verdict.FLAGGED
        return Verdict.CLEAN

    def at_or_above(self, severity: Severity) -> list[ScannedFinding]:
        return [f for f in self.findings if f.finding.severity.rank >= severity.rank]

    def hub_summary(self, scanners: Iterable[str]) -> tuple[str, str]:
        """CivitAI's (result, message) for the findings of ``scanners``."""
        names = set(scanners)
        failed = sorted(name for name in self.failures if name in names)
        if failed:
            return HubScanResult.ERROR, "; ".join(f"{n}: {self.failures[n]}" for n in failed)
        if not names & self.scanners:
            return HubScanResult.PENDING, "No such scanner is enabled."
        mine = [f for f in self.findings if f.scanner in names]
        dangerous = [f for f in mine if f.finding.severity.rank >= Severity.HIGH.rank]
        if dangerous:
            return HubScanResult.DANGER, "; ".join(f.finding.message for f in dangerous[:5])
        if mine:
            return HubScanResult.SUCCESS, "; ".join(f.finding.message for f in mine[:5])
        return HubScanResult.SUCCESS, "No issues found."


def _as_findings(value: object) -> list[Finding]:
    if isinstance(value, Finding):
        raise TypeError("a scanner must return a sequence of Finding, not one Finding")
    items = list(value)  # type: ignore[call-overload]
    if not all(isinstance(item, Finding) for item in items):
        raise TypeError("a scanner must return a sequence of Finding")
    return items


def _scanner_infos():
    return [i for i in plugin_infos() if i.loaded and "hubgate_scan_file" in i.hooks]


def scanner_set() -> str:
    """The enabled scanners with their versions: a new value means files need a re-scan."""
    parts = []
    for info in _scanner_infos():
        version = ""
        if info.distribution:
            try:
                version = importlib.metadata.version(info.distribution)
            except importlib.metadata.PackageNotFoundError:
                version = "?"
        parts.append(f"{info.name}@{version}")
    return ",".join(parts)


def scan_budget() -> ScanBudget:
    """A fresh budget for one scan: HUBGATE_SCAN_MAX_SECONDS and HUBGATE_SCAN_MAX_BYTES."""
    return ScanBudget(
        max_seconds=settings.HUBGATE_SCAN_MAX_SECONDS, max_bytes=settings.HUBGATE_SCAN_MAX_BYTES
    )


def scan_file(file: FileToScan) -> ScanOutcome:
    """Run every enabled scanner on ``file``; a scanner that raises is a failure, not a crash.

    The scan spends at most its budget (``file.budget``, else the settings'): scanners read
    through ``file.open()``, which stops them once it is spent; scanners not called by then
    are skipped. Either way they are failures and the scan ends with a high
    ``scan_budget_exceeded`` finding, instead of running on.
    """
    budget = file.budget or scan_budget()
    if file.budget is None:
        file = dataclasses.replace(file, budget=budget)
    results: list[PluginResult[list[Finding]]] = call_hook(
        "hubgate_scan_file", validate=_as_findings, deadline=budget.deadline, file=file
    )
    findings = [
        ScannedFinding(r.plugin, finding) for r in results if r.ok for finding in r.value or []
    ]
    # Also spent by a scanner that ran long without reading (the reader could not stop it).
    if budget.spent():
        findings.append(_budget_finding(budget, results))
    if file.size == 0:
        findings.append(
            ScannedFinding(
                "hubgate",
                Finding(
                    code="ingest.empty_file",
                    severity=Severity.MEDIUM,
                    message="The file is empty: it cannot be the model it claims to be.",
                ),
            )
        )
    elif file.detected_format is FileFormat.UNKNOWN:
        findings.append(
            ScannedFinding(
                "hubgate",
                Finding(
                    code="ingest.unknown_format",
                    severity=Severity.MEDIUM,
                    message="Hubgate could not identify this file's format from its content, "
                    "so no format-specific scanner vouches for it.",
                ),
            )
        )
    findings.sort(key=lambda f: (-f.finding.severity.rank, f.scanner, f.finding.code))
    return ScanOutcome(
        file=file,
        findings=findings,
        failures={r.plugin: r.error for r in results if not r.ok},
        durations={r.plugin: r.duration for r in results if r.ok},
        scanners=frozenset(i.name for i in _scanner_infos()),
    )


def _budget_finding(
    budget: ScanBudget, results: list[PluginResult[list[Finding]]]
) -> ScannedFinding:
    cut = sorted(r.plugin for r in results if r.error and r.error.startswith(_BUDGET_ERRORS))
    return ScannedFinding(
        "hubgate",
        Finding(
            code="scan_budget_exceeded",
            severity=Severity.HIGH,
            message=f"The scan was stopped before it finished: it {budget.exceeded}. "
            "What was not read was not checked; raise HUBGATE_SCAN_MAX_SECONDS or "
            "HUBGATE_SCAN_MAX_BYTES and re-scan if the file is legitimately this costly.",
            detail={
                "max_seconds": budget.max_seconds,
                "max_bytes": budget.max_bytes,
                "seconds": round(budget.elapsed, 3),
                "bytes_read": budget.bytes_read,
                "stopped_scanners": cut,
            },
        ),
    )


def scan_path(path: Path, *, name: str | None = None, declared_format: str | None = None):
    """Scan a local file that is not (necessarily) stored in Hubgate."""
    size = path.stat().st_size
    file = FileToScan(
        path=path,
        name=name or path.name,
        size=size,
        declared_format=declared_format,
        detected_format=formats.identify(path),
    )
    return scan_file(file)
