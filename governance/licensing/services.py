"""Changing the license catalog, intended uses and legal decisions.

Every change is one transaction with its audit entry; after commit it is announced with
``signals.terms_changed`` and the apps above react: approvals re-evaluate the requests it
may affect (``governance.approvals.services.reevaluate_licenses``), scoring rescores.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.accounts.models import Team, User
from governance.audit.services import record
from governance.catalog.models import Model, ModelVersion
from governance.errors import Conflict, PermissionDenied, ValidationFailed
from governance.events.services import emit
from governance.hookspecs import LICENSE_TERMS, LicenseVerdict

from . import selectors
from .models import (
    BaseModelLicense,
    DeclaredLicense,
    IntendedUse,
    License,
    LicenseDecision,
    LicenseRevision,
)
from .signals import terms_changed
from .terms import SNAPSHOT_FIELDS, TermsInvalid, validate_restrictions, validate_terms

logger = logging.getLogger(__name__)

CATALOG = Path(__file__).resolve().parent / "fixtures" / "license_catalog.json"
EDITABLE = tuple(f for f in SNAPSHOT_FIELDS if f != "version")


# --- re-evaluation ----------------------------------------------------------------------------


def enqueue_reevaluation(*, scope: Mapping[str, Any], reason: str) -> None:
    """Once the current transaction commits, tell the apps that react to changed terms
    (``signals.terms_changed``): approvals re-evaluate the requests ``scope`` affects,
    scoring rescores its versions."""
    payload = json.loads(json.dumps(dict(scope), default=list))
    transaction.on_commit(
        lambda: terms_changed.send(License, scope=payload, reason=reason), robust=True
    )


# --- the catalog ------------------------------------------------------------------------------


def _clean_license_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    clean = {k: v for k, v in values.items() if k in EDITABLE}
    try:
        if "terms" in clean:
            clean["terms"] = validate_terms(clean["terms"])
        if "use_restrictions" in clean:
            clean["use_restrictions"] = validate_restrictions(clean["use_restrictions"] or [])
    except TermsInvalid as exc:
        raise ValidationFailed(f"Invalid license terms: {exc}", errors=exc.errors) from exc
    if "excluded_territories" in clean:
        territories = clean["excluded_territories"] or []
        if not isinstance(territories, list) or not all(isinstance(t, str) for t in territories):
            raise ValidationFailed(
                "excluded_territories must be a list of codes",
                errors={"excluded_territories": ["list of codes"]},
            )
        clean["excluded_territories"] = sorted({t.strip().upper() for t in territories})
    return clean


def snapshot_license(lic: License) -> dict[str, Any]:
    return {f: getattr(lic, f) for f in SNAPSHOT_FIELDS}


def create_license(*, key: str, actor: User | None, note: str = "", **values: Any) -> License:
    """Add a license to the catalog (version 1), audited."""
    clean = _clean_license_fields(values)
    if not clean.get("name"):
        raise ValidationFailed("A license needs a name.", errors={"name": ["required"]})
    with transaction.atomic():
        if License.objects.filter(key=key).exists():
            raise Conflict(f"A license with key {key!r} exists already.")
        lic = License.objects.create(key=key, **clean)
        LicenseRevision.objects.create(
            license=lic, version=1, snapshot=snapshot_license(lic), changed_by=actor, note=note
        )
        record(action="license.created", obj=lic, actor=actor, after=snapshot_license(lic))
    return lic


def update_license(
    *, license: License, actor: User | None, changes: Mapping[str, Any], note: str = ""
) -> License:
    """Change a license's terms: a new version and revision, audited, and every request on
    it re-evaluated after commit. Changing nothing does nothing."""
    clean = _clean_license_fields(changes)
    with transaction.atomic():
        lic = License.objects.select_for_update().get(pk=license.pk)
        before = snapshot_license(lic)
        changed = [f for f, v in clean.items() if before.get(f) != v]
        if not changed:
            return lic
        for name in changed:
            setattr(lic, name, clean[name])
        lic.version += 1
        lic.save()
        after = snapshot_license(lic)
        LicenseRevision.objects.create(
            license=lic, version=lic.version, snapshot=after, changed_by=actor, note=note
        )
        record(
            action="license.changed",
            obj=lic,
            actor=actor,
            before={f: before[f] for f in changed} | {"version": before["version"]},
            after={f: after[f] for f in changed} | {"version": lic.version, "note": note},
        )
        emit(
            event="license.changed",
            actor=actor,
            subject={
                "license": lic.key,
                "name": lic.name,
                "version": lic.version,
                "changed": changed,
            },
        )
        enqueue_reevaluation(
            scope={"license": lic.key}, reason=f"{lic.name} changed to v{lic.version}"
        )
    license.refresh_from_db()
    return lic


def set_base_model_license(
    *, base_model: str, license: License | None, actor: User | None, note: str = ""
) -> BaseModelLicense:
    """Say which license a base model family carries (None: none known), audited."""
    if not base_model.strip():
        raise ValidationFailed("Name the base model.", errors={"base_model": ["required"]})
    with transaction.atomic():
        mapping, created = BaseModelLicense.objects.select_for_update().get_or_create(
            base_model=base_model.strip(), defaults={"license": license, "note": note}
        )
        before = {"license": mapping.license.key if mapping.license else None, "note": mapping.note}
        if not created:
            if mapping.license_id == (license.pk if license else None) and mapping.note == note:
                return mapping
            mapping.license, mapping.note = license, note
            mapping.save()
        record(
            action="license.base_model_set",
            obj=mapping,
            actor=actor,
            before=None if created else before,
            after={
                "base_model": mapping.base_model,
                "license": license.key if license else None,
                "note": note,
            },
        )
        enqueue_reevaluation(
            scope={"base_model": mapping.base_model},
            reason=f"license of base model {mapping.base_model} set",
        )
    return mapping


def declare_license(
    *, model: Model, license: License | None, actor: User | None, source: str = ""
) -> DeclaredLicense | None:
    """Record the license a model's publisher declares (None removes it), audited."""
    with transaction.atomic():
        current = DeclaredLicense.objects.select_for_update().filter(model=model).first()
        before = {"license": current.license.key, "source": current.source} if current else None
        if license is None:
            if current is None:
                return None
            current.delete()
            declared = None
        elif current is None:
            declared = DeclaredLicense.objects.create(model=model, license=license, source=source)
        else:
            if current.license_id == license.pk and current.source == source:
                return current
            current.license, current.source = license, source
            current.save()
            declared = current
        record(
            action="license.declared",
            obj=model,
            actor=actor,
            before=before,
            after={"license": license.key, "source": source} if license else None,
        )
        enqueue_reevaluation(
            scope={"model_ids": [model.pk]}, reason=f"declared license of {model.name} changed"
        )
    return declared


def sync_license_catalog(*, update: bool = False, actor: User | None = None) -> dict[str, list]:
    """Load the shipped catalog: create what is missing; with ``update`` also apply shipped
    terms that differ from the database (each a new, audited version). Idempotent."""
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    report: dict[str, list] = {"created": [], "updated": [], "base_models": []}
    for entry in catalog["licenses"]:
        values = {f: entry.get(f) for f in EDITABLE if f in entry}
        lic = License.objects.filter(key=entry["key"]).first()
        if lic is None:
            create_license(key=entry["key"], actor=actor, note="Shipped with Hubgate.", **values)
            report["created"].append(entry["key"])
        elif update:
            version = lic.version
            lic = update_license(
                license=lic,
                actor=actor,
                changes=values,
                note="Updated from Hubgate's shipped catalog.",
            )
            if lic.version != version:
                report["updated"].append(entry["key"])
    for entry in catalog["base_models"]:
        if BaseModelLicense.objects.filter(base_model=entry["base_model"]).exists():
            continue
        license_ = License.objects.get(key=entry["license"]) if entry["license"] else None
        set_base_model_license(
            base_model=entry["base_model"],
            license=license_,
            actor=actor,
            note=entry.get("note", ""),
        )
        report["base_models"].append(entry["base_model"])
    return report


# --- intended uses ----------------------------------------------------------------------------


def _profile_values(profile: IntendedUse) -> dict[str, Any]:
    return {
        "name": profile.name,
        "description": profile.description,
        "team": profile.team.slug if profile.team_id else None,
        "needs": list(profile.needs),
        "accepts_use_restrictions": profile.accepts_use_restrictions,
        "territories": list(profile.territories),
        "active": profile.active,
    }


def save_intended_use(
    *,
    slug: str,
    actor: User | None,
    name: str,
    description: str = "",
    team: Team | None = None,
    needs: list[str] | tuple[str, ...] = (),
    accepts_use_restrictions: bool = True,
    territories: list[str] | tuple[str, ...] = (),
    active: bool = True,
) -> IntendedUse:
    """Create or change an intended-use profile, audited; a change re-evaluates its requests."""
    unknown = sorted(set(needs) - set(LICENSE_TERMS))
    if unknown:
        raise ValidationFailed(
            f"Unknown rights {unknown}; choose from {', '.join(LICENSE_TERMS)}.",
            errors={"needs": [f"unknown: {', '.join(unknown)}"]},
        )
    if not slug.strip() or not name.strip():
        raise ValidationFailed(
            "A profile needs a slug and a name.",
            errors={"slug": ["required"], "name": ["required"]},
        )
    values = {
        "name": name.strip(),
        "description": description,
        "team": team,
        "needs": [n for n in LICENSE_TERMS if n in set(needs)],
        "accepts_use_restrictions": accepts_use_restrictions,
        "territories": sorted({t.strip().upper() for t in territories if t.strip()}),
        "active": active,
    }
    with transaction.atomic():
        profile = IntendedUse.objects.select_for_update().filter(slug=slug).first()
        if profile is None:
            profile = IntendedUse.objects.create(slug=slug, **values)
            record(
                action="intended_use.created",
                obj=profile,
                actor=actor,
                after=_profile_values(profile),
            )
            return profile
        before = _profile_values(profile)
        for key, value in values.items():
            setattr(profile, key, value)
        after = _profile_values(profile)
        if before == after:
            return profile
        profile.save()
        record(action="intended_use.changed", obj=profile, actor=actor, before=before, after=after)
        enqueue_reevaluation(
            scope={"profile": profile.slug}, reason=f"intended use {profile.slug} changed"
        )
    return profile


def validate_intended_use(*, slug: str, team: Team) -> IntendedUse:
    """The profile a request for ``team`` names, or ValidationFailed listing the valid ones."""
    profile = selectors.profile_for_request(slug=slug, team=team)
    if profile is None:
        valid = sorted(selectors.profiles_for_team(team).values_list("slug", flat=True))
        raise ValidationFailed(
            f"{slug!r} is not an intended-use profile {team} may name; valid: "
            + (", ".join(valid) if valid else "none (an administrator must add profiles)"),
            errors={"intended_use": [f"choose one of: {', '.join(valid)}"]},
        )
    return profile


# --- legal decisions --------------------------------------------------------------------------


def _decision_subject(decision: LicenseDecision) -> dict[str, Any]:
    return {
        "decision_id": decision.pk,
        "version_id": decision.version_id,
        "intended_use": decision.intended_use.slug,
        "outcome": decision.outcome,
        "expires_at": decision.expires_at.isoformat(),
    }


def record_license_decision(
    *,
    version: ModelVersion,
    intended_use: IntendedUse,
    decided_by: User,
    outcome: str,
    justification: str,
    expires_at: datetime,
) -> LicenseDecision:
    """A legal reviewer settles a "needs review" verdict for one version and intended use.

    Only holders of a license reviewer role may; a non-compliant verdict cannot be decided
    away; the decision holds until it expires, is revoked, or the terms change.
    """
    roles = selectors.license_reviewer_roles(decided_by)
    if not roles:
        raise PermissionDenied("Only a legal reviewer may record a license decision.")
    if outcome not in LicenseDecision.Outcome.values:
        raise ValidationFailed(
            "outcome must be compliant or non_compliant",
            errors={"outcome": ["compliant or non_compliant"]},
        )
    if not justification.strip():
        raise ValidationFailed(
            "A license decision needs a justification.", errors={"justification": ["required"]}
        )
    now = timezone.now()
    longest = timedelta(days=getattr(settings, "HUBGATE_LICENSE_DECISION_MAX_DAYS", 365))
    if not now < expires_at <= now + longest:
        raise ValidationFailed(
            f"expires_at must be in the future and within {longest.days} days",
            errors={"expires_at": ["out of range"]},
        )
    status = selectors.license_verdict(version=version, profile=intended_use, at=now)
    if status.outcome.verdict is LicenseVerdict.NON_COMPLIANT:
        raise Conflict(
            "This version is not compliant for this use; a decision cannot change that: "
            + status.summary()
        )
    if status.outcome.verdict is LicenseVerdict.COMPLIANT:
        raise Conflict("This version is compliant for this use; there is nothing to decide.")
    with transaction.atomic():
        decision = LicenseDecision.objects.create(
            version=version,
            intended_use=intended_use,
            outcome=outcome,
            justification=justification.strip(),
            basis=status.outcome.basis,
            reasons=[r.as_dict() for r in status.outcome.blocking()],
            decided_by=decided_by,
            role=roles[0],
            expires_at=expires_at,
        )
        record(
            action="license.decided",
            obj=decision,
            actor=decided_by,
            after={
                **_decision_subject(decision),
                "justification": decision.justification,
                "role": roles[0].slug,
                "reasons": decision.reasons,
            },
        )
        emit(event="license.decided", subject=_decision_subject(decision), actor=decided_by)
        enqueue_reevaluation(
            scope={"version_ids": [version.pk], "profile": intended_use.slug},
            reason=f"license decision #{decision.pk}",
        )
    return decision


def revoke_license_decision(*, decision: LicenseDecision, actor: User) -> LicenseDecision:
    """Withdraw a decision early; the verdict needs review again."""
    if not actor.is_staff and not selectors.is_license_reviewer(actor):
        raise PermissionDenied("Only a legal reviewer may revoke a license decision.")
    with transaction.atomic():
        decision = LicenseDecision.objects.select_for_update().get(pk=decision.pk)
        if decision.revoked_at is not None:
            return decision
        decision.revoked_at, decision.revoked_by = timezone.now(), actor
        decision.save(update_fields=["revoked_at", "revoked_by"])
        record(
            action="license.decision_revoked",
            obj=decision,
            actor=actor,
            after=_decision_subject(decision),
        )
        enqueue_reevaluation(
            scope={"version_ids": [decision.version_id], "profile": decision.intended_use.slug},
            reason=f"license decision #{decision.pk} revoked",
        )
    return decision


def expire_license_decisions(*, now: datetime | None = None) -> int:
    """Re-evaluate what decisions that expired covered (Celery beat); returns how many."""
    now = now or timezone.now()
    expired = LicenseDecision.objects.filter(
        expires_at__lte=now, revoked_at__isnull=True, expiry_processed_at__isnull=True
    ).select_related("intended_use")
    count = 0
    for decision in expired:
        with transaction.atomic():
            LicenseDecision.objects.filter(pk=decision.pk).update(expiry_processed_at=now)
            record(
                action="license.decision_expired", obj=decision, after=_decision_subject(decision)
            )
            emit(event="license.decision_expired", subject=_decision_subject(decision))
        # Told now, with the clock it ran on: the terms changed as of ``now``.
        terms_changed.send(
            License,
            scope={"version_ids": [decision.version_id], "profile": decision.intended_use.slug},
            reason=f"license decision #{decision.pk} expired",
            at=now.isoformat(),
        )
        count += 1
    return count
