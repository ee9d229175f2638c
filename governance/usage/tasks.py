from typing import Any

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def record_usage_task(fields: dict[str, Any]) -> int | None:
    """Write one queued usage event (``HUBGATE_USAGE_RECORDING = "queue"``)."""
    event = services.record_queued_usage(fields=fields)
    return event.pk if event is not None else None


@shared_task(acks_late=True)
def aggregate_daily_usage_task() -> int:
    """Celery beat: rebuild today's and yesterday's daily usage counters."""
    return services.aggregate_recent_usage(days=2)
