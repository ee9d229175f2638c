"""Through the broker to a real Celery worker, which delivers to a real HTTP receiver."""

import time

import pytest
from django.db import transaction

from governance.events.models import WebhookDelivery
from governance.events.services import emit
from governance.events.signatures import verify_signature
from tests.events.conftest import Reply
from tests.events.factories import WebhookFactory


def wait_until_finished(delivery: WebhookDelivery, timeout: float = 60) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status != WebhookDelivery.Status.PENDING:
            break
        time.sleep(0.1)
    return delivery


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_after_commit_and_retries_when_told_to(
    celery_worker_process, receiver
) -> None:
    # The first answer asks to come back in a second: Celery's retry with that countdown.
    receiver.answer(Reply(429, headers={"Retry-After": "1"}))
    webhook = WebhookFactory(url=receiver.url, events=["version.*"])
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(event="version.rejected", subject={"version_id": 1})
        raise RuntimeError("rolled back")
    with transaction.atomic():
        emit(event="version.approved", subject={"version_id": 2, "name": "Ink Style v2"})
    delivery = wait_until_finished(WebhookDelivery.objects.get())

    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    first, second = receiver.requests
    assert first.headers["x-hubgate-delivery"] == second.headers["x-hubgate-delivery"]
    assert {r.headers["x-hubgate-event"] for r in receiver.requests} == {"version.approved"}
    assert verify_signature(
        webhook.secret,
        second.headers["x-hubgate-timestamp"],
        second.body,
        second.headers["x-hubgate-signature"],
    )
    assert celery_worker_process.poll() is None
