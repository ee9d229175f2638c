"""Event tasks: thin. The services decide what to send and when; the tasks run and schedule."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .services import attempt_delivery, retry_overdue_deliveries, send_event_email

EMAIL_RETRIES = 5


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver_webhook_task(self, delivery_id: str) -> str:
    """One attempt at a webhook delivery; Celery retries it after the service's countdown.

    The service bounds the attempts (HUBGATE_WEBHOOK_MAX_ATTEMPTS, counted on the row, so an
    attempt lost with its worker counts too); hence no Celery ``max_retries``.
    """
    countdown = attempt_delivery(delivery_id=delivery_id)
    if countdown is None:
        return "finished"
    if self.request.is_eager:
        # No broker (development): an eager retry would run at once, in the caller's request.
        # The delivery stays pending and due; retry_overdue_deliveries_task picks it up.
        return "pending"
    raise self.retry(countdown=countdown)


@shared_task
def retry_overdue_deliveries_task() -> int:
    return retry_overdue_deliveries()


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def send_event_email_task(self, event: str, subject: dict[str, Any], user_ids: list[int]) -> int:
    """E-mail an event to users; a mail server that is down is tried again later."""
    try:
        return send_event_email(event=event, subject=subject, user_ids=user_ids)
    except OSError as exc:  # smtplib's errors are OSErrors
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
