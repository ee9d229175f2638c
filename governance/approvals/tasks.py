from dataclasses import asdict
from datetime import datetime

from celery import shared_task

from .services import expire_waivers, reevaluate_licenses


@shared_task
def expire_waivers_task() -> int:
    return expire_waivers()


@shared_task(acks_late=True)
def reevaluate_licenses_task(scope: dict, reason: str, at: str | None = None) -> dict:
    """Re-evaluate the requests ``scope`` affects (see ``services.reevaluate_licenses``);
    ``at``: the ISO time the terms changed as of (None: now)."""
    when = datetime.fromisoformat(at) if at else None
    return asdict(reevaluate_licenses(scope=scope, reason=reason, at=when))
