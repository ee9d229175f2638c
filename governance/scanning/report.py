"""Scanning local files from the command line: text, JSON and SARIF reports, exit codes.

Shared by ``manage.py scan`` and the offline ``hubgate scan``. Exit codes: 0 nothing at or
above ``fail_on``; 1 findings at or above it; 2 an error (a file could not be read, or a
scanner failed — which fails closed).
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from governance.hookspecs import Severity

from .engine import ScanOutcome, scan_path

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def _version() -> str:
    try:
        return importlib.metadata.version("hubgate")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def scan_paths(paths: Sequence[str]) -> tuple[list[ScanOutcome], dict[str, str]]:
    """Scan each path; unreadable paths come back as errors instead of outcomes."""
    outcomes, errors = [], {}
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            errors[raw] = "not a readable file"
            continue
        try:
            outcomes.append(scan_path(path, name=raw))
        except OSError as exc:
            errors[raw] = f"{type(exc).__name__}: {exc}"
    return outcomes, errors


def exit_code(outcomes: list[ScanOutcome], errors: dict[str, str], fail_on: Severity) -> int:
    if errors or any(o.failures for o in outcomes):
        return EXIT_ERROR
    if any(o.at_or_above(fail_on) for o in outcomes):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _finding_dict(f) -> dict[str, Any]:
    return {
        "scanner": f.scanner,
        "code": f.finding.code,
        "severity": f.finding.severity.value,
        "member": f.finding.member,
        "message": f.finding.message,
        "detail": dict(f.finding.detail),
    }


def render_json(outcomes: list[ScanOutcome], errors: dict[str, str]) -> str:
    files = [
        {
            "path": o.file.name,
            "size": o.file.size,
            "format": o.file.detected_format.value,
            "verdict": o.verdict.value,
            "findings": [_finding_dict(f) for f in o.findings],
            "scanner_failures": o.failures,
        }
        for o in outcomes
    ]
    return json.dumps({"files": files, "errors": errors}, indent=2, default=str)


def render_sarif(outcomes: list[ScanOutcome], errors: dict[str, str]) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for outcome in outcomes:
        for f in outcome.findings:
            rules.setdefault(
                f.finding.code,
                {
                    "id": f.finding.code,
                    "name": f.finding.code.replace(".", "_"),
                    "shortDescription": {"text": f.finding.code},
                    "properties": {"scanner": f.scanner},
                },
            )
            location: dict[str, Any] = {
                "physicalLocation": {
                    "artifactLocation": {"uri": Path(outcome.file.name).as_posix()}
                }
            }
            if f.finding.member:
                location["logicalLocations"] = [
                    {"fullyQualifiedName": f.finding.member, "kind": "member"}
                ]
            results.append(
                {
                    "ruleId": f.finding.code,
                    "level": _SARIF_LEVEL[f.finding.severity],
                    "message": {"text": f.finding.message},
                    "locations": [location],
                    "properties": {
                        "severity": f.finding.severity.value,
                        "scanner": f.scanner,
                        "detail": dict(f.finding.detail),
                    },
                }
            )
    notifications = [
        {"level": "error", "message": {"text": f"{path}: {error}"}}
        for path, error in errors.items()
    ] + [
        {"level": "error", "message": {"text": f"{o.file.name}: scanner {name} failed: {error}"}}
        for o in outcomes
        for name, error in o.failures.items()
    ]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hubgate",
                        "version": _version(),
                        "informationUri": "https://github.com/hubgate/hubgate",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
            }
        ],
    }
    return json.dumps(sarif, indent=2, default=str)


def render_text(outcomes: list[ScanOutcome], errors: dict[str, str]) -> str:
    lines = []
    for o in outcomes:
        lines.append(
            f"{o.file.name}: {o.verdict.value.upper()} ({o.file.detected_format.value}, "
            f"{o.file.size} bytes, {len(o.findings)} finding(s))"
        )
        for f in o.findings:
            where = f" in {f.finding.member}" if f.finding.member else ""
            lines.append(
                f"  [{f.finding.severity.value}] {f.finding.code}{where}: {f.finding.message}"
            )
        for name, error in o.failures.items():
            lines.append(f"  [error] scanner {name} failed: {error}")
    for path, error in errors.items():
        lines.append(f"{path}: ERROR {error}")
    return "\n".join(lines)


RENDERERS = {"text": render_text, "json": render_json, "sarif": render_sarif}


def run(paths: Sequence[str], *, output_format: str, fail_on: str, out: TextIO) -> int:
    """Scan ``paths``, write the report to ``out``, return the exit code."""
    outcomes, errors = scan_paths(paths)
    out.write(RENDERERS[output_format](outcomes, errors) + "\n")
    return exit_code(outcomes, errors, Severity(fail_on))
