"""Celery tasks of licensing: thin, idempotent, JSON arguments."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def expire_license_decisions_task() -> int:
    return services.expire_license_decisions()
