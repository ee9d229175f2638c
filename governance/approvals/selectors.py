"""Questions about requests, reviewers, policies and waivers."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.db.models import Exists, Q, QuerySet

from governance.accounts.models import Membership, ReviewerRole, Team, User
from governance.catalog.models import ModelVersion
from governance.gates.services import GateReport, evaluate_gates

from .models import ApprovalPolicy, ModelRequest, Review, Waiver


def live_waivers(version: ModelVersion, at: datetime) -> dict[tuple[str, str, str, str], Waiver]:
    """Unexpired, unrevoked waivers of ``version`` by finding identity."""
    waivers = version.waivers.filter(revoked_at__isnull=True, expires_at__gt=at)
    return {
        (w.blob_sha256, w.scanner, w.code, w.member): w
        for w in waivers.select_related("granted_by")
    }


def files_fingerprint(version: ModelVersion) -> str:
    """One hash over the version's file contents; it changes when any file changes."""
    hashes = sorted(version.files.values_list("sha256", flat=True))
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def roles_of(user: User, *, team: Team | None = None) -> set[ReviewerRole]:
    """The reviewer roles ``user`` holds (team-scoped roles only as a lead of ``team``)."""
    roles = set(ReviewerRole.objects.filter(assignments__user=user, team_scoped=False))
    if (
        team is not None
        and Membership.objects.filter(user=user, team=team, role=Membership.Role.LEAD).exists()
    ):
        roles |= set(ReviewerRole.objects.filter(team_scoped=True))
    return roles


def matching_policy(request: ModelRequest, *, elevated_risk: bool) -> ApprovalPolicy | None:
    """The active policy with the lowest priority that matches ``request``."""
    version = request.version
    for policy in ApprovalPolicy.objects.filter(active=True).prefetch_related("teams"):
        if policy.model_types and version.model.type not in policy.model_types:
            continue
        if policy.base_models and version.base_model not in policy.base_models:
            continue
        if policy.risk == ApprovalPolicy.Risk.LOW and elevated_risk:
            continue
        if policy.risk == ApprovalPolicy.Risk.ELEVATED and not elevated_risk:
            continue
        teams = list(policy.teams.all())
        if teams and request.team not in teams:
            continue
        return policy
    return None


def valid_approvals(request: ModelRequest) -> QuerySet[Review]:
    """Approvals given for the version's current files (a file change voids older ones)."""
    return request.reviews.filter(
        decision=Review.Decision.APPROVE, files_fingerprint=files_fingerprint(request.version)
    )


def policy_satisfied(request: ModelRequest) -> tuple[bool, list[str]]:
    """Whether the request's policy is satisfied, and what is still missing."""
    policy = request.policy
    if policy is None:
        return False, ["No approval policy matches this request; an administrator must add one."]
    approvals = list(valid_approvals(request).select_related("role"))
    missing = [
        f"an approval by {role.name}"
        for role in policy.required_roles.all()
        if not any(a.role_id == role.pk for a in approvals)
    ]
    if len(approvals) < policy.quorum:
        missing.append(
            f"{policy.quorum - len(approvals)} more approval(s) (quorum {policy.quorum})"
        )
    return not missing, missing


def gate_report(request: ModelRequest) -> GateReport:
    """Every gate's answer for the request's version and intended use, now."""
    return evaluate_gates(request.version, intended_use=request.intended_use)


def gate_blockers(request: ModelRequest) -> list[str]:
    """Why the request's gates do not pass right now, in words ([] when every gate passed or
    was waived): what refuses an approval, and what the requester and reviewers are shown."""
    return [item.reason for item in gate_report(request).blocking()]


def can_waive(user: User) -> bool:
    """Whether ``user`` holds a reviewer role that may grant and revoke waivers."""
    return any(role.can_waive for role in roles_of(user))


def requests_visible_to(user: User) -> QuerySet[ModelRequest]:
    """Staff see all; reviewers see the requests they may review; members their teams'."""
    requests = ModelRequest.objects.select_related("version__model", "team", "requester")
    if not user.is_authenticated:
        return requests.none()
    if user.is_staff:
        return requests
    role_ids = [r.pk for r in roles_of(user)]
    led_teams = Membership.objects.filter(user=user, role=Membership.Role.LEAD).values("team")
    return requests.filter(
        Q(team__memberships__user=user)
        | Q(policy__required_roles__in=role_ids)
        | Q(team__in=led_teams, policy__required_roles__team_scoped=True)
    ).distinct()


def review_queue(user: User) -> QuerySet[ModelRequest]:
    """Requests in review that ``user`` can act on, newest first: they hold a role the
    request's policy requires (a team-scoped role as a lead of the requesting team; any role
    where the policy names none), they did not ask for it (separation of duties) and have not
    reviewed it yet. Staff see every request, but review only in the roles they hold."""
    if not user.is_authenticated:
        return ModelRequest.objects.none()
    # One query: the badge on every page counts it.
    global_roles = ReviewerRole.objects.filter(assignments__user=user, team_scoped=False)
    led_teams = Membership.objects.filter(user=user, role=Membership.Role.LEAD).values("team")
    can_act = Q(policy__required_roles__in=global_roles.values("pk")) | Q(
        team__in=led_teams, policy__required_roles__team_scoped=True
    )
    # A policy naming no role takes any role the reviewer holds for the requesting team.
    holds_a_role = Q(Exists(global_roles)) | (
        Q(team__in=led_teams) & Q(Exists(ReviewerRole.objects.filter(team_scoped=True)))
    )
    can_act |= Q(policy__isnull=False, policy__required_roles__isnull=True) & holds_a_role
    return (
        ModelRequest.objects.select_related("version__model", "team", "requester")
        .filter(can_act, state=ModelRequest.State.IN_REVIEW)
        .exclude(requester=user)
        .exclude(reviews__reviewer=user)
        .distinct()
        .order_by("-created_at", "-id")
    )


def pending_review_count(user: User) -> int:
    """How many requests wait for ``user``'s review (the portal's top-bar badge)."""
    return review_queue(user).count()
