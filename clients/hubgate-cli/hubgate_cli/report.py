"""The check's answer as text, JSON, JUnit XML or SARIF 2.1.0."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import __version__

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/hubgate/hubgate"


@dataclass
class Report:
    """What one ``hubgate check`` run found: the server's items (each with the local ``path``
    it came from, if any), or the error that kept Hubgate from answering."""

    url: str
    profile: str
    items: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    #: The error was Hubgate being unavailable and --fail-open let the job pass.
    failed_open: bool = False
    strict: bool = False
    started_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )
    duration: float = 0.0

    @property
    def outcome(self) -> str:
        if self.error:
            return "error"
        return "fail" if any(self.item_fails(item) for item in self.items) else "pass"

    def item_fails(self, item: dict[str, Any]) -> bool:
        if item.get("verdict") != "pass":
            return True
        return self.strict and any(r.get("level") == "warning" for r in item.get("reasons", []))

    @property
    def exit_code(self) -> int:
        if self.error:
            return 0 if self.failed_open else 2
        return 1 if self.outcome == "fail" else 0


def label(item: dict[str, Any]) -> str:
    return item.get("path") or item.get("name") or item.get("ref") or item.get("hash") or "?"


def subject(item: dict[str, Any]) -> str:
    version = item.get("version")
    if not version:
        return ""
    return f"{version['model']} — {version['name']} (version {version['id']}, {version['state']})"


def render(report: Report, output_format: str) -> str:
    return {"text": text, "json": as_json, "junit": junit, "sarif": sarif}[output_format](report)


def text(report: Report) -> str:
    lines = [f"hubgate check: profile {report.profile!r} at {report.url}"]
    if report.error:
        lines.append(
            ("WARNING (fail-open, passing): " if report.failed_open else "ERROR: ") + report.error
        )
        return "\n".join(lines) + "\n"
    for item in report.items:
        verdict = "FAIL" if report.item_fails(item) else "PASS"
        about = subject(item)
        lines.append(f"{verdict}  {label(item)}" + (f"  →  {about}" if about else ""))
        for reason in item.get("reasons", []):
            lines.append(f"      {reason['level']}: {reason['message']} [{reason['code']}]")
    failed = sum(report.item_fails(item) for item in report.items)
    lines.append(f"{len(report.items) - failed} passed, {failed} failed")
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    body = {
        "hubgate_url": report.url,
        "profile": report.profile,
        "outcome": report.outcome,
        "exit_code": report.exit_code,
        "passed": sum(not report.item_fails(i) for i in report.items),
        "failed": sum(report.item_fails(i) for i in report.items),
        "error": report.error or None,
        "failed_open": report.failed_open,
        "items": report.items,
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def junit(report: Report) -> str:
    """JUnit XML as Jenkins, GitLab and GitHub test reporters read it: one test case per
    item; an item that fails is a <failure>, Hubgate not answering an <error> (or, with
    --fail-open, a <skipped>)."""
    suites = ET.Element("testsuites", name="hubgate check")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"hubgate.{report.profile}",
        timestamp=report.started_at[:19],
        time=f"{report.duration:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="hubgate.url", value=report.url)
    ET.SubElement(properties, "property", name="hubgate.profile", value=report.profile)
    failures = errors = skipped = 0
    cases = report.items or ([{"name": "hubgate check"}] if report.error else [])
    for item in cases:
        case = ET.SubElement(
            suite, "testcase", classname=f"hubgate.{report.profile}", name=label(item), time="0"
        )
        if report.error:
            if report.failed_open:
                skipped += 1
                ET.SubElement(case, "skipped", message=f"fail-open: {report.error}")
            else:
                errors += 1
                element = ET.SubElement(case, "error", message=report.error, type="unavailable")
                element.text = report.error
            continue
        reasons = item.get("reasons", [])
        blocking = [r for r in reasons if r["level"] == "error"]
        if report.strict:
            blocking += [r for r in reasons if r["level"] == "warning"]
        if report.item_fails(item):
            failures += 1
            first = blocking[0] if blocking else {"code": "failed", "message": "failed"}
            element = ET.SubElement(case, "failure", message=first["message"], type=first["code"])
            element.text = "\n".join(f"[{r['code']}] {r['message']}" for r in blocking)
        rest = [r for r in reasons if r not in blocking]
        out = [subject(item)] if subject(item) else []
        out += [f"{r['level']}: [{r['code']}] {r['message']}" for r in rest]
        if out:
            ET.SubElement(case, "system-out").text = "\n".join(out)
    tests = str(len(cases))
    for element in (suites, suite):
        element.set("tests", tests)
        element.set("failures", str(failures))
        element.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suites.set("time", f"{report.duration:.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


_LEVELS = {"error": "error", "warning": "warning", "note": "note"}


def sarif(report: Report) -> str:
    """SARIF 2.1.0: one result per error or warning reason (notes are not problems), at the
    file's path when the item is a local file."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    artifacts: list[dict[str, Any]] = []
    artifact_index: dict[str, int] = {}
    for item in report.items:
        path = item.get("path")
        if path and path not in artifact_index:
            artifact_index[path] = len(artifacts)
            artifact = {"location": {"uri": _uri(path)}}
            if item.get("hash") and len(item["hash"]) == 64:
                artifact["hashes"] = {"sha-256": item["hash"].lower()}
            artifacts.append(artifact)
        for reason in item.get("reasons", []):
            level = reason["level"]
            if level == "note":
                continue
            if report.strict and level == "warning":
                level = "error"
            code = reason["code"]
            rules.setdefault(
                code,
                {
                    "id": code,
                    "name": "".join(part.title() for part in code.split("_")),
                    "shortDescription": {"text": code.replace("_", " ").capitalize()},
                    "helpUri": INFORMATION_URI,
                },
            )
            result: dict[str, Any] = {
                "ruleId": code,
                "level": _LEVELS[level],
                "message": {"text": f"{label(item)}: {reason['message']}"},
                "properties": {"profile": report.profile, "verdict": item.get("verdict")},
            }
            if path:
                result["locations"] = [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(path), "index": artifact_index[path]}
                        }
                    }
                ]
            else:
                result["locations"] = [
                    {"logicalLocations": [{"name": label(item), "kind": "resource"}]}
                ]
            if item.get("version"):
                result["properties"]["version_id"] = item["version"]["id"]
            for key in ("expires_at", "sunset_at", "severity", "finding_id"):
                if reason.get(key) is not None:
                    result["properties"][key] = reason[key]
            results.append(result)
    invocation: dict[str, Any] = {"executionSuccessful": not report.error}
    if report.error:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "warning" if report.failed_open else "error",
                "message": {"text": report.error},
            }
        ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "hubgate",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": list(rules.values()),
            }
        },
        "invocations": [invocation],
        "results": results,
        "properties": {
            "hubgate_url": report.url,
            "profile": report.profile,
            "outcome": report.outcome,
        },
    }
    if artifacts:
        run["artifacts"] = artifacts
    body = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    """A relative path as a URI reference (forward slashes, spaces and the like escaped)."""
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/._-~")
