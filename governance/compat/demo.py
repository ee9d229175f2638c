"""The demo's ready API key, so a CivitAI tool pointed at `make run` can also download."""

from __future__ import annotations

from django.db import transaction

from governance.accounts.models import ApiKey, User
from governance.accounts.services import create_api_key, revoke_api_key
from governance.catalog.models import ModelVersion, VersionState

from .ids import served_id

DEMO_KEY_NAME = "demo: CivitAI-compatible API"


def demo_api_key(*, username: str = "alice") -> tuple[str, int | None] | None:
    """A fresh read key for the demo user (earlier demo keys revoked), and the served id of a
    version that user may download; None if the user does not exist."""
    user = User.objects.filter(username=username).first()
    if user is None:
        return None
    with transaction.atomic():
        for key in ApiKey.objects.filter(user=user, name=DEMO_KEY_NAME, revoked_at__isnull=True):
            revoke_api_key(key=key, actor=user)
        _, raw = create_api_key(user=user, name=DEMO_KEY_NAME, scopes=[ApiKey.Scope.READ])
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
    return raw, served_id(downloadable) if downloadable is not None else None
