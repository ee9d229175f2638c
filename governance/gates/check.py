"""The CI quality gate: "is this exact file (or version) approved for this intended use?"

A CI job names each item by a file hash it computed itself (SHA256 or AutoV2) or by a
reference (a version id, a CivitAI URL, an AIR — see ``references``), plus the intended-use
profile it ships for. Each item passes or fails with its reasons, each at a level:

- ``error`` fails the item: not in the catalog (or not visible to the caller), not approved,
  approved but not for this use (for the caller's teams), quarantined, retired, and every
  blocking gate item (``evaluate_gates`` for the profile: open findings, scans pending or
  failed, files not stored, license not compliant for the use, …);
- ``warning`` passes with a warning: deprecated (with its sunset date), waived findings and
  license decisions (with their expiry);
- ``note`` is information: which approval the pass rests on.

Nothing is stored, except — when asked — one ``deployment`` usage event per passing item,
with the CI job's metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.utils import timezone

from governance.approvals.models import ModelRequest
from governance.catalog.models import Hub, ModelFile, ModelVersion
from governance.catalog.models import VersionState as S
from governance.catalog.selectors import can_see_model
from governance.errors import ValidationFailed
from governance.lifecycle.selectors import usage_verdict
from governance.usage.models import UsageEvent
from governance.usage.services import record_usage

from .references import Reference, parse_hash, parse_reference
from .services import GateItem, evaluate_gates

ERROR, WARNING, NOTE = "error", "warning", "note"
PASS, FAIL = "pass", "fail"
VERDICT_CHOICES = [(PASS, "pass"), (FAIL, "fail")]

#: The most items one check may name (a CI client sends more in several calls).
MAX_ITEMS = 500
#: The most catalog files one hash is looked at in (the same bytes in many versions).
MAX_MATCHES = 50

#: Every reason code, with what it means: the SARIF rules and the API docs come from here.
REASON_CODES: dict[str, str] = {
    "not_in_catalog": "No file with this hash, or no such version, in the catalog you may see.",
    "not_approved": "The version is not approved (draft, in review, rejected …) for your teams.",
    "not_approved_for_use": "The version is approved, but not for this intended use.",
    "quarantined": "A file of the version is quarantined: a scanner found something critical.",
    "retired": "The version is retired and may no longer be used.",
    "deprecated": "The version is deprecated: it passes, but move on before its sunset date.",
    "open_finding": "A scanner finding of medium severity or worse that no waiver covers.",
    "waived_finding": "A finding covered by a waiver, until the waiver expires.",
    "scan_pending": "A file is still being scanned.",
    "scan_error": "A file's scan failed; it must be scanned again.",
    "file_not_stored": "A file has not been downloaded or uploaded into Hubgate.",
    "license_not_compliant": "The license does not allow this intended use (or needs review).",
    "license_waived": "A legal decision allows this use, until it expires.",
    "gate_failed": "Another gate blocks the version.",
    "gate_waived": "Another gate's objection is waived, until the waiver expires.",
    "approved": "The approval this pass rests on.",
    "newest_version": "No version was named: the model's newest version was checked.",
}
REASON_CODE_CHOICES = list(REASON_CODES.items())


@dataclass(frozen=True)
class CheckItem:
    """One thing to check: exactly one of ``hash`` and ``ref``; ``name`` is the caller's
    label (a path), echoed back."""

    hash: str = ""
    ref: str = ""
    name: str = ""


@dataclass(frozen=True)
class Reason:
    code: str
    level: str
    message: str
    gate: str | None = None
    file_id: int | None = None
    finding_id: int | None = None
    waiver_id: int | None = None
    severity: str | None = None
    #: When the waiver or decision this rests on expires (ISO 8601).
    expires_at: str | None = None
    #: When a deprecated version will be retired (ISO 8601).
    sunset_at: str | None = None


@dataclass(frozen=True)
class VersionInfo:
    id: int
    name: str
    model_id: int
    model: str
    state: str


@dataclass(frozen=True)
class FileInfo:
    id: int
    name: str
    sha256: str


@dataclass(frozen=True)
class ItemVerdict:
    index: int
    name: str
    hash: str
    ref: str
    verdict: str
    reasons: list[Reason]
    version: VersionInfo | None = None
    file: FileInfo | None = None
    usage_event_id: int | None = None


@dataclass(frozen=True)
class GateCheck:
    profile: str
    checked_at: datetime
    items: list[ItemVerdict] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return FAIL if any(item.verdict == FAIL for item in self.items) else PASS

    @property
    def passed(self) -> int:
        return sum(item.verdict == PASS for item in self.items)

    @property
    def failed(self) -> int:
        return len(self.items) - self.passed


def parse_item(item: CheckItem) -> Reference:
    """The item's hash or reference, parsed; ValueError naming what is wrong."""
    if bool(item.hash) == bool(item.ref):
        raise ValueError("give exactly one of hash and ref")
    return parse_hash(item.hash) if item.hash else parse_reference(item.ref)


def check_gate(
    *,
    user,
    profile: str,
    items: Sequence[CheckItem],
    record_deployment: bool = False,
    ci: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> GateCheck:
    """Pass or fail, with reasons, for every item, for ``profile`` as ``user`` sees it."""
    if not items or len(items) > MAX_ITEMS:
        raise ValidationFailed(
            f"Name 1 to {MAX_ITEMS} items.", errors={"items": [f"1 to {MAX_ITEMS}"]}
        )
    now = at or timezone.now()
    parsed: list[Reference] = []
    problems: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        try:
            parsed.append(parse_item(item))
        except ValueError as exc:
            problems[f"items[{index}]"] = [str(exc)]
    if problems:
        raise ValidationFailed("Some items are not a hash or a reference.", errors=problems)
    judged: dict[int, tuple[list[Reason], Any]] = {}
    results = [
        _check_one(user, profile, index, item, reference, now, judged)
        for index, (item, reference) in enumerate(zip(items, parsed, strict=True))
    ]
    if record_deployment:
        results = [_record(user, profile, result, judged, ci or {}) for result in results]
    return GateCheck(profile=profile, checked_at=now, items=results)


def _candidates(user, reference: Reference) -> list[tuple[ModelVersion, ModelFile | None]]:
    """The versions (and files) a reference names that ``user`` may see.

    Looked up by index first and checked for visibility one by one (``can_see_model``): a
    hash names one file or a few, and the visibility subquery costs more than the lookup.
    """
    if reference.kind in ("sha256", "autov2"):
        files = ModelFile.objects.filter(**{reference.kind: reference.value})
        # The creator too: the license gate reads the model's hub flags through it.
        files = files.select_related("version__model__creator", "version__deprecation")
        return [
            (f.version, f)
            for f in files.order_by("-version_id")[:MAX_MATCHES]
            if can_see_model(user, f.version.model)
        ]
    versions = ModelVersion.objects.select_related("model__creator", "deprecation")
    if reference.kind == "version":
        versions = versions.filter(pk=int(reference.value))
    elif reference.version_id:
        versions = versions.filter(hub=Hub.CIVITAI, external_id=reference.version_id)
        if reference.model_id:
            versions = versions.filter(
                model__hub=Hub.CIVITAI, model__external_id=reference.model_id
            )
    else:
        versions = versions.filter(model__hub=Hub.CIVITAI, model__external_id=reference.model_id)
        newest = [
            v
            for v in versions.order_by("index", "-id")[:MAX_MATCHES]
            if can_see_model(user, v.model)
        ]
        return [(newest[0], None)] if newest else []
    return [(v, None) for v in versions[:MAX_MATCHES] if can_see_model(user, v.model)]


def _check_one(
    user,
    profile: str,
    index: int,
    item: CheckItem,
    reference: Reference,
    now: datetime,
    judged: dict[int, tuple[list[Reason], Any]],
) -> ItemVerdict:
    base = ItemVerdict(
        index=index,
        name=item.name,
        hash=item.hash.strip().upper(),
        ref=item.ref.strip(),
        verdict=FAIL,
        reasons=[],
    )
    candidates = _candidates(user, reference)
    if not candidates:
        message = f"{reference.describe()} is not in the catalog (or not visible to you)."
        return replace(base, reasons=[Reason("not_in_catalog", ERROR, message)])
    options = []
    for version, file in candidates:
        if version.pk not in judged:
            judged[version.pk] = _judge_version(user, version, profile, now)
        reasons = judged[version.pk][0]
        if file is not None:  # this exact file: other files' scan items are not its business
            reasons = [r for r in reasons if r.file_id in (None, file.pk)]
        if reference.kind == "civitai" and not reference.version_id:
            newest = Reason(
                "newest_version", NOTE, f"No version named: checked the newest one, {version.name}."
            )
            reasons = [newest, *reasons]
        verdict = FAIL if any(r.level == ERROR for r in reasons) else PASS
        options.append((verdict, reasons, version, file))
    verdict, reasons, version, file = max(
        options, key=lambda o: (o[0] == PASS, -_count(o[1], ERROR), -_count(o[1], WARNING))
    )
    return replace(
        base,
        verdict=verdict,
        reasons=reasons,
        version=VersionInfo(
            version.pk, version.name, version.model_id, version.model.name, version.state
        ),
        file=FileInfo(file.pk, file.name, file.sha256) if file is not None else None,
    )


def _count(reasons: list[Reason], level: str) -> int:
    return sum(r.level == level for r in reasons)


def _approval_for_use(user, version: ModelVersion, profile: str) -> ModelRequest | None:
    """The approved request the use of ``version`` for ``profile`` rests on: one of the
    caller's teams' (administrators: any team's)."""
    approved = ModelRequest.objects.filter(
        version=version, intended_use=profile, state=ModelRequest.State.APPROVED
    ).select_related("team")
    if not user.is_staff:
        approved = approved.filter(team__memberships__user=user)
    return approved.order_by("-decided_at", "-id").first()


def _judge_version(user, version: ModelVersion, profile: str, now: datetime):
    """Every reason about ``version`` for ``profile``, and the team whose approval holds."""
    reasons: list[Reason] = []
    team = None
    usage = usage_verdict(user, version)
    if not usage.allowed:
        code = "not_approved"
        if usage.status == 410:
            code = "retired"
        elif version.state == S.QUARANTINED:
            code = "quarantined"
        reasons.append(Reason(code, ERROR, usage.reason))
    else:
        approval = _approval_for_use(user, version, profile)
        if approval is None:
            whose = "" if user.is_staff else " for any of your teams"
            reasons.append(
                Reason(
                    "not_approved_for_use",
                    ERROR,
                    f"{version} is approved, but "
                    f"not for {profile!r}{whose}; request it for this use.",
                )
            )
        else:
            team = approval.team
            reasons.append(
                Reason(
                    "approved",
                    NOTE,
                    f"Approved for {profile} for team {team.slug} (request {approval.pk}).",
                )
            )
        if usage.warning:
            deprecation = getattr(version, "deprecation", None)
            sunset = (
                deprecation.sunset_at.isoformat() if deprecation and deprecation.sunset_at else None
            )
            reasons.append(Reason("deprecated", WARNING, usage.warning, sunset_at=sunset))
    if version.state != S.RETIRED:
        report = evaluate_gates(version, intended_use=profile, at=now)
        reasons.extend(r for r in map(gate_reason, report.items) if r is not None)
    return reasons, team


def gate_reason(item: GateItem) -> Reason | None:
    """A gate item as a check reason (None for a gate that passed)."""
    if item.status == "passed":
        return None
    known = item.gate in ("scan", "files", "license")
    if item.status == "waived":
        code = {"scan": "waived_finding", "license": "license_waived"}.get(item.gate, "gate_waived")
        level = WARNING
    else:
        level = ERROR
        if item.status == "quarantined":
            code = "quarantined"
        elif item.gate == "license":
            code = "license_not_compliant"
        elif item.status == "pending":
            code = "scan_pending" if item.gate in ("scan", "files") else "gate_failed"
        elif item.gate == "files":
            code = "file_not_stored"
        elif item.gate == "scan":
            code = "open_finding" if item.finding_id else "scan_error"
        else:
            code = "gate_failed"
    message = item.reason if known else f"[{item.gate}] {item.reason}"
    return Reason(
        code,
        level,
        message,
        gate=item.gate,
        file_id=item.file_id,
        finding_id=item.finding_id,
        waiver_id=item.waiver_id,
        severity=item.severity,
        expires_at=item.expires_at,
    )


def _record(user, profile: str, result: ItemVerdict, judged, ci: Mapping[str, Any]):
    """Record one deployment of a passing item, with the CI job's metadata."""
    if result.verdict != PASS or result.version is None:
        return result
    version = ModelVersion.objects.get(pk=result.version.id)
    file = ModelFile.objects.get(pk=result.file.id) if result.file else None
    event = record_usage(
        kind=UsageEvent.Kind.DEPLOYMENT,
        version=version,
        file=file,
        user=user,
        team=judged[version.pk][1],
        client="ci",
        metadata={**{k: v for k, v in ci.items() if v}, "profile": profile, "item": result.name},
    )
    return replace(result, usage_event_id=event.pk if event else None)
