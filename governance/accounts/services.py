"""API keys (created and shown once, checked, revoked), teams, memberships and service
accounts — every change audited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.audit.services import record
from governance.errors import Conflict, ValidationFailed

from .models import ApiKey, Membership, Team, User

KEY_PREFIX = "hg_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    actor: User | None = None,
    parent: ApiKey | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it and the full secret, which is never shown again.

    ``parent`` is the key the request was made with: the new key expires no later than it
    (by default exactly then, if sooner than the longest lifetime) and is revoked with it.
    """
    unknown = set(scopes) - set(ApiKey.Scope.values)
    if not scopes or unknown:
        raise ValidationFailed(
            f"scopes must be drawn from {sorted(ApiKey.Scope.values)}",
            errors={"scopes": sorted(unknown) or ["required"]},
        )
    longest = timedelta(days=settings.HUBGATE_API_KEY_MAX_DAYS)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        latest = timezone.now() + longest
        if parent is not None:
            # Locked, so a revocation of the parent cannot miss a child created meanwhile.
            parent = ApiKey.objects.select_for_update().get(pk=parent.pk)
            now = timezone.now()
            if parent.revoked_at is not None or (
                parent.expires_at is not None and parent.expires_at <= now
            ):
                raise ValidationFailed("The key this request was made with is no longer valid.")
            if parent.expires_at is not None and parent.expires_at < latest:
                latest = parent.expires_at
        now = timezone.now()
        if expires_at is None:
            expires_at = latest
        if not now < expires_at <= latest:
            limit = f"{longest.days} days" if parent is None else "its parent key's expiry"
            raise ValidationFailed(
                f"expires_at must be in the future, within {limit}",
                errors={"expires_at": ["out of range"]},
            )
        key = ApiKey.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            secret_hash=_hash(secret),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
            parent=parent,
        )
        after = {
            "user": user.username,
            "name": name,
            "scopes": key.scopes,
            "expires_at": expires_at.isoformat(),
            # Lineage: which key made this one (None: a session or the admin).
            "parent_key_id": parent.pk if parent else None,
            "parent_key_prefix": parent.prefix if parent else None,
        }
        record(action="apikey.created", obj=key, actor=actor or user, after=after)
    return key, f"{KEY_PREFIX}{prefix}_{secret}"


def _key_cache_name(prefix: str) -> str:
    return f"hubgate:apikey:{prefix}"


def _key_by_prefix(prefix: str) -> ApiKey | None:
    """The key row (with its user) for ``prefix``, from the cache when it is there.

    The row, not a verdict, is cached: the secret, expiry, revocation and the user's being
    active are checked on every call. ``forget_api_key`` drops it when the key or its user
    changes (revocation, deactivation): at once in a shared cache (Redis), within
    ``HUBGATE_API_KEY_CACHE_SECONDS`` in another process's own memory cache.
    """
    name = _key_cache_name(prefix)
    key = cache.get(name)
    if key is None:
        key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
        if key is not None and settings.HUBGATE_API_KEY_CACHE_SECONDS > 0:
            cache.set(name, key, settings.HUBGATE_API_KEY_CACHE_SECONDS)
    return key


def forget_api_key(prefix: str) -> None:
    """Drop a key's cached row now and again after the transaction commits (a request that
    read the row before the change must not put the old one back for long)."""
    cache.delete(_key_cache_name(prefix))
    transaction.on_commit(lambda: cache.delete(_key_cache_name(prefix)))


def check_api_key(raw: str) -> ApiKey | None:
    """The live key ``raw`` names, or None (unknown, wrong secret, expired or revoked)."""
    if not raw.startswith(KEY_PREFIX) or raw.count("_") < 2:
        return None
    prefix, _, secret = raw[len(KEY_PREFIX) :].partition("_")
    key = _key_by_prefix(prefix)
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
        return None
    if not key.user.is_active:
        return None
    # Cheap, not every call: at most once in five minutes per key (the cache says when).
    if cache.add(f"{_key_cache_name(prefix)}:used", True, 300) and (
        key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5)
    ):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def revoke_api_key(*, key: ApiKey, actor: User) -> ApiKey:
    """Revoke ``key`` and, in the same transaction, every key created with it or with one of
    those (transitively): a key must not leave behind working keys that it made."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        now = timezone.now()
        revoked: set[int] = set()
        pending = [key]
        while pending:
            current = pending.pop()
            if current.pk in revoked:
                continue
            revoked.add(current.pk)
            if current.revoked_at is None:
                current.revoked_at = now
                current.save(update_fields=["revoked_at"])
                after = {"user": current.user.username, "name": current.name}
                if current.pk != key.pk:
                    after["revoked_with_key_id"] = key.pk
                record(action="apikey.revoked", obj=current, actor=actor, after=after)
            # Children of an already revoked key are revoked too (made before this rule).
            pending.extend(
                ApiKey.objects.select_for_update()
                .select_related("user")
                .filter(parent=current)
                .exclude(pk__in=revoked)
            )
    return key


# --- Teams, memberships and service accounts (administrators) ------------------------------


def create_team(*, name: str, slug: str, description: str = "", actor: User) -> Team:
    """Create a team (and, through its signal, the auth group its permissions go to)."""
    with transaction.atomic():
        team = Team.objects.create(name=name, slug=slug, description=description)
        record(
            action="team.created",
            obj=team,
            actor=actor,
            after={"name": name, "slug": slug, "description": description},
        )
    return team


def update_team(*, team: Team, actor: User, **changes: str) -> Team:
    """Rename or re-describe a team; its slug (and group) never change."""
    unknown = set(changes) - {"name", "description"}
    if unknown:
        raise ValidationFailed(
            "Only a team's name and description can change.",
            errors={name: ["read-only"] for name in sorted(unknown)},
        )
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        before = {name: getattr(team, name) for name in changes}
        for name, value in changes.items():
            setattr(team, name, value)
        team.save(update_fields=list(changes) or None)
        record(action="team.changed", obj=team, actor=actor, before=before, after=changes)
    return team


def _check_role(role: str) -> None:
    if role not in Membership.Role.values:
        valid = ", ".join(Membership.Role.values)
        raise ValidationFailed(f"role must be one of {valid}", errors={"role": [f"one of {valid}"]})


def add_member(*, team: Team, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    """Put ``user`` in ``team`` (audited by the membership signal, with the request id)."""
    _check_role(role)
    if Membership.objects.filter(team=team, user=user).exists():
        raise Conflict(f"{user} is already a member of {team}.")
    try:
        with transaction.atomic():
            return Membership.objects.create(team=team, user=user, role=role)
    except IntegrityError:
        raise Conflict(f"{user} is already a member of {team}.") from None


def change_member_role(*, membership: Membership, role: str) -> Membership:
    _check_role(role)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
    return membership


def remove_member(*, membership: Membership) -> None:
    """Take a person out of a team: they lose what the team was granted."""
    with transaction.atomic():
        membership.delete()


def create_service_account(
    *, username: str, actor: User, name: str = "", email: str = "", is_staff: bool = False
) -> User:
    """A user for a program: no password, signs in only with API keys."""
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(f"The username {username!r} is taken.")
        account = User(
            username=username,
            first_name=name,
            email=email,
            is_staff=is_staff,
            is_service_account=True,
        )
        account.set_unusable_password()
        account.save()
        record(
            action="user.service_account_created",
            obj=account,
            actor=actor,
            after={"username": username, "name": name, "is_staff": is_staff},
        )
    return account


def update_service_account(*, account: User, actor: User, **changes) -> User:
    """Rename, (de)activate or change a service account's administrator flag."""
    allowed = {"first_name", "email", "is_active", "is_staff"}
    if not account.is_service_account:
        raise ValidationFailed("That user is a person, not a service account.")
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            "Those fields cannot change here.",
            errors={name: ["read-only"] for name in sorted(unknown)},
        )
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        before = {name: getattr(account, name) for name in changes}
        for name, value in changes.items():
            setattr(account, name, value)
        account.save(update_fields=list(changes) or None)
        record(
            action="user.service_account_changed",
            obj=account,
            actor=actor,
            before=before,
            after=dict(changes),
        )
    return account
