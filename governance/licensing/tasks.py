"""Celery tasks of licensing: thin, idempotent, JSON arguments."""

from dataclasses import asdict

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def reevaluate_licenses_task(scope: dict, reason: str) -> dict:
    """Re-evaluate the requests ``scope`` affects (see ``services.reevaluate_licenses``)."""
    return asdict(services.reevaluate_licenses(scope=scope, reason=reason))


@shared_task(acks_late=True)
def expire_license_decisions_task() -> int:
    return services.expire_license_decisions()
