"""License compliance of what teams asked for and use: which approved and open requests a
license change touches, each request's verdict for its intended use, the compliance reports
and the NOTICE file. The terms and their evaluation are the licensing app's; the requests are
this app's, so the questions that join them live here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from governance.accounts.models import Team
from governance.catalog.models import VersionState as S
from governance.hookspecs import EffectiveTerms, LicenseVerdict, Permission
from governance.licensing.models import IntendedUse, License, LicenseDecision
from governance.licensing.selectors import (
    LicenseStatus,
    effective_terms_for,
    license_verdict,
    profile_for_request,
    reason_text,
    versions_in_scope,
)
from governance.licensing.terms import TERM_LABELS, expression

from .models import ModelRequest, Waiver

IN_USE = (
    ModelRequest.State.APPROVED,
    ModelRequest.State.GATING,
    ModelRequest.State.IN_REVIEW,
)


def affected_requests(scope: Mapping[str, Any]) -> QuerySet[ModelRequest]:
    """Approved and open requests a change of ``scope`` may affect.

    ``scope`` keys (combined with AND): those of
    :func:`governance.licensing.selectors.versions_in_scope` (``license``, ``base_model``,
    ``model_ids``, ``version_ids``) and ``profile`` (an intended-use slug). An empty scope
    means every request.
    """
    # A retired version can no longer be used: nothing to take back or to gate.
    requests = (
        ModelRequest.objects.filter(state__in=IN_USE)
        .exclude(version__state=S.RETIRED)
        .select_related("version__model", "team")
    )
    if any(scope.get(key) for key in ("license", "base_model", "model_ids", "version_ids")):
        requests = requests.filter(version__in=versions_in_scope(scope))
    if scope.get("profile"):
        requests = requests.filter(intended_use=scope["profile"])
    return requests.order_by("id")


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
            "Use-based restrictions: "
            + "; ".join(
                dict.fromkeys(f"{r.source} {r.clause}".strip() for r in terms.use_restrictions)
            )
        )
    if terms.revenue_limit_usd and profile.needs & {
        "commercial_outputs",
        "commercial_use",
        "hosting",
        "sell_model",
    }:
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
            row.update(
                verdict=LicenseVerdict.NEEDS_REVIEW.value,
                licenses="",
                reasons=[f"No intended-use profile named {request.intended_use!r}."],
                obligations=[],
                decision=None,
                requires_credit=False,
            )
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
        {
            "kind": "scan",
            "id": w.pk,
            "version_id": w.version_id,
            "code": w.code,
            "granted_by": w.granted_by.get_username(),
            "justification": w.justification,
            "scope": w.scope,
            "expires_at": w.expires_at.isoformat(),
        }
        for w in Waiver.objects.filter(
            version_id__in=version_ids, revoked_at__isnull=True, expires_at__gt=at
        )
        .select_related("granted_by")
        .order_by("version_id", "id")
    ]
    used_profiles = {(row["version_id"], row["intended_use"]) for row in rows}
    decisions = [
        {
            "kind": "license",
            "id": d.pk,
            "version_id": d.version_id,
            "intended_use": d.intended_use.slug,
            "outcome": d.outcome,
            "decided_by": d.decided_by.get_username(),
            "justification": d.justification,
            "expires_at": d.expires_at.isoformat(),
        }
        for d in LicenseDecision.objects.filter(
            version_id__in=version_ids, revoked_at__isnull=True, expires_at__gt=at
        )
        .select_related("intended_use", "decided_by")
        .order_by("version_id", "id")
        if (d.version_id, d.intended_use.slug) in used_profiles
    ]
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
