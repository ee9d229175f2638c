"""Celery tasks of the audit log: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .services import anchor_head


@shared_task(acks_late=True)
def anchor_audit_head_task() -> dict[str, object] | None:
    """Beat: copy the audit head to ``HUBGATE_AUDIT_ANCHOR`` (nothing when it is unset)."""
    if not settings.HUBGATE_AUDIT_ANCHOR:
        return None
    anchor = anchor_head()
    if anchor is None:
        return None
    return {"entry_id": anchor.entry_id, "hash": anchor.hash, "count": anchor.count}
