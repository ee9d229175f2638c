"""Questions about licenses: a version's effective terms, the verdict for an intended use
(evaluator plugins combined fail-closed, then any legal decision), reports and notices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from governance.accounts.models import ReviewerRole, Team
from governance.catalog.models import Hub, ModelVersion
from governance.hookspecs import (
    EffectiveTerms,
    IntendedUseProfile,
    LicenseEvaluation,
    LicenseReason,
    LicenseVerdict,
)
from governance.plugins import call_hook

from .models import BaseModelLicense, DeclaredLicense, IntendedUse, LicenseDecision
from .terms import (
    REASON_LABELS,
    HubFlags,
    LicenseData,
    VersionFacts,
    effective_terms,
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
    mapping = (
        BaseModelLicense.objects.select_related("license")
        .filter(base_model=version.base_model)
        .first()
    )
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
        return {
            "plugin": self.plugin,
            "verdict": r.verdict.value,
            "term": r.term,
            "clause": r.clause,
            "message": r.message,
            "source": r.source,
        }


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
            reasons.append(
                PluginReason(
                    result.plugin,
                    LicenseReason(
                        LicenseVerdict.NEEDS_REVIEW,
                        "evaluator",
                        "—",
                        f"The license evaluator {result.plugin!r} failed ({result.error}); "
                        "its answer is missing, so a lawyer must decide.",
                    ),
                )
            )
            continue
        evaluation: LicenseEvaluation = result.value
        verdicts.append(evaluation.verdict)
        reasons.extend(PluginReason(result.plugin, r) for r in evaluation.reasons)
    if not verdicts:
        verdicts.append(LicenseVerdict.NEEDS_REVIEW)
        reasons.append(
            PluginReason(
                "hubgate",
                LicenseReason(
                    LicenseVerdict.NEEDS_REVIEW,
                    "evaluator",
                    "—",
                    "No license evaluator plugin answered; nothing may be called compliant.",
                ),
            )
        )
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
            return (
                f"{self.verdict.value} by legal decision #{d.pk} ({d.decided_by}, until "
                f"{d.expires_at:%Y-%m-%d}): {d.justification}"
            )
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
            "decision": None
            if d is None
            else {
                "id": d.pk,
                "outcome": d.outcome,
                "decided_by": d.decided_by.get_username(),
                "justification": d.justification,
                "expires_at": d.expires_at.isoformat(),
            },
            "licenses": [
                {
                    "key": r.key,
                    "name": r.name,
                    "spdx_id": r.spdx_id,
                    "version": r.version,
                    "role": r.role,
                    "url": r.url,
                }
                for r in self.outcome.terms.licenses
            ],
            "terms": terms_as_dict(self.outcome.terms),
            "basis": self.outcome.basis,
        }


def reason_text(reason: LicenseReason) -> str:
    """One reason on one line: verdict, what it is about, the message and the clause."""
    label = REASON_LABELS.get(reason.term, reason.term)
    return f"[{reason.verdict.value}] {label}: {reason.message} ({reason.clause})"


def terms_as_dict(terms: EffectiveTerms) -> dict[str, Any]:
    return {
        "terms": {
            name: {
                "permission": t.permission.value,
                "source": t.source,
                "clause": t.clause,
                "note": t.note,
                "conditions": list(t.conditions),
            }
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
    }


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


def versions_in_scope(scope: Mapping[str, Any]) -> QuerySet[ModelVersion]:
    """The versions a change of ``scope`` touches. Keys, combined with AND: ``license`` (key:
    versions whose base model maps to it or whose model declares it), ``base_model``,
    ``model_ids``, ``version_ids``; ``profile`` narrows nothing here (a profile is not a
    version's terms)."""
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
