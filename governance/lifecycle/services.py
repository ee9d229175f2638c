"""A model version's lifecycle: every state change is one of these functions.

draft → submitted → gating → in review → approved → deprecated → retired, plus rejected and
quarantined. Each transition locks the version row, checks that the move is allowed from the
current state, records an audit entry and emits an event. Nothing else writes
``ModelVersion.state`` — not views, not the admin.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from governance.audit.services import record
from governance.catalog.models import ModelVersion
from governance.catalog.models import VersionState as S
from governance.errors import Conflict, PermissionDenied, ValidationFailed
from governance.events.services import emit

from .models import Deprecation
from .selectors import can_manage_lifecycle, users_to_notify

ALLOWED: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED, S.QUARANTINED},
    S.SUBMITTED: {S.GATING, S.QUARANTINED},
    S.GATING: {S.IN_REVIEW, S.QUARANTINED},
    S.IN_REVIEW: {S.APPROVED, S.REJECTED, S.GATING, S.QUARANTINED},
    S.APPROVED: {S.DEPRECATED, S.RETIRED, S.GATING, S.IN_REVIEW, S.QUARANTINED},
    S.DEPRECATED: {S.RETIRED, S.GATING, S.IN_REVIEW, S.QUARANTINED},
    S.REJECTED: {S.SUBMITTED, S.QUARANTINED},
    S.QUARANTINED: {S.SUBMITTED},
    S.RETIRED: set(),
}


def _transition(
    version: ModelVersion, to: str, *, actor=None, reason: str = "", **details
) -> ModelVersion:
    """Move ``version`` to state ``to`` under a row lock, or raise Conflict."""
    with transaction.atomic():
        locked = (
            ModelVersion.objects.select_for_update(of=("self",))
            .select_related("model")
            .get(pk=version.pk)
        )
        before = locked.state
        if to not in ALLOWED[before]:
            raise Conflict(
                f"{locked} is {locked.get_state_display().lower()}; it cannot become "
                f"{S(to).label.lower()}."
            )
        locked.state = to
        locked.save(update_fields=["state", "updated_at"])
        after = {"state": to, **({"reason": reason} if reason else {}), **details}
        record(
            action=f"version.{to}", obj=locked, actor=actor, before={"state": before}, after=after
        )
        emit(
            event=f"version.{to}",
            subject={
                "version_id": locked.pk,
                "model_id": locked.model_id,
                "model": locked.model.name,
                "version": locked.name,
                "from": before,
                "to": to,
                "reason": reason,
            },
            actor=actor,
            recipients=_people_using(locked),
        )
    version.state = to
    return version


def _people_using(version: ModelVersion):
    """Teams approved for or using the version, and its followers ("who uses this")."""
    return users_to_notify(version)


def _ensure_manager(actor, version: ModelVersion) -> None:
    if not can_manage_lifecycle(actor, version):
        raise PermissionDenied("Only an administrator or a lead of the owning team may do this.")


def submit_version(*, version: ModelVersion, actor=None) -> ModelVersion:
    """Submit a draft (or rejected, or un-quarantined) version and start its gates."""
    _transition(version, S.SUBMITTED, actor=actor)
    return _transition(version, S.GATING, actor=actor)


def enter_review(*, version: ModelVersion) -> ModelVersion:
    return _transition(version, S.IN_REVIEW)


def approve_version(*, version: ModelVersion, actor, request_id: int) -> ModelVersion:
    return _transition(version, S.APPROVED, actor=actor, request=request_id)


def reject_version(*, version: ModelVersion, actor, reason: str) -> ModelVersion:
    return _transition(version, S.REJECTED, actor=actor, reason=reason)


def quarantine_version(*, version: ModelVersion, reason: str, actor=None) -> ModelVersion:
    return _transition(version, S.QUARANTINED, actor=actor, reason=reason)


def regate_version(*, version: ModelVersion, reason: str, actor=None) -> ModelVersion:
    """Send a version back through its gates (its files changed, a waiver expired …)."""
    return _transition(version, S.GATING, actor=actor, reason=reason)


def deprecate_version(
    *,
    version: ModelVersion,
    actor,
    reason: str,
    successor: ModelVersion | None = None,
    sunset_at: datetime | None = None,
) -> ModelVersion:
    """Deprecate an approved version; it is retired automatically after ``sunset_at``."""
    _ensure_manager(actor, version)
    if not reason.strip():
        raise ValidationFailed("A deprecation needs a reason.", errors={"reason": ["required"]})
    if successor is not None and (successor.pk == version.pk or successor.state != S.APPROVED):
        raise ValidationFailed(
            "The successor must be another, approved version.",
            errors={"successor": ["not an approved version"]},
        )
    if sunset_at is not None and sunset_at <= timezone.now():
        raise ValidationFailed(
            "The sunset date must be in the future.", errors={"sunset_at": ["in the past"]}
        )
    with transaction.atomic():
        _transition(
            version,
            S.DEPRECATED,
            actor=actor,
            reason=reason,
            successor=successor.pk if successor else None,
            sunset_at=sunset_at.isoformat() if sunset_at else None,
        )
        Deprecation.objects.update_or_create(
            version=version,
            defaults={
                "reason": reason,
                "successor": successor,
                "sunset_at": sunset_at,
                "deprecated_by": actor,
            },
        )
    return version


def retire_version(*, version: ModelVersion, actor=None, reason: str = "") -> ModelVersion:
    """Retire a version: downloads and CI checks of it fail from now on."""
    if actor is not None:
        _ensure_manager(actor, version)
    return _transition(version, S.RETIRED, actor=actor, reason=reason or "retired")


def retire_due_versions(*, now: datetime | None = None) -> int:
    """Retire every deprecated version whose sunset has passed (Celery beat)."""
    now = now or timezone.now()
    due = ModelVersion.objects.filter(state=S.DEPRECATED, deprecation__sunset_at__lte=now)
    count = 0
    for version in due:
        try:
            retire_version(version=version, reason="sunset date passed")
            count += 1
        except Conflict:
            continue  # changed state meanwhile
    return count
