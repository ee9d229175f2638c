"""The CI quality gate: "is this exact file (or version) approved for this intended use?"

A CI job names each item by a file hash it computed itself (SHA256 or AutoV2) or by a
reference (a version id, a CivitAI URL, an AIR — see ``governance.catalog.references``),
plus the intended-use profile it ships for. Each item passes or fails with its reasons, each
at a level:

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

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from governance.accounts.models import Team
from governance.catalog.models import Hub, Model, ModelFile, ModelVersion
from governance.catalog.models import VersionState as S
from governance.catalog.references import (
    CIVITAI,
    HASH,
    VERSION,
    Reference,
    parse_hash,
    parse_reference,
)
from governance.catalog.selectors import can_see_model
from governance.errors import ValidationFailed
from governance.gates.items import GateItem
from governance.usage.models import UsageEvent
from governance.usage.services import record_usage

from .verdicts import (
    Approval,
    VersionVerdict,
    current_verdict_join,
    verdict_from_row,
    verdicts_for,
)

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
    reference = parse_hash(item.hash) if item.hash else parse_reference(item.ref)
    if reference.kind == HASH and reference.hash_kind not in ("sha256", "autov2"):
        raise ValueError(
            f"the check looks files up by SHA256 (64 hex digits) or AutoV2 (10), not by "
            f"{reference.hash_kind}"
        )
    return reference


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
    caller = _Caller.of(user)
    hashes = [r for r in parsed if r.kind == HASH]
    files, verdicts = _files_for(caller, hashes, profile, now)
    candidates = [
        files.get((r.hash_kind, r.hash), []) if r.kind == HASH else _versions(caller, r)
        for r in parsed
    ]
    versions = {v.pk: v for found in candidates for v, _ in found}
    unknown = [v for pk, v in versions.items() if pk not in verdicts]
    verdicts.update(verdicts_for(unknown, profile, now))
    judged = {pk: _judge_version(caller, verdicts[pk], profile) for pk in versions}
    results = [
        _check_one(index, item, reference, found, judged)
        for index, (item, reference, found) in enumerate(
            zip(items, parsed, candidates, strict=True)
        )
    ]
    if record_deployment:
        results = _record(caller, profile, results, candidates, judged, ci or {})
    return GateCheck(profile=profile, checked_at=now, items=results)


@dataclass(frozen=True)
class _Caller:
    """Who asks, with their groups and teams (one query): what a verdict leaves open."""

    user: Any
    group_ids: frozenset[int]
    team_ids: frozenset[int]

    @classmethod
    def of(cls, user) -> _Caller:
        # A team's members are its group's members: accounts.signals keeps the two equal.
        # Plain SQL, like _files_for: the ORM's compiling of this join cost more than the
        # rest of the check (see benchmarks/bench_gate_check.py).
        with connection.cursor() as cursor:
            cursor.execute(_caller_sql(), [user.pk])
            rows = cursor.fetchall()
        return cls(user, frozenset(g for g, _ in rows), frozenset(t for _, t in rows if t))

    def sees(self, version: ModelVersion) -> bool:
        return can_see_model(self.user, version.model)


@functools.cache
def _caller_sql() -> str:
    """The caller's groups, each with the team it mirrors if any (``_Caller.of``)."""
    groups = get_user_model()._meta.get_field("groups")
    through = groups.remote_field.through._meta
    team_group = Team._meta.get_field("group").column
    q = connection.ops.quote_name
    return (
        f"SELECT ug.{q(groups.m2m_reverse_name())}, t.id FROM {q(through.db_table)} ug "  # noqa: S608
        f"LEFT JOIN {q(Team._meta.db_table)} t ON t.{q(team_group)} = "
        f"ug.{q(groups.m2m_reverse_name())} WHERE ug.{q(groups.m2m_column_name())} = %s"
    )


Candidates = list[tuple[ModelVersion, ModelFile | None]]
#: Only what the answer shows and visibility needs (a verdict computed on a miss reloads
#: its versions whole): models carry dozens of columns the check never reads.
_VERSION_FIELDS = ("id", "name", "state", "model_id")
_MODEL_FIELDS = ("id", "name", "mode", "visibility")
_FILE_FIELDS = ("id", "name", "sha256", "autov2", "version_id")


def _files_for(
    caller: _Caller, references: list[Reference], profile: str, now: datetime
) -> tuple[dict[tuple[str, str], Candidates], dict[int, VersionVerdict]]:
    """The visible files each hash names, and the current stored verdicts of their versions:
    for every hash of the check, one query per kind of hash.

    Plain SQL, reading only the columns the answer shows and visibility needs: this is the
    hot path of every check, and the ORM's compiling cost several times the query. Visibility
    is checked one file at a time (``can_see_model`` asks nothing for company-wide models): a
    hash names one file or a few, and the visibility subquery costs more than the lookup.
    """
    found: dict[tuple[str, str], Candidates] = {}
    verdicts: dict[int, VersionVerdict] = {}
    join, params = current_verdict_join("v.id", profile, now)
    tables = {
        m: connection.ops.quote_name(m._meta.db_table) for m in (ModelFile, ModelVersion, Model)
    }
    for kind in ("sha256", "autov2"):
        values = sorted({r.hash for r in references if r.hash_kind == kind})
        if not values:
            continue
        sql = (
            "SELECT f.id, f.name, f.sha256, f.autov2, v.id, v.name, v.state, m.id, m.name, "  # noqa: S608
            f"m.mode, m.visibility, gv.state, gv.data FROM {tables[ModelFile]} f "
            f"JOIN {tables[ModelVersion]} v ON v.id = f.version_id "
            f"JOIN {tables[Model]} m ON m.id = v.model_id {join} "
            f"WHERE f.{kind} IN ({', '.join(['%s'] * len(values))}) "
            "ORDER BY f.version_id DESC, f.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *values])
            rows = cursor.fetchall()
        for row in rows:
            model = _loaded(Model, zip(_MODEL_FIELDS, row[7:11], strict=True))
            version = _loaded(
                ModelVersion, zip(_VERSION_FIELDS, (*row[4:7], model.pk), strict=True)
            )
            version.model = model
            file = _loaded(ModelFile, zip(_FILE_FIELDS, (*row[0:4], version.pk), strict=True))
            file.version = version
            matches = found.setdefault((kind, getattr(file, kind)), [])
            if len(matches) < MAX_MATCHES and caller.sees(version):
                matches.append((version, file))
                verdict = verdict_from_row(row[11], row[12], version.state)
                if verdict is not None:
                    verdicts[version.pk] = verdict
    return found, verdicts


def _loaded(cls, values):
    """An instance of ``cls`` as the ORM loads one with only some columns (the rest
    deferred): ``from_db`` wants the values in the model's field order."""
    values = dict(values)
    names = [f.attname for f in cls._meta.concrete_fields if f.attname in values]
    return cls.from_db(None, names, [values[name] for name in names])


def _versions(caller: _Caller, reference: Reference) -> Candidates:
    """The visible versions a version id or CivitAI reference names."""
    versions = ModelVersion.objects.select_related("model").only(
        *_VERSION_FIELDS, *(f"model__{f}" for f in _MODEL_FIELDS)
    )
    if reference.kind == VERSION:
        versions = versions.filter(pk=reference.version_id)
    elif reference.version_id:
        versions = versions.filter(hub=Hub.CIVITAI, external_id=str(reference.version_id))
        if reference.model_id:
            versions = versions.filter(
                model__hub=Hub.CIVITAI, model__external_id=str(reference.model_id)
            )
    else:
        versions = versions.filter(
            model__hub=Hub.CIVITAI, model__external_id=str(reference.model_id)
        )
        newest = [v for v in versions.order_by("index", "-id")[:MAX_MATCHES] if caller.sees(v)]
        return [(newest[0], None)] if newest else []
    return [(v, None) for v in versions[:MAX_MATCHES] if caller.sees(v)]


def _check_one(
    index: int,
    item: CheckItem,
    reference: Reference,
    candidates: Candidates,
    judged: dict[int, tuple[list[Reason], Approval | None]],
) -> ItemVerdict:
    base = ItemVerdict(
        index=index,
        name=item.name,
        hash=item.hash.strip().upper(),
        ref=item.ref.strip(),
        verdict=FAIL,
        reasons=[],
    )
    if not candidates:
        message = f"{reference.describe()} is not in the catalog (or not visible to you)."
        return replace(base, reasons=[Reason("not_in_catalog", ERROR, message)])
    options = []
    for version, file in candidates:
        reasons = judged[version.pk][0]
        if file is not None:  # this exact file: other files' scan items are not its business
            reasons = [r for r in reasons if r.file_id in (None, file.pk)]
        if reference.kind == CIVITAI and not reference.version_id:
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


def _judge_version(caller: _Caller, verdict: VersionVerdict, profile: str):
    """Every reason about a version for ``profile`` as ``caller`` sees it, and the approval
    the use rests on: the version's precomputed verdict plus the caller's teams."""
    reasons: list[Reason] = []
    approval = None
    user = caller.user
    if verdict.refusal or not verdict.usable_by(user, caller.group_ids):
        code = "not_approved"
        if verdict.refusal_status == 410:
            code = "retired"
        elif verdict.state == S.QUARANTINED:
            code = "quarantined"
        reasons.append(Reason(code, ERROR, verdict.refusal or verdict.not_yours))
    else:
        approval = verdict.approval_for(user, caller.team_ids)
        if approval is None:
            whose = "" if user.is_staff else " for any of your teams"
            reasons.append(
                Reason(
                    "not_approved_for_use",
                    ERROR,
                    f"{verdict.label} is approved, but "
                    f"not for {profile!r}{whose}; request it for this use.",
                )
            )
        else:
            reasons.append(
                Reason(
                    "approved",
                    NOTE,
                    f"Approved for {profile} for team {approval.team_slug} "
                    f"(request {approval.request_id}).",
                )
            )
        if verdict.deprecation_warning:
            reasons.append(
                Reason(
                    "deprecated", WARNING, verdict.deprecation_warning, sunset_at=verdict.sunset_at
                )
            )
    reasons.extend(r for r in map(gate_reason, verdict.gate_items) if r is not None)
    return reasons, approval


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


def _record(
    caller: _Caller,
    profile: str,
    results: list[ItemVerdict],
    candidates: list[Candidates],
    judged: dict[int, tuple[list[Reason], Approval | None]],
    ci: Mapping[str, Any],
) -> list[ItemVerdict]:
    """Record one deployment of each passing item, with the CI job's metadata: one insert
    each, with the version, file and team the check already loaded."""
    metadata = {k: v for k, v in ci.items() if v}
    loaded = {v.pk: v for found in candidates for v, _ in found}
    loaded_files = {f.pk: f for found in candidates for _, f in found if f is not None}
    recorded = []
    for result in results:
        if result.verdict != PASS or result.version is None:
            recorded.append(result)
            continue
        version = loaded[result.version.id]
        file = loaded_files.get(result.file.id) if result.file else None
        approval = judged[version.pk][1]
        event = record_usage(
            kind=UsageEvent.Kind.DEPLOYMENT,
            version=version,
            file=file,
            user=caller.user,
            team=Team(pk=approval.team_id, slug=approval.team_slug) if approval else None,
            client="ci",
            metadata={**metadata, "profile": profile, "item": result.name},
        )
        recorded.append(replace(result, usage_event_id=event.pk if event else None))
    return recorded
