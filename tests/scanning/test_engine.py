"""Judging scans: critical quarantines, a failed scanner fails closed, reports and exit codes."""

import io
import json
import struct

import pytest

from governance.hookspecs import FileFormat, FileToScan, Finding, Severity, hookimpl
from governance.scanning import report
from governance.scanning.engine import scan_file, scan_path
from governance.scanning.models import Verdict


class Fixed:
    """A scanner that reports the given findings for every file."""

    def __init__(self, *findings: Finding) -> None:
        self.findings = list(findings)

    @hookimpl
    def hubgate_scan_file(self, file):
        return self.findings


class Raising:
    @hookimpl
    def hubgate_scan_file(self, file):
        raise TimeoutError("scanner took too long")


def finding(severity: str, code: str = "t.x") -> Finding:
    return Finding(code=code, severity=severity, message=f"{severity} thing", member="a/b")


def safetensors_file(tmp_path) -> FileToScan:
    header = json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    path = tmp_path / "ok.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(4))
    return FileToScan(path, path.name, path.stat().st_size, detected_format=FileFormat.SAFETENSORS)


def test_a_valid_safetensors_file_is_clean(tmp_path) -> None:
    outcome = scan_file(safetensors_file(tmp_path))
    assert outcome.verdict is Verdict.CLEAN and outcome.findings == []
    assert "safetensors_header" in outcome.scanners


@pytest.mark.parametrize(
    ("severity", "verdict"),
    [
        ("info", Verdict.CLEAN),
        ("low", Verdict.CLEAN),
        ("medium", Verdict.FLAGGED),
        ("high", Verdict.FLAGGED),
        ("critical", Verdict.QUARANTINED),
    ],
)
def test_verdict_follows_the_worst_finding(plugin, tmp_path, severity, verdict) -> None:
    plugin(Fixed(finding(severity)), name="fixed")
    assert scan_file(safetensors_file(tmp_path)).verdict is verdict


def test_a_failing_scanner_fails_closed(plugin, tmp_path) -> None:
    plugin(Raising(), name="raising")
    outcome = scan_file(safetensors_file(tmp_path))
    assert outcome.verdict is Verdict.ERROR
    assert outcome.failures == {"raising": "TimeoutError: scanner took too long"}


def test_a_critical_finding_wins_over_a_failure(plugin, tmp_path) -> None:
    plugin(Raising(), name="raising")
    plugin(Fixed(finding("critical")), name="fixed")
    assert scan_file(safetensors_file(tmp_path)).verdict is Verdict.QUARANTINED


def test_a_scanner_returning_garbage_is_a_failure(plugin, tmp_path) -> None:
    plugin(Fixed("not a finding"), name="garbage")
    outcome = scan_file(safetensors_file(tmp_path))
    assert "garbage" in outcome.failures and outcome.verdict is Verdict.ERROR


def test_an_unidentifiable_file_is_flagged(tmp_path) -> None:
    path = tmp_path / "mystery.bin"
    path.write_bytes(b"\x00\x01 nothing we know")
    outcome = scan_path(path)
    assert outcome.verdict is Verdict.FLAGGED
    assert [f.finding.code for f in outcome.findings] == ["ingest.unknown_format"]


def test_hub_summary_matches_civitai_values(plugin, tmp_path) -> None:
    outcome = scan_file(safetensors_file(tmp_path))
    assert outcome.hub_summary({"safetensors_header"}) == ("Success", "No issues found.")
    assert outcome.hub_summary({"clamav_not_installed"})[0] == "Pending"
    plugin(Fixed(finding("critical", "pickle.dangerous_global")), name="fixed")
    danger = scan_file(safetensors_file(tmp_path))
    assert danger.hub_summary({"fixed"}) == ("Danger", "critical thing")


@pytest.mark.parametrize("output_format", ["text", "json", "sarif"])
def test_report_formats_and_exit_codes(plugin, tmp_path, capsys, output_format) -> None:
    plugin(Fixed(finding("high", "t.high")), name="fixed")
    good = safetensors_file(tmp_path).path
    out = io.StringIO()
    code = report.run([str(good)], output_format=output_format, fail_on="critical", out=out)
    assert code == report.EXIT_CLEAN
    out = io.StringIO()
    code = report.run([str(good)], output_format=output_format, fail_on="high", out=out)
    assert code == report.EXIT_FINDINGS
    text = out.getvalue()
    if output_format == "json":
        assert json.loads(text)["files"][0]["findings"][0]["code"] == "t.high"
    elif output_format == "sarif":
        sarif = json.loads(text)
        assert sarif["version"] == "2.1.0"
        result = sarif["runs"][0]["results"][0]
        assert result["ruleId"] == "t.high" and result["level"] == "error"
        assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "a/b"
    else:
        assert "[high] t.high in a/b" in text


def test_missing_files_and_failed_scanners_exit_2(plugin, tmp_path) -> None:
    assert (
        report.run(
            [str(tmp_path / "nope")], output_format="text", fail_on="high", out=io.StringIO()
        )
        == report.EXIT_ERROR
    )
    plugin(Raising(), name="raising")
    good = safetensors_file(tmp_path).path
    assert (
        report.run([str(good)], output_format="sarif", fail_on="critical", out=io.StringIO())
        == report.EXIT_ERROR
    )


def test_severity_order() -> None:
    ranks = [s.rank for s in (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH)]
    assert ranks == sorted(ranks) and Severity.CRITICAL.rank == 4
