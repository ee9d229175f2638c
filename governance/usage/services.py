"""Recording usage: one cheap insert, never in the way of the request it describes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import DatabaseError, transaction

from .models import UsageEvent

logger = logging.getLogger(__name__)


def record_usage(
    *, kind: str, version, user=None, team=None, file=None, client: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> UsageEvent | None:  # fmt: skip
    """Insert one usage event; a failure is logged, never raised to the caller."""
    try:
        with transaction.atomic():
            return UsageEvent.objects.create(
                kind=kind, version=version, file=file, client=client[:100],
                user=user if user is not None and user.is_authenticated else None,
                team=team, metadata=dict(metadata or {}),
            )  # fmt: skip
    except DatabaseError:
        logger.exception("Could not record a %s of version %s", kind, getattr(version, "pk", None))
        return None
