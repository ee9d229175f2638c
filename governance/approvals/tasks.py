from celery import shared_task

from .services import expire_waivers


@shared_task
def expire_waivers_task() -> int:
    return expire_waivers()
