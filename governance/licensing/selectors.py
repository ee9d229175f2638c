"""Questions about licenses: a version's effective terms, the verdict for an intended use
(evaluator plugins combined fail-closed, then any legal decision), reports and notices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from governance.accounts.models import ReviewerRole, Team
from governance.approvals.models import ModelRequest, Waiver
from governance.catalog.models import Hub, ModelVersion
from governance.catalog.models import VersionState as S
from governance.hookspecs import (
    EffectiveTerms,
    IntendedUseProfile,
    LicenseEvaluation,
    LicenseReason,
    LicenseVerdict,
    Permission,
)
from governance.plugins import call_hook

from .models import BaseModelLicense, DeclaredLicense, IntendedUse, License, LicenseDecision
from .terms import (
    REASON_LABELS,
    TERM_LABELS,
    HubFlags,
    LicenseData,
    VersionFacts,
    effective_terms,
    expression,
    fingerprint,
)

HOOK = "hubgate_evaluate_license"
#: Hubs whose models carry the creator's permission flags.
FLAG_HUBS = {Hub.CIVITAI}
#: Hubs whose models need a license of their own: CivitAI models carry their base model's
#: license (plus the creator's flags), uploads are the company's own work on a base model.
DECLARING_HUBS = {Hub.HUGGINGFACE}


# --- terms ------------------------------------------------------------------------------------


def profile_snapshot(profile: IntendedUse) -> IntendedUseProfile:
    """The frozen view of a profile that evaluator plugins receive."""
    return IntendedUseProfile(
        slug=profile.slug,
        name=profile.name,
        team=profile.team.slug if profile.team_id else None,
        needs=frozenset(profile.needs),
        accepts_use_restrictions=profile.accepts_use_restrictions,
        territories=tuple(profile.territories),
        annual_revenue_usd=getattr(settings, "HUBGATE_ANNUAL_REVENUE_USD", None),
    )


def effective_terms_for(version: ModelVersion) -> EffectiveTerms:
    """``version``'s declared license ∩ its creator's hub flags ∩ its base model's license."""
    model = version.model
    unknown: list[str] = []
    declared_row = (
        DeclaredLicense.objects.select_related("license").filter(model_id=model.pk).first()
    )
    has_declared = declared_row is not None
    mapping = BaseModelLicense.objects.select_related("license").filter(
        base_model=version.base_model
    ).first()  # fmt: skip
    base = None
    if mapping is None:
        unknown.append(
            f"No license is known for the base model {version.base_model!r}: add it to the "
            "base-model licenses."
        )
    elif mapping.license is not None:
        base = LicenseData.from_license(mapping.license)
    elif not has_declared:
        # "Other": no base model family whose license applies; the model must declare one.
        unknown.append(
            f"The base model {version.base_model!r} has no single license"
            + (f" ({mapping.note})" if mapping.note else "")
            + "."
        )
    declared = LicenseData.from_license(declared_row.license) if declared_row else None
    if declared is None and model.hub in DECLARING_HUBS:
        unknown.append(
            f"No license is declared for this {model.get_hub_display()} model; record the "
            "license its model card declares."
        )
    facts = VersionFacts(
        version_id=version.pk,
        model_id=model.pk,
        model_name=model.name,
        version_name=version.name,
        model_type=model.type,
        base_model=version.base_model,
        hub=model.hub,
        flags=HubFlags.of(model) if model.hub in FLAG_HUBS else None,
        unknown=tuple(unknown),
    )
    return effective_terms(facts, base=base, declared=declared)


# --- evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PluginReason:
    plugin: str
    reason: LicenseReason

    def as_dict(self) -> dict[str, str]:
        r = self.reason
        return {"plugin": self.plugin, "verdict": r.verdict.value, "term": r.term,
                "clause": r.clause, "message": r.message, "source": r.source}  # fmt: skip


@dataclass(frozen=True)
class LicenseOutcome:
    """What the evaluator plugins said, combined fail-closed."""

    verdict: LicenseVerdict
    reasons: tuple[PluginReason, ...]
    terms: EffectiveTerms
    profile: IntendedUseProfile
    basis: str

    def blocking(self) -> list[PluginReason]:
        return [r for r in self.reasons if r.reason.verdict is not LicenseVerdict.COMPLIANT]


def _validate(value: Any) -> LicenseEvaluation:
    if not isinstance(value, LicenseEvaluation):
        raise TypeError(f"expected a LicenseEvaluation, got {type(value).__name__}")
    return value


def evaluate(terms: EffectiveTerms, profile: IntendedUseProfile) -> LicenseOutcome:
    """Every evaluator's answer combined: any non-compliant wins, then any needs-review or
    failure; compliant only when someone answered and everyone said compliant."""
    results = call_hook(HOOK, terms=terms, profile=profile, validate=_validate)
    reasons: list[PluginReason] = []
    verdicts: list[LicenseVerdict] = []
    for result in results:
        if not result.ok:
            verdicts.append(LicenseVerdict.NEEDS_REVIEW)
            reasons.append(PluginReason(result.plugin, LicenseReason(
                LicenseVerdict.NEEDS_REVIEW, "evaluator", "—",
                f"The license evaluator {result.plugin!r} failed ({result.error}); "
                "its answer is missing, so a lawyer must decide.",
            )))  # fmt: skip
            continue
        evaluation: LicenseEvaluation = result.value
        verdicts.append(evaluation.verdict)
        reasons.extend(PluginReason(result.plugin, r) for r in evaluation.reasons)
    if not verdicts:
        verdicts.append(LicenseVerdict.NEEDS_REVIEW)
        reasons.append(PluginReason("hubgate", LicenseReason(
            LicenseVerdict.NEEDS_REVIEW, "evaluator", "—",
            "No license evaluator plugin answered; nothing may be called compliant.",
        )))  # fmt: skip
    verdict = max(verdicts, key=lambda v: v.rank)
    return LicenseOutcome(verdict, tuple(reasons), terms, profile, fingerprint(terms, profile))


@dataclass(frozen=True)
class LicenseStatus:
    """The verdict for one version and intended use, with the legal decision that settles a
    "needs review", if there is a live one for exactly these terms."""

    outcome: LicenseOutcome
    profile: IntendedUse
    decision: LicenseDecision | None = None
    #: Decisions that no longer apply because the terms or profile changed since.
    stale_decisions: tuple[LicenseDecision, ...] = field(default=())

    @property
    def verdict(self) -> LicenseVerdict:
        if self.decision is not None and self.outcome.verdict is LicenseVerdict.NEEDS_REVIEW:
            return LicenseVerdict(self.decision.outcome)
        return self.outcome.verdict

    @property
    def passes(self) -> bool:
        return self.verdict is LicenseVerdict.COMPLIANT

    def summary(self) -> str:
        """One line: the verdict and the first reason that decided it."""
        if self.decision is not None and self.outcome.verdict is LicenseVerdict.NEEDS_REVIEW:
            d = self.decision
            return (f"{self.verdict.value} by legal decision #{d.pk} ({d.decided_by}, until "
                    f"{d.expires_at:%Y-%m-%d}): {d.justification}")  # fmt: skip
        blocking = self.outcome.blocking()
        if blocking:
            r = blocking[0].reason
            label = REASON_LABELS.get(r.term, r.term)
            return f"{self.verdict.value}: {label} — {r.message} ({r.clause})"
        return f"{self.verdict.value} for {self.profile.slug}"

    def as_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "verdict": self.verdict.value,
            "evaluated_verdict": self.outcome.verdict.value,
            "intended_use": self.profile.slug,
            "reasons": [r.as_dict() for r in self.outcome.reasons],
            "decision": None if d is None else {
                "id": d.pk, "outcome": d.outcome, "decided_by": d.decided_by.get_username(),
                "justification": d.justification, "expires_at": d.expires_at.isoformat(),
            },
            "licenses": [
                {"key": r.key, "name": r.name, "spdx_id": r.spdx_id, "version": r.version,
                 "role": r.role, "url": r.url} for r in self.outcome.terms.licenses
            ],
            "terms": terms_as_dict(self.outcome.terms),
            "basis": self.outcome.basis,
        }  # fmt: skip


def reason_text(reason: LicenseReason) -> str:
    """One reason on one line: verdict, what it is about, the message and the clause."""
    label = REASON_LABELS.get(reason.term, reason.term)
    return f"[{reason.verdict.value}] {label}: {reason.message} ({reason.clause})"


def terms_as_dict(terms: EffectiveTerms) -> dict[str, Any]:
    return {
        "terms": {
            name: {"permission": t.permission.value, "source": t.source, "clause": t.clause,
                   "note": t.note, "conditions": list(t.conditions)}
            for name, t in terms.terms.items()
        },
        "use_restrictions": [
            {"text": r.text, "source": r.source, "clause": r.clause} for r in terms.use_restrictions
        ],
        "revenue_limit_usd": terms.revenue_limit_usd,
        "revenue_clause": terms.revenue_clause,
        "excluded_territories": list(terms.excluded_territories),
        "territory_clause": terms.territory_clause,
        "unknown": list(terms.unknown),
    }  # fmt: skip


def live_decisions(version: ModelVersion, profile: IntendedUse, at: datetime):
    """Decisions in force at ``at`` (one whose expiry was processed is over, whatever the clock)."""
    return LicenseDecision.objects.filter(
        version=version,
        intended_use=profile,
        revoked_at__isnull=True,
        expires_at__gt=at,
        expiry_processed_at__isnull=True,
    ).select_related("decided_by")


def license_verdict(
    *, version: ModelVersion, profile: IntendedUse, at: datetime | None = None
) -> LicenseStatus:
    """May a team use ``version`` for ``profile``? The verdict, its reasons, any decision."""
    at = at or timezone.now()
    outcome = evaluate(effective_terms_for(version), profile_snapshot(profile))
    decision, stale = None, []
    if outcome.verdict is LicenseVerdict.NEEDS_REVIEW:
        for candidate in live_decisions(version, profile, at):
            if candidate.basis == outcome.basis:
                decision = candidate
                break
            stale.append(candidate)
    return LicenseStatus(outcome, profile, decision, tuple(stale))


# --- profiles and people ----------------------------------------------------------------------


def profiles_for_team(team: Team | None) -> QuerySet[IntendedUse]:
    """The active profiles a team may name: company-wide ones and its own."""
    profiles = IntendedUse.objects.filter(active=True)
    if team is None:
        return profiles.filter(team__isnull=True)
    return profiles.filter(Q(team__isnull=True) | Q(team=team))


def profile_for_request(*, slug: str, team: Team | None) -> IntendedUse | None:
    return profiles_for_team(team).filter(slug=slug).first()


def intended_uses_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[IntendedUse]:
    """Staff and legal reviewers see every profile; members see company-wide and their teams'."""
    profiles = IntendedUse.objects.select_related("team")
    if not user.is_authenticated:
        return profiles.none()
    if user.is_staff or is_license_reviewer(user):
        return profiles
    return profiles.filter(Q(team__isnull=True) | Q(team__memberships__user=user)).distinct()


def license_reviewer_roles(user: AbstractBaseUser | AnonymousUser) -> list[ReviewerRole]:
    """The roles ``user`` holds that may decide licenses (``HUBGATE_LICENSE_REVIEWER_ROLES``)."""
    if not user.is_authenticated:
        return []
    slugs = getattr(settings, "HUBGATE_LICENSE_REVIEWER_ROLES", ["legal"])
    return list(
        ReviewerRole.objects.filter(
            slug__in=slugs, assignments__user=user, team_scoped=False
        ).order_by("slug")
    )


def is_license_reviewer(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(license_reviewer_roles(user))


def decisions_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[LicenseDecision]:
    decisions = LicenseDecision.objects.select_related(
        "version__model", "intended_use", "decided_by", "role"
    )
    if not user.is_authenticated:
        return decisions.none()
    if user.is_staff or is_license_reviewer(user):
        return decisions
    from governance.catalog.selectors import visible_versions

    return decisions.filter(version__in=visible_versions(user))


def reportable_teams(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Team]:
    """Teams whose compliance report ``user`` may read: their own; all for staff and legal."""
    if not user.is_authenticated:
        return Team.objects.none()
    if user.is_staff or is_license_reviewer(user):
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user).distinct()


def can_read_company_report(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (user.is_staff or is_license_reviewer(user)))


# --- what a change affects --------------------------------------------------------------------

IN_USE = (
    ModelRequest.State.APPROVED,
    ModelRequest.State.GATING,
    ModelRequest.State.IN_REVIEW,
)


def affected_requests(scope: Mapping[str, Any]) -> QuerySet[ModelRequest]:
    """Approved and open requests a change of ``scope`` may affect.

    ``scope`` keys (combined with AND): ``license`` (key: versions whose base model maps to
    it or whose model declares it), ``base_model``, ``model_ids``, ``version_ids``,
    ``profile`` (slug). An empty scope means every request.
    """
    # A retired version can no longer be used: nothing to take back or to gate.
    requests = (
        ModelRequest.objects.filter(state__in=IN_USE)
        .exclude(version__state=S.RETIRED)
        .select_related("version__model", "team")
    )
    if scope.get("license"):
        key = scope["license"]
        bases = BaseModelLicense.objects.filter(license__key=key).values("base_model")
        declared = DeclaredLicense.objects.filter(license__key=key).values("model_id")
        requests = requests.filter(
            Q(version__base_model__in=bases) | Q(version__model_id__in=declared)
        )
    if scope.get("base_model"):
        requests = requests.filter(version__base_model=scope["base_model"])
    if scope.get("model_ids"):
        requests = requests.filter(version__model_id__in=list(scope["model_ids"]))
    if scope.get("version_ids"):
        requests = requests.filter(version_id__in=list(scope["version_ids"]))
    if scope.get("profile"):
        requests = requests.filter(intended_use=scope["profile"])
    return requests.order_by("id")


def versions_in_scope(scope: Mapping[str, Any]) -> QuerySet[ModelVersion]:
    """The versions a change of ``scope`` touches (keys as in :func:`affected_requests`;
    ``profile`` narrows nothing here: a profile is not a version's terms)."""
    versions = ModelVersion.objects.all()
    if scope.get("license"):
        key = scope["license"]
        bases = BaseModelLicense.objects.filter(license__key=key).values("base_model")
        declared = DeclaredLicense.objects.filter(license__key=key).values("model_id")
        versions = versions.filter(Q(base_model__in=bases) | Q(model_id__in=declared))
    if scope.get("base_model"):
        versions = versions.filter(base_model=scope["base_model"])
    if scope.get("model_ids"):
        versions = versions.filter(model_id__in=list(scope["model_ids"]))
    if scope.get("version_ids"):
        versions = versions.filter(pk__in=list(scope["version_ids"]))
    return versions


def request_license_status(
    request: ModelRequest, at: datetime | None = None
) -> LicenseStatus | None:
    """The license verdict of a request's version for its intended use (None: no such profile)."""
    profile = profile_for_request(slug=request.intended_use, team=request.team)
    if profile is None:
        profile = IntendedUse.objects.filter(slug=request.intended_use).first()
    if profile is None:
        return None
    return license_verdict(version=request.version, profile=profile, at=at)


# --- reports ----------------------------------------------------------------------------------


def _obligations(status: LicenseStatus) -> list[str]:
    """What the team must do to stay compliant: conditions of the rights it uses, credit,
    restrictions it accepted, revenue limits."""
    terms, profile = status.outcome.terms, status.outcome.profile
    duties: list[str] = []
    for name in sorted(profile.needs):
        term = terms.terms[name]
        if term.permission is Permission.CONDITIONAL:
            duties.extend(f"{TERM_LABELS[name]}: {c}" for c in term.conditions)
    credit = terms.terms["use_without_credit"]
    if credit.permission is not Permission.ALLOWED:
        duties.append(f"Credit required: {credit.note or credit.clause}")
    if terms.use_restrictions:
        duties.append(
            "Use-based restrictions: " + "; ".join(dict.fromkeys(
                f"{r.source} {r.clause}".strip() for r in terms.use_restrictions
            ))
        )  # fmt: skip
    if terms.revenue_limit_usd and profile.needs & {"commercial_outputs", "commercial_use",
                                                   "hosting", "sell_model"}:  # fmt: skip
        duties.append(
            f"Annual revenue below USD {terms.revenue_limit_usd:,} ({terms.revenue_clause})"
        )
    return list(dict.fromkeys(duties))


def requires_credit(terms: EffectiveTerms) -> bool:
    return terms.terms["use_without_credit"].permission is not Permission.ALLOWED


def compliance_report(*, teams: Iterable[Team] | None = None, at: datetime | None = None) -> dict:
    """What each team uses or has asked for, under which terms and for which use, with the
    verdict now, open violations, live scan waivers and legal decisions.

    ``teams=None`` is the company-wide report.
    """
    at = at or timezone.now()
    team_list = list(teams) if teams is not None else list(Team.objects.order_by("slug"))
    requests = (
        ModelRequest.objects.filter(team__in=team_list, state__in=IN_USE)
        .select_related("version__model__creator", "team")
        .order_by("team__slug", "version__model__name", "version_id", "intended_use", "id")
    )
    rows: list[dict[str, Any]] = []
    for request in requests:
        status = request_license_status(request, at)
        version = request.version
        row: dict[str, Any] = {
            "team": request.team.slug,
            "request_id": request.pk,
            "request_state": request.state,
            "version_id": version.pk,
            "version_state": version.state,
            "model": version.model.name,
            "version": version.name,
            "model_type": version.model.type,
            "base_model": version.base_model,
            "hub": version.model.hub,
            "source_url": version.model.source_url,
            "intended_use": request.intended_use,
        }
        if status is None:
            row.update(verdict=LicenseVerdict.NEEDS_REVIEW.value, licenses="", reasons=[
                f"No intended-use profile named {request.intended_use!r}."
            ], obligations=[], decision=None, requires_credit=False)  # fmt: skip
        else:
            terms = status.outcome.terms
            row.update(
                verdict=status.verdict.value,
                evaluated_verdict=status.outcome.verdict.value,
                licenses=" AND ".join(expression(r.key, r.spdx_id) for r in terms.licenses)
                or "unknown",
                license_names=[f"{r.name} v{r.version}" for r in terms.licenses],
                reasons=[reason_text(r.reason) for r in status.outcome.reasons],
                obligations=_obligations(status),
                decision=None if status.decision is None else status.decision.pk,
                requires_credit=requires_credit(terms),
            )
        row["violation"] = row["verdict"] != LicenseVerdict.COMPLIANT.value and (
            request.state == ModelRequest.State.APPROVED
        )
        rows.append(row)
    version_ids = {row["version_id"] for row in rows}
    waivers = [
        {"kind": "scan", "id": w.pk, "version_id": w.version_id, "code": w.code,
         "granted_by": w.granted_by.get_username(), "justification": w.justification,
         "scope": w.scope, "expires_at": w.expires_at.isoformat()}
        for w in Waiver.objects.filter(
            version_id__in=version_ids, revoked_at__isnull=True, expires_at__gt=at
        ).select_related("granted_by").order_by("version_id", "id")
    ]  # fmt: skip
    used_profiles = {(row["version_id"], row["intended_use"]) for row in rows}
    decisions = [
        {"kind": "license", "id": d.pk, "version_id": d.version_id,
         "intended_use": d.intended_use.slug, "outcome": d.outcome,
         "decided_by": d.decided_by.get_username(), "justification": d.justification,
         "expires_at": d.expires_at.isoformat()}
        for d in LicenseDecision.objects.filter(
            version_id__in=version_ids, revoked_at__isnull=True, expires_at__gt=at
        ).select_related("intended_use", "decided_by").order_by("version_id", "id")
        if (d.version_id, d.intended_use.slug) in used_profiles
    ]  # fmt: skip
    counts = {v.value: sum(row["verdict"] == v.value for row in rows) for v in LicenseVerdict}
    return {
        "generated_at": at.isoformat(),
        "scope": "company" if teams is None else ",".join(t.slug for t in team_list),
        "teams": [t.slug for t in team_list],
        "summary": {
            "requests": len(rows),
            **counts,
            "violations": sum(row["violation"] for row in rows),
            "waivers": len(waivers) + len(decisions),
        },
        "rows": rows,
        "violations": [row for row in rows if row["violation"]],
        "waivers": waivers + decisions,
    }


def attribution_notice(*, team: Team, at: datetime | None = None) -> str:
    """The NOTICE file for everything ``team`` may use: creators to credit and the notices
    of every license in play."""
    at = at or timezone.now()
    requests = (
        ModelRequest.objects.filter(team=team, state=ModelRequest.State.APPROVED)
        .exclude(version__state=S.RETIRED)
        .select_related("version__model__creator")
        .order_by("version__model__name", "version__name", "version_id")
    )
    credits: dict[int, str] = {}
    notices: dict[str, tuple[str, list[str]]] = {}
    for request in requests:
        version = request.version
        if version.pk in credits:
            continue
        terms = effective_terms_for(version)
        title = f"{version.model.name} — {version.name}"
        where = version.model.source_url or f"{version.model.get_hub_display()} model"
        creator = version.model.creator.username if version.model.creator_id else "its creator"
        if requires_credit(terms):
            credit = terms.terms["use_without_credit"]
            credits[version.pk] = (
                f"{title}\n  by {creator}, {where}\n  Credit required: {credit.note} "
                f"({credit.source}: {credit.clause})"
            )
        else:
            credits[version.pk] = ""
        for ref in terms.licenses:
            lic = License.objects.filter(key=ref.key).only("name", "notice", "spdx_id").first()
            if lic is None:
                continue
            entry = notices.setdefault(ref.key, (lic.notice or lic.name, []))
            entry[1].append(title)
    lines = [
        f"NOTICE — models used by {team.name} ({team.slug})",
        f"Generated by Hubgate on {at:%Y-%m-%d %H:%M} UTC from the team's approved requests.",
        "",
        "CREDITS",
        "=======",
    ]
    given = [text for text in credits.values() if text]
    lines.extend(given or ["No model in use requires crediting its creator."])
    lines += ["", "LICENSE NOTICES", "==============="]
    if not notices:
        lines.append("No licensed model in use.")
    for key, (notice, titles) in sorted(notices.items()):
        lines.append(f"[{key}] {notice}")
        lines.extend(f"  - {title}" for title in titles)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
