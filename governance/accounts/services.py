"""API keys: created (shown once), checked, revoked — every event audited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.audit.services import record
from governance.errors import ValidationFailed

from .models import ApiKey, User

KEY_PREFIX = "hg_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None,
    actor: User | None = None,
) -> tuple[ApiKey, str]:  # fmt: skip
    """Create a key; returns it and the full secret, which is never shown again."""
    unknown = set(scopes) - set(ApiKey.Scope.values)
    if not scopes or unknown:
        raise ValidationFailed(f"scopes must be drawn from {sorted(ApiKey.Scope.values)}",
                               errors={"scopes": sorted(unknown) or ["required"]})  # fmt: skip
    longest = timedelta(days=settings.HUBGATE_API_KEY_MAX_DAYS)
    now = timezone.now()
    if expires_at is None:
        expires_at = now + longest
    if not now < expires_at <= now + longest:
        raise ValidationFailed(f"expires_at must be within {longest.days} days",
                               errors={"expires_at": ["out of range"]})  # fmt: skip
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            user=user, name=name, prefix=prefix, secret_hash=_hash(secret),
            scopes=sorted(set(scopes)), expires_at=expires_at,
        )  # fmt: skip
        record(action="apikey.created", obj=key, actor=actor or user,
               after={"user": user.username, "name": name, "scopes": key.scopes,
                      "expires_at": expires_at.isoformat()})  # fmt: skip
    return key, f"{KEY_PREFIX}{prefix}_{secret}"


def check_api_key(raw: str) -> ApiKey | None:
    """The live key ``raw`` names, or None (unknown, wrong secret, expired or revoked)."""
    if not raw.startswith(KEY_PREFIX) or raw.count("_") < 2:
        return None
    prefix, _, secret = raw[len(KEY_PREFIX) :].partition("_")
    key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
        return None
    if not key.user.is_active:
        return None
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # cheap, not every call
    return key


def revoke_api_key(*, key: ApiKey, actor: User) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            record(action="apikey.revoked", obj=key, actor=actor,
                   after={"user": key.user.username, "name": key.name})  # fmt: skip
    return key
