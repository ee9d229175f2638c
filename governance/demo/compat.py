"""The demo's ready API key, so a CivitAI tool pointed at `make run` can also download."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance.accounts.models import ApiKey, User
from governance.accounts.services import create_api_key, revoke_api_key
from governance.catalog.models import ModelVersion, VersionState
from governance.compat.ids import served_id

DEMO_KEY_NAME = "demo: CivitAI-compatible API"


@dataclass(frozen=True)
class DemoKey:
    #: The secret, only when this call created the key (Hubgate keeps only its hash).
    raw: str | None
    prefix: str
    #: The served id of a version the demo user may download, if there is one.
    version_id: int | None


def demo_api_key(*, username: str = "alice", renew: bool = False) -> DemoKey | None:
    """The demo user's read key for the compatible API: created if the user has no live one,
    left alone otherwise (so a second ``seed_demo`` changes nothing), replaced with ``renew``
    (earlier demo keys revoked). None if the user does not exist."""
    user = User.objects.filter(username=username).first()
    if user is None:
        return None
    with transaction.atomic():
        live = ApiKey.objects.select_for_update().filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()),
            user=user,
            name=DEMO_KEY_NAME,
            revoked_at__isnull=True,
        )
        key = None if renew else live.order_by("-pk").first()
        raw = None
        if key is None:
            for old in live:
                revoke_api_key(key=old, actor=user)
            key, raw = create_api_key(user=user, name=DEMO_KEY_NAME, scopes=[ApiKey.Scope.READ])
    downloadable = next(
        (
            v
            for v in ModelVersion.objects.filter(
                state__in=[VersionState.APPROVED, VersionState.DEPRECATED],
                files__blob__isnull=False,
            ).order_by("pk")
            if user.has_perm("catalog.use_modelversion", v)
        ),
        None,
    )
    version_id = served_id(downloadable) if downloadable is not None else None
    return DemoKey(raw=raw, prefix=key.prefix, version_id=version_id)
