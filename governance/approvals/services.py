"""Requesting a model for a team, reviewing requests, and waiving findings.

A request carries its version through the gates into review. Reviewers fill the required
roles of the matching policy; the requester never approves their own request and one person
never fills two roles. When the policy is satisfied and every gate passed (or was waived),
the request is approved, the team may use the version, and the version becomes approved.
Every step locks the request row, so two reviewers acting at once produce one transition.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.accounts import permissions
from governance.accounts.models import Membership, ReviewerRole, Team, User
from governance.audit.services import record
from governance.catalog.models import ModelVersion
from governance.catalog.models import VersionState as S
from governance.catalog.selectors import visible_version
from governance.errors import Conflict, PermissionDenied, ValidationFailed
from governance.events.services import emit
from governance.gates.services import GateReport, evaluate_gates, record_gate_run
from governance.hookspecs import Severity
from governance.licensing.services import validate_intended_use
from governance.lifecycle import services as lifecycle
from governance.scanning.models import Finding

from .compliance import affected_requests, request_license_status
from .models import ModelRequest, Review, Waiver
from .selectors import (
    files_fingerprint,
    gate_blockers,
    matching_policy,
    policy_satisfied,
    roles_of,
)

logger = logging.getLogger(__name__)

OPEN = (ModelRequest.State.GATING, ModelRequest.State.IN_REVIEW)


def _subject(request: ModelRequest) -> dict:
    return {
        "request_id": request.pk,
        "version_id": request.version_id,
        "model": request.version.model.name,
        "version": request.version.name,
        "team": request.team.slug,
        "intended_use": request.intended_use,
        "state": request.state,
    }


def request_model(
    *,
    requester: User,
    team: Team,
    version: ModelVersion,
    intended_use: str,
    justification: str = "",
) -> ModelRequest:
    """Ask that ``team`` may use ``version`` for ``intended_use``; starts the gates."""
    if not requester.is_staff and not Membership.objects.filter(user=requester, team=team).exists():
        raise PermissionDenied("You can only request models for a team you belong to.")
    visible_version(requester, version.pk)  # a private version answers like a missing one
    if version.state in (S.RETIRED, S.QUARANTINED):
        raise Conflict(
            f"{version} is {version.get_state_display().lower()}; it cannot be requested."
        )
    if not intended_use.strip():
        raise ValidationFailed("Name the intended use.", errors={"intended_use": ["required"]})
    validate_intended_use(slug=intended_use.strip(), team=team)
    try:
        with transaction.atomic():
            request = ModelRequest.objects.create(
                version=version,
                team=team,
                requester=requester,
                intended_use=intended_use.strip(),
                justification=justification,
            )
            record(action="request.created", obj=request, actor=requester, after=_subject(request))
            if version.state in (S.DRAFT, S.REJECTED):
                lifecycle.submit_version(version=version, actor=requester)
    except IntegrityError:
        raise Conflict(
            f"{team} already has an open request for this version for {intended_use}."
        ) from None
    advance_request(request=request)
    request.refresh_from_db()
    return request


def advance_request(*, request: ModelRequest) -> ModelRequest:
    """Move a request on as far as its gates allow (called again when a scan finishes)."""
    with transaction.atomic():
        request = (
            ModelRequest.objects.select_for_update(of=("self",))
            .select_related("version__model", "team")
            .get(pk=request.pk)
        )
        if request.state not in OPEN:
            return request
        version = ModelVersion.objects.select_for_update().get(pk=request.version_id)
        report = evaluate_gates(version, intended_use=request.intended_use)
        record_gate_run(version=version, report=report, request=request)
        if report.outcome == "pending":
            return request
        if report.outcome == "quarantined":
            _decide(request, ModelRequest.State.REJECTED, "A file of this version is quarantined.")
            if version.state != S.QUARANTINED:
                lifecycle.quarantine_version(version=version, reason="a file is quarantined")
            return request
        if request.state == ModelRequest.State.GATING:
            request.policy = matching_policy(request, elevated_risk=report.has_findings)
            request.state = ModelRequest.State.IN_REVIEW
            request.save(update_fields=["policy", "state"])
            record(action="request.in_review", obj=request, after=_subject(request))
            emit(event="request.in_review", subject=_subject(request))
        if version.state == S.GATING:
            lifecycle.enter_review(version=version)
        _complete_if_satisfied(request, report)
        return request


def _decide(request: ModelRequest, state: str, comment: str, actor: User | None = None) -> None:
    request.state, request.decision_comment = state, comment
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "decision_comment", "decided_at"])
    record(action=f"request.{state}", obj=request, actor=actor, after=_subject(request))
    emit(
        event=f"request.{state}",
        subject=_subject(request),
        actor=actor,
        recipients=[request.requester],
    )


def _complete_if_satisfied(request: ModelRequest, report: GateReport) -> bool:
    """Approve the request (and its version) once the policy and every gate are satisfied."""
    satisfied, _missing = policy_satisfied(request)
    if not (satisfied and report.passed):
        return False
    _decide(request, ModelRequest.State.APPROVED, "Every required reviewer approved.")
    version = request.version
    permissions.grant(permissions.USE_VERSION, group=request.team.group, obj=version)
    permissions.grant(permissions.VIEW_MODEL, group=request.team.group, obj=version.model)
    record(
        action="permission.granted",
        obj=version,
        after={
            "team": request.team.slug,
            "permissions": ["use_modelversion", "view_model"],
            "request": request.pk,
        },
    )
    version.refresh_from_db()
    if version.state == S.IN_REVIEW:
        last = request.reviews.order_by("-created_at").first()
        lifecycle.approve_version(
            version=version, actor=last.reviewer if last else None, request_id=request.pk
        )
    return True


def review_request(
    *,
    request: ModelRequest,
    reviewer: User,
    decision: str,
    comment: str = "",
    role: ReviewerRole | None = None,
) -> Review:
    """Record one reviewer's decision; approving may complete the request."""
    if decision not in Review.Decision.values:
        raise ValidationFailed(
            "decision must be approve or reject", errors={"decision": ["approve or reject"]}
        )
    with transaction.atomic():
        request = (
            ModelRequest.objects.select_for_update(of=("self",))
            .select_related("version__model", "team", "policy")
            .get(pk=request.pk)
        )
        if request.state != ModelRequest.State.IN_REVIEW:
            raise Conflict(f"This request is {request.get_state_display().lower()}, not in review.")
        if reviewer.pk == request.requester_id:
            raise PermissionDenied("You cannot review your own request (separation of duties).")
        if request.reviews.filter(reviewer=reviewer).exists():
            raise Conflict("You already reviewed this request; one person fills one role.")
        if request.policy is None:
            raise Conflict(
                "No approval policy matches this request; an administrator must "
                "configure one before it can be reviewed."
            )
        if decision == Review.Decision.APPROVE:
            blockers = gate_blockers(request)
            if blockers:
                # An approval given now would count once the gates pass, behind the reviewer's
                # back: refuse it, naming what blocks (a waiver, a rescan or a new license).
                raise Conflict(
                    "This request cannot be approved while its gates fail: " + "; ".join(blockers),
                    errors={"gates": blockers},
                )
        held = roles_of(reviewer, team=request.team)
        required = set(request.policy.required_roles.all())
        candidates = held & required if required else held
        if role is not None:
            if role not in candidates:
                raise PermissionDenied(f"You do not hold the role {role} required here.")
        else:
            filled = {r.role_id for r in request.reviews.filter(decision=Review.Decision.APPROVE)}
            open_roles = sorted((r for r in candidates if r.pk not in filled), key=lambda r: r.slug)
            role = (
                open_roles[0]
                if open_roles
                else (min(candidates, key=lambda r: r.slug) if candidates else None)
            )
            if role is None:
                raise PermissionDenied("You hold none of the reviewer roles this request needs.")
        review = Review.objects.create(
            request=request,
            reviewer=reviewer,
            role=role,
            decision=decision,
            comment=comment,
            files_fingerprint=files_fingerprint(request.version),
        )
        record(
            action=f"review.{decision}",
            obj=request,
            actor=reviewer,
            after={"role": role.slug, "comment": comment},
        )
        if decision == Review.Decision.REJECT:
            _decide(request, ModelRequest.State.REJECTED, comment or "Rejected.", reviewer)
            version = ModelVersion.objects.select_for_update().get(pk=request.version_id)
            others_open = version.requests.filter(state__in=OPEN).exists()
            if version.state == S.IN_REVIEW and not others_open:
                lifecycle.reject_version(version=version, actor=reviewer, reason=comment)
        else:
            report = evaluate_gates(request.version, intended_use=request.intended_use)
            _complete_if_satisfied(request, report)
    return review


def withdraw_request(*, request: ModelRequest, actor: User) -> ModelRequest:
    """The requester (or an administrator) takes back an open request; a decided one stays."""
    with transaction.atomic():
        request = (
            ModelRequest.objects.select_for_update(of=("self",))
            .select_related("version__model", "team")
            .get(pk=request.pk)
        )
        if actor.pk != request.requester_id and not actor.is_staff:
            raise PermissionDenied("Only the requester can withdraw a request.")
        if request.state not in OPEN:
            raise Conflict(f"This request is already {request.get_state_display().lower()}.")
        _decide(request, ModelRequest.State.WITHDRAWN, "Withdrawn by the requester.", actor)
    return request


def grant_waiver(
    *,
    version: ModelVersion,
    finding: Finding,
    granted_by: User,
    justification: str,
    scope: str,
    expires_at: datetime,
) -> Waiver:
    """Waive one non-critical finding on one version until ``expires_at``."""
    if finding.severity_rank >= Severity.CRITICAL.rank:
        raise PermissionDenied("Critical security findings cannot be waived.")
    waiving = [r for r in roles_of(granted_by) if r.can_waive]
    if not waiving:
        raise PermissionDenied("You hold no reviewer role that may grant waivers.")
    if not justification.strip() or not scope.strip():
        raise ValidationFailed(
            "A waiver needs a justification and a scope.",
            errors={"justification": ["required"], "scope": ["required"]},
        )
    now = timezone.now()
    longest = timedelta(days=settings.HUBGATE_WAIVER_MAX_DAYS)
    if not now < expires_at <= now + longest:
        raise ValidationFailed(
            f"expires_at must be in the future and within {longest.days} days",
            errors={"expires_at": ["out of range"]},
        )
    blob = finding.scan.blob
    if not version.files.filter(blob=blob).exists() or blob.current_scan_id != finding.scan_id:
        raise ValidationFailed(
            "That finding is not a current finding of this version.",
            errors={"finding": ["not current for this version"]},
        )
    with transaction.atomic():
        waiver = Waiver.objects.create(
            version=version,
            blob_sha256=blob.sha256,
            scanner=finding.scanner,
            code=finding.code,
            member=finding.member,
            justification=justification,
            scope=scope,
            granted_by=granted_by,
            role=waiving[0],
            expires_at=expires_at,
        )
        record(
            action="waiver.granted",
            obj=waiver,
            actor=granted_by,
            after={
                "version": version.pk,
                "code": finding.code,
                "member": finding.member,
                "justification": justification,
                "scope": scope,
                "expires_at": expires_at.isoformat(),
            },
        )
        emit(
            event="waiver.granted",
            subject={
                "waiver_id": waiver.pk,
                "version_id": version.pk,
                "code": finding.code,
                "expires_at": expires_at.isoformat(),
            },
            actor=granted_by,
        )
    for request in version.requests.filter(state__in=OPEN):
        advance_request(request=request)
    return waiver


def revoke_waiver(*, waiver: Waiver, actor: User) -> Waiver:
    """Revoke a waiver early; its finding blocks again."""
    if not actor.is_staff and not any(r.can_waive for r in roles_of(actor)):
        raise PermissionDenied("You hold no reviewer role that may revoke waivers.")
    with transaction.atomic():
        waiver = Waiver.objects.select_for_update().get(pk=waiver.pk)
        if waiver.revoked_at is not None:
            return waiver
        waiver.revoked_at = timezone.now()
        waiver.save(update_fields=["revoked_at"])
        record(action="waiver.revoked", obj=waiver, actor=actor)
    recheck_version(version=waiver.version, reason=f"waiver of {waiver.code} revoked")
    return waiver


def recheck_version(*, version: ModelVersion, reason: str, at: datetime | None = None) -> None:
    """Re-run the gates of a version in use; a failure takes its approvals back to review."""
    version.refresh_from_db()
    if version.state not in (S.APPROVED, S.DEPRECATED):
        for request in version.requests.filter(state__in=OPEN):
            advance_request(request=request)
        return
    report = evaluate_gates(version, at=at)
    if report.outcome == "quarantined":
        lifecycle.quarantine_version(version=version, reason=reason)
    elif not report.passed:
        for request in version.requests.filter(state=ModelRequest.State.APPROVED):
            reopen_request(request=request, reason=reason)


def expire_waivers(*, now: datetime | None = None) -> int:
    """Re-block versions whose waivers expired (Celery beat); returns how many expired."""
    now = now or timezone.now()
    expired = Waiver.objects.filter(
        expires_at__lte=now, revoked_at__isnull=True, expiry_processed_at__isnull=True
    )
    count = 0
    for waiver in expired.select_related("version"):
        with transaction.atomic():
            Waiver.objects.filter(pk=waiver.pk).update(expiry_processed_at=now)
            record(action="waiver.expired", obj=waiver)
            emit(
                event="waiver.expired",
                subject={
                    "waiver_id": waiver.pk,
                    "version_id": waiver.version_id,
                    "code": waiver.code,
                },
            )
        recheck_version(version=waiver.version, reason=f"waiver of {waiver.code} expired", at=now)
        count += 1
    return count


def on_files_changed(*, version: ModelVersion) -> None:
    """A file was added or replaced: approvals given for the old files are void, the
    teams lose their permission until re-approved, and the gates run again."""
    for request in version.requests.filter(state=ModelRequest.State.APPROVED):
        reopen_request(request=request, reason="its files changed")
    version.refresh_from_db()
    if version.state in (S.IN_REVIEW, S.APPROVED, S.DEPRECATED):
        lifecycle.regate_version(version=version, reason="its files changed")
    for request in version.requests.filter(state__in=OPEN):
        advance_request(request=request)


def on_scan_finished(*, blob) -> None:
    """A blob's scan finished: move on every request and version waiting for it."""
    versions = ModelVersion.objects.filter(files__blob=blob).distinct()
    for version in versions:
        if version.state in (S.APPROVED, S.DEPRECATED):
            recheck_version(version=version, reason="a re-scan changed its findings")
        for request in version.requests.filter(state__in=OPEN):
            advance_request(request=request)


def reopen_request(
    *, request: ModelRequest, reason: str, actor: User | None = None
) -> ModelRequest:
    """Take back an approved request (a waiver expired, its files or license verdict changed):
    the team loses its permission and the request goes back through the gates into review.

    If no other approved request keeps the version approved, the version goes back through
    its gates too. A request whose gates then pass again and whose approvals still hold
    (same files) is approved again at once.
    """
    with transaction.atomic():
        request = (
            ModelRequest.objects.select_for_update(of=("self",))
            .select_related("version__model", "team")
            .get(pk=request.pk)
        )
        if request.state != ModelRequest.State.APPROVED:
            return request
        request.state, request.decision_comment = ModelRequest.State.IN_REVIEW, reason
        request.decided_at = None
        request.save(update_fields=["state", "decision_comment", "decided_at"])
        permissions.revoke(permissions.USE_VERSION, group=request.team.group, obj=request.version)
        record(
            action="permission.revoked",
            obj=request.version,
            after={
                "team": request.team.slug,
                "permissions": ["use_modelversion"],
                "request": request.pk,
            },
        )
        record(
            action="request.reopened",
            obj=request,
            actor=actor,
            after={**_subject(request), "reason": reason},
        )
        emit(
            event="request.reopened",
            subject={**_subject(request), "reason": reason},
            actor=actor,
            recipients=request.team.members.all(),
        )
        version = ModelVersion.objects.select_for_update().get(pk=request.version_id)
        still_approved = version.requests.filter(state=ModelRequest.State.APPROVED).exists()
        if version.state in (S.APPROVED, S.DEPRECATED) and not still_approved:
            lifecycle.regate_version(version=version, reason=reason, actor=actor)
    return advance_request(request=request)


# --- license re-evaluation ---------------------------------------------------------------------


@dataclass
class ReevaluationResult:
    checked: int = 0
    reopened: list[int] = field(default_factory=list)
    regated: list[int] = field(default_factory=list)


def reevaluate_licenses(
    *, scope: Mapping[str, Any], reason: str, at: datetime | None = None
) -> ReevaluationResult:
    """Re-evaluate every approved and open request ``scope`` affects; idempotent.

    An approved request whose verdict is no longer compliant is reopened (back into review,
    permission removed, version re-gated, team told); an open request is gated again. Runs
    when licensing announces changed terms (``licensing.signals.terms_changed``).
    """
    result = ReevaluationResult()
    for request in affected_requests(scope):
        result.checked += 1
        if request.state == request.State.APPROVED:
            status = request_license_status(request, at)
            if status is not None and status.passes:
                continue
            summary = status.summary() if status else f"no profile {request.intended_use!r}"
            reopen_request(request=request, reason=f"License re-evaluation ({reason}): {summary}")
            result.reopened.append(request.pk)
        else:
            advance_request(request=request)
            result.regated.append(request.pk)
    if result.reopened:
        logger.info("License re-evaluation (%s) reopened requests %s", reason, result.reopened)
    return result
