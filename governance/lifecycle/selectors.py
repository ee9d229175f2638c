"""May this person use (download, deploy) this version now, and with what warning?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from governance.accounts import permissions
from governance.catalog.models import ModelVersion
from governance.catalog.models import VersionState as S


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


def state_verdict(version: ModelVersion) -> UsageVerdict:
    """Whether ``version``'s state allows any use: approved (or deprecated, with a warning);
    retired versions never. Who asks is ``usage_verdict``'s question."""
    if version.state == S.RETIRED:
        return UsageVerdict(False, 410, f"{version} is retired and may no longer be used.")
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


def usage_verdict(user, version: ModelVersion) -> UsageVerdict:
    """Whether ``user`` may use ``version``: approved (or deprecated, with a warning) for one
    of their teams (the permission module decides); retired versions never."""
    verdict = state_verdict(version)
    if verdict.allowed and not permissions.can_use_version(user, version):
        return UsageVerdict(False, 403, not_yours(version))
    return verdict


def can_manage_lifecycle(user, version: ModelVersion) -> bool:
    """Staff, or a lead of the team that owns the model, may deprecate or retire it."""
    from governance.accounts.models import Membership

    if user.is_staff:
        return True
    team_id = version.model.owning_team_id
    return (
        team_id is not None
        and Membership.objects.filter(
            user=user, team_id=team_id, role=Membership.Role.LEAD
        ).exists()
    )
