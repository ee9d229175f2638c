from celery import shared_task

from .services import retire_due_versions


@shared_task
def retire_due_versions_task() -> int:
    return retire_due_versions()
