"""Questions about people, teams and API keys, with who-may-see-what applied."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet

from .models import ApiKey, Membership, Team, User


def api_keys_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ApiKey]:
    """Administrators see every key (never a secret); everyone else their own."""
    keys = ApiKey.objects.select_related("user")
    if not user.is_authenticated:
        return keys.none()
    return keys if user.is_staff else keys.filter(user=user)


def may_hold_keys_for(actor: AbstractBaseUser, owner: User) -> bool:
    """Whether ``actor`` may create keys acting as ``owner``: themself, or (administrators)
    a service account. A key acting as another person is never made for them."""
    return actor.pk == owner.pk or (actor.is_staff and owner.is_service_account)


def teams_with_counts() -> QuerySet[Team]:
    return Team.objects.annotate(member_count=Count("memberships"))


def memberships() -> QuerySet[Membership]:
    return Membership.objects.select_related("user", "team")


def service_accounts() -> QuerySet[User]:
    return User.objects.filter(is_service_account=True).prefetch_related("teams")
