"""Who may see or use a model or a version: the one home of object permissions.

Hubgate grants two django-guardian object permissions to a team's auth group: ``view_model``
on a team-private model (its owning team, and teams whose request for one of its versions
was approved) and ``use_modelversion`` on a version (teams whose request was approved).
This module is the only code that reads or writes guardian's tables; selectors, services
and views ask it. It lives below the catalog, so it never imports catalog: callers pass
the instances and querysets (``catalog.view_model`` names the permission generically).

Staff see and use everything; an active superuser holds every permission, as in guardian.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from guardian.core import ObjectPermissionChecker
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from .models import Team

#: See a team-private model.
VIEW_MODEL = "catalog.view_model"
#: Use (download, deploy) a version.
USE_VERSION = "catalog.use_modelversion"

#: Sent whenever an object permission row is written or deleted (by these functions, the
#: admin or anything else), with ``model`` (the object's model class), ``codename`` and
#: ``object_pk`` (text, as guardian stores it): caches built on permissions listen to it.
object_permission_changed = Signal()

User = AbstractBaseUser | AnonymousUser


def _codename(perm: str) -> str:
    return perm.rpartition(".")[2]


def _holds_everything(user: User) -> bool:
    return bool(user.is_active and user.is_superuser)


# --- questions -------------------------------------------------------------------------------


def has_object_permission(user: User, perm: str, obj: Model) -> bool:
    """``perm`` held on ``obj`` by ``user`` or one of their groups (global permissions do
    not count)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return ObjectPermissionChecker(user).has_perm(_codename(perm), obj)


def can_view_model(user: User, model: Model) -> bool:
    """Whether ``user`` was granted a team-private ``model`` (staff always are)."""
    if not user.is_authenticated:
        return False
    return user.is_staff or has_object_permission(user, VIEW_MODEL, model)


def can_use_version(user: User, version: Model) -> bool:
    """Whether ``user`` may use ``version`` as far as permissions go (staff, or
    ``use_modelversion`` held by them or one of their teams); the version's state is the
    caller's question."""
    if not user.is_authenticated:
        return False
    return user.is_staff or has_object_permission(user, USE_VERSION, version)


def objects_granted(user: User, perm: str, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` on which ``user`` (or one of their groups) holds ``perm``."""
    if not user.is_authenticated:
        return queryset.none()
    return get_objects_for_user(
        user, perm, klass=queryset, accept_global_perms=False, with_superuser=False
    )


def granted_filter(user: User, perm: str, model: type[Model]) -> Q:
    """A filter on ``model`` rows: those ``user`` or one of their groups holds ``perm`` on.

    The permission rows' ``object_pk`` is cast to an integer on guardian's side; guardian's
    own ``get_objects_for_user`` casts the row's id to text instead, which rules out the
    primary key index and scans every row (the CivitAI-compatible list is benchmarked on it).
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    wanted = {
        "permission__content_type": ContentType.objects.get_for_model(model),
        "permission__codename": _codename(perm),
    }
    granted = []
    for perms in (
        get_group_obj_perms_model(model).objects.filter(
            group__in=user.groups.values("pk"), **wanted
        ),
        get_user_obj_perms_model(model).objects.filter(user=user, **wanted),
    ):
        column = "object_pk" if hasattr(perms.model, "object_pk") else "content_object_id"
        granted.append(perms.annotate(pk_=Cast(column, BigIntegerField())).values("pk_"))
    # One IN over a UNION: an OR of two INs makes PostgreSQL scan every row.
    return Q(pk__in=granted[0].union(granted[1]))


@dataclass(frozen=True)
class Holders:
    """Who holds a permission on one object: for checks that ask many times about it (the
    CI gate check keeps these in its precomputed verdicts)."""

    groups: frozenset[int] = field(default_factory=frozenset)
    users: frozenset[int] = field(default_factory=frozenset)

    def include(self, user: User, group_ids: Iterable[int]) -> bool:
        """``can_use_version``'s rule answered from these holders, without a query."""
        if user.is_staff or _holds_everything(user):
            return True
        return user.pk in self.users or not self.groups.isdisjoint(group_ids)


def holders(perm: str, obj: Model) -> Holders:
    """The groups and users holding ``perm`` on ``obj`` (two queries)."""
    rows = {
        "content_type": ContentType.objects.get_for_model(obj),
        "object_pk": str(obj.pk),
        "permission__codename": _codename(perm),
    }
    return Holders(
        groups=frozenset(
            GroupObjectPermission.objects.filter(**rows).values_list("group_id", flat=True)
        ),
        users=frozenset(
            UserObjectPermission.objects.filter(**rows).values_list("user_id", flat=True)
        ),
    )


def teams_granted(perm: str, obj: Model) -> QuerySet[Team]:
    """The teams whose group holds ``perm`` on ``obj``."""
    groups = GroupObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_pk=str(obj.pk),
        permission__codename=_codename(perm),
    ).values("group_id")
    return Team.objects.filter(group__in=groups)


def team_of_use(user: User, version: Model) -> Team | None:
    """The team a use of ``version`` by ``user`` counts for: the first (oldest) of their
    teams approved to use it; ``None`` when none is (staff using it, say)."""
    if not user.is_authenticated:
        return None
    return teams_granted(USE_VERSION, version).filter(members=user).order_by("pk").first()


# --- changes ---------------------------------------------------------------------------------


def grant(perm: str, *, group: Group, obj: Model) -> None:
    """Grant ``perm`` on ``obj`` to ``group`` (idempotent). The caller's service owns the
    transaction and the audit entry."""
    assign_perm(perm, group, obj)


def revoke(perm: str, *, group: Group, obj: Model) -> None:
    """Take ``perm`` on ``obj`` away from ``group`` (nothing if it was not held)."""
    remove_perm(perm, group, obj)


def grant_to_team(perm: str, *, team: Team | None, obj: Model) -> None:
    """``grant`` to a team's group; nothing for no team (or a team without a group)."""
    if team is not None and team.group_id is not None:
        grant(perm, group=team.group, obj=obj)


# --- change notices --------------------------------------------------------------------------


def _row_changed(sender, instance, **kwargs) -> None:
    object_permission_changed.send(
        sender=sender,
        model=instance.content_type.model_class(),
        codename=instance.permission.codename,
        object_pk=str(instance.object_pk),
    )


for _signal in (post_save, post_delete):
    for _row in (GroupObjectPermission, UserObjectPermission):
        _signal.connect(_row_changed, sender=_row, dispatch_uid=f"accounts:{_row.__name__}")
