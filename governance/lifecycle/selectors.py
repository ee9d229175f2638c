"""May this person use (download, deploy) this version now, and with what warning?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from governance.accounts import permissions
from governance.accounts.models import Membership
from governance.catalog.models import ModelVersion
from governance.catalog.models import VersionState as S
from governance.catalog.selectors import can_see_model
from governance.community.selectors import followers_of_model
from governance.usage.models import UsageEvent


@dataclass(frozen=True)
class UsageVerdict:
    allowed: bool
    #: HTTP status of a refusal: 403 not (yet) allowed, 410 retired.
    status: int = 200
    reason: str = ""
    #: Set for a deprecated version: use still works, but should move on.
    warning: str = ""
    #: When a deprecated version will be retired, if set.
    sunset_at: datetime | None = None


def deprecation_warning(version: ModelVersion) -> str:
    deprecation = getattr(version, "deprecation", None)
    if version.state != S.DEPRECATED or deprecation is None:
        return ""
    parts = [f"{version} is deprecated: {deprecation.reason}"]
    if deprecation.sunset_at:
        parts.append(f"it will be retired on {deprecation.sunset_at:%Y-%m-%d}")
    if deprecation.successor_id:
        parts.append(f"use version {deprecation.successor_id} instead")
    return "; ".join(parts) + "."


def past_sunset(version: ModelVersion, at: datetime | None = None) -> bool:
    """Whether ``version`` is deprecated and its sunset date has passed at ``at`` (now): it is
    retired for every use from that moment, whether or not beat has retired it yet."""
    deprecation = getattr(version, "deprecation", None)
    if version.state != S.DEPRECATED or deprecation is None or deprecation.sunset_at is None:
        return False
    return deprecation.sunset_at <= (at or timezone.now())


def state_verdict(version: ModelVersion, *, at: datetime | None = None) -> UsageVerdict:
    """Whether ``version``'s state allows any use at ``at`` (now): approved (or deprecated,
    with a warning); retired versions never, nor deprecated ones past their sunset date. Who
    asks is ``usage_verdict``'s question."""
    if version.state == S.RETIRED:
        return UsageVerdict(False, 410, f"{version} is retired and may no longer be used.")
    if past_sunset(version, at):
        sunset = version.deprecation.sunset_at
        return UsageVerdict(
            False,
            410,
            f"{version} is retired: its sunset date, {sunset:%Y-%m-%d %H:%M %Z}, has passed.",
        )
    if version.state not in (S.APPROVED, S.DEPRECATED):
        return UsageVerdict(
            False, 403, f"{version} is {version.get_state_display().lower()}, not approved."
        )
    deprecation = getattr(version, "deprecation", None) if version.state == S.DEPRECATED else None
    return UsageVerdict(
        True,
        warning=deprecation_warning(version),
        sunset_at=deprecation.sunset_at if deprecation is not None else None,
    )


def not_yours(version: ModelVersion) -> str:
    """Why a caller whose teams were not approved for ``version`` may not use it."""
    return f"None of your teams has been approved to use {version}; request it for your team first."


def usage_verdict(user, version: ModelVersion, *, at: datetime | None = None) -> UsageVerdict:
    """Whether ``user`` may use ``version`` at ``at`` (now): approved (or deprecated, with a
    warning) for one of their teams (the permission module decides); retired versions never,
    nor deprecated ones past their sunset date."""
    verdict = state_verdict(version, at=at)
    if verdict.allowed and not permissions.can_use_version(user, version):
        return UsageVerdict(False, 403, not_yours(version))
    return verdict


def can_manage_lifecycle(user, version: ModelVersion) -> bool:
    """Staff, or a lead of the team that owns the model, may deprecate or retire it."""
    if user.is_staff:
        return True
    team_id = version.model.owning_team_id
    return (
        team_id is not None
        and Membership.objects.filter(
            user=user, team_id=team_id, role=Membership.Role.LEAD
        ).exists()
    )


def users_to_notify(version: ModelVersion) -> list:
    """People to tell when ``version`` changes lifecycle state: members of teams approved to
    use it or that used it, and followers of the model, its creator or one of its tags who
    may still see the model."""
    User = get_user_model()
    used_by_teams = UsageEvent.objects.filter(version=version, team__isnull=False).values("team")
    users = User.objects.filter(
        Q(teams__requests__version=version, teams__requests__state="approved")
        | Q(teams__in=used_by_teams),
        is_active=True,
    ).distinct()
    people = {user.pk: user for user in users}
    for follower in followers_of_model(version.model):
        if follower.pk not in people and can_see_model(follower, version.model):
            people[follower.pk] = follower
    return sorted(people.values(), key=lambda user: user.pk)
