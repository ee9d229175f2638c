"""Delivery attempts against a real HTTP receiver: retries, permanent failures, idempotency."""

import socket
import time
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from governance.events import services
from governance.events.models import WebhookDelivery
from governance.events.services import attempt_delivery, emit, retry_overdue_deliveries
from governance.events.signatures import verify_signature
from governance.events.tasks import deliver_webhook_task
from tests.events.conftest import HANG, Reply
from tests.events.factories import WebhookFactory

pytestmark = pytest.mark.django_db


def pending_delivery(url: str, **webhook) -> WebhookDelivery:
    """A delivery written by emit, its task not run (the test drives the attempts)."""
    WebhookFactory(url=url, **webhook)
    with transaction.atomic():
        emit(event="version.approved", subject={"version_id": 7})
    return WebhookDelivery.objects.get()


def attempt(delivery: WebhookDelivery) -> float | None:
    countdown = attempt_delivery(delivery_id=delivery.delivery_id)
    delivery.refresh_from_db()
    return countdown


def make_due(delivery: WebhookDelivery) -> None:
    """What waiting for the countdown does."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_500_then_a_200_ends_delivered_after_two_attempts(receiver) -> None:
    receiver.answer(Reply(500, body=b"database down"))
    delivery = pending_delivery(receiver.url)

    countdown = attempt(delivery)
    assert countdown is not None and 30 <= countdown <= 37.5  # 30 s backoff plus jitter
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500"
    expected = timezone.now() + timedelta(seconds=countdown)
    assert abs((delivery.next_attempt_at - expected).total_seconds()) < 5

    make_due(delivery)
    assert attempt(delivery) is None
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert delivery.last_error == ""
    first, second = receiver.requests
    assert first.headers["x-hubgate-delivery"] == second.headers["x-hubgate-delivery"]
    assert first.body == second.body
    secret = delivery.webhook.secret
    for request in receiver.requests:  # each attempt is signed afresh
        assert verify_signature(
            secret,
            request.headers["x-hubgate-timestamp"],
            request.body,
            request.headers["x-hubgate-signature"],
        )


def test_a_410_fails_permanently_on_the_first_attempt(receiver) -> None:
    receiver.answer(Reply(410, body=b"gone"))
    delivery = pending_delivery(receiver.url)
    assert attempt(delivery) is None
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 410)
    assert delivery.last_error == "HTTP 410 (permanent)"
    assert delivery.next_attempt_at is None
    assert attempt(delivery) is None
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [408, 429, 502, 503])
def test_timeouts_throttling_and_server_errors_are_retried(receiver, status) -> None:
    receiver.answer(Reply(status))
    delivery = pending_delivery(receiver.url)
    assert attempt(delivery) is not None
    assert delivery.status == "pending"


def test_a_429_is_retried_after_its_retry_after(receiver) -> None:
    receiver.answer(Reply(429, headers={"Retry-After": "7"}))
    delivery = pending_delivery(receiver.url)
    assert attempt(delivery) == 7


def test_a_503_retry_after_date_is_honoured(receiver) -> None:
    when = timezone.now() + timedelta(seconds=90)
    receiver.answer(Reply(503, headers={"Retry-After": when.strftime("%a, %d %b %Y %H:%M:%S GMT")}))
    delivery = pending_delivery(receiver.url)
    assert 85 <= attempt(delivery) <= 91


def test_backoff_grows_exponentially_with_jitter_up_to_a_cap() -> None:
    for attempt_number, base in [(1, 30), (2, 60), (3, 120), (7, 1800), (20, 1800)]:
        for _ in range(20):
            assert base <= services._countdown(attempt_number, None) <= base * 1.25
    assert services._countdown(1, 0) == 1  # Retry-After: 0 still waits a second
    assert services._countdown(1, 10**6) == services.BACKOFF_MAX_SECONDS


def test_a_receiver_that_hangs_times_out_and_is_retried(receiver) -> None:
    receiver.answer(HANG)
    delivery = pending_delivery(receiver.url)
    started = time.monotonic()
    with override_settings(HUBGATE_WEBHOOK_TIMEOUT_SECONDS=0.5):
        countdown = attempt(delivery)
    assert time.monotonic() - started < 5
    assert countdown is not None
    assert (delivery.status, delivery.last_status_code) == ("pending", None)
    assert "0.5 s" in delivery.last_error or "Timeout" in delivery.last_error
    assert delivery.locked_until is None


def test_a_refused_connection_is_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    delivery = pending_delivery(f"http://127.0.0.1:{port}/hook")
    assert attempt(delivery) is not None
    assert delivery.status == "pending"
    assert "ConnectError" in delivery.last_error


def test_a_redirect_is_not_followed_and_fails(receiver) -> None:
    receiver.answer(Reply(302, headers={"Location": "http://169.254.169.254/latest"}))
    delivery = pending_delivery(receiver.url)
    assert attempt(delivery) is None
    assert delivery.status == "failed"
    assert "redirect" in delivery.last_error
    assert len(receiver.requests) == 1


@override_settings(HUBGATE_WEBHOOK_MAX_ATTEMPTS=2)
def test_retries_stop_after_the_maximum_attempts(receiver) -> None:
    receiver.answer(Reply(500), Reply(500))
    delivery = pending_delivery(receiver.url)
    assert attempt(delivery) is not None
    make_due(delivery)
    assert attempt(delivery) is None
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error == "HTTP 500 (gave up after 2 attempts)"


def test_a_delivered_delivery_is_never_sent_again(receiver) -> None:
    delivery = pending_delivery(receiver.url)
    assert attempt(delivery) is None
    assert delivery.status == "delivered"
    make_due(delivery)  # even a stray message for a due-looking row
    assert attempt(delivery) is None
    assert len(receiver.requests) == 1
    assert delivery.attempts == 1


def test_an_early_duplicate_message_sends_nothing(receiver) -> None:
    receiver.answer(Reply(500))
    delivery = pending_delivery(receiver.url)
    attempt(delivery)
    assert attempt(delivery) is None  # not due: the first attempt scheduled its own retry
    assert (len(receiver.requests), delivery.attempts) == (1, 1)


def test_a_delivery_in_flight_elsewhere_is_left_alone(receiver) -> None:
    delivery = pending_delivery(receiver.url)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        locked_until=timezone.now() + timedelta(seconds=30)
    )
    assert attempt(delivery) is None
    assert receiver.requests == []


def test_a_deactivated_webhook_gets_nothing(receiver) -> None:
    delivery = pending_delivery(receiver.url)
    delivery.webhook.active = False
    delivery.webhook.save()
    assert attempt(delivery) is None
    assert delivery.status == "failed"
    assert receiver.requests == []


def test_a_failure_shows_the_status_never_the_answer(receiver) -> None:
    receiver.answer(Reply(403, body=b"internal admin page: db password hunter2"))
    delivery = pending_delivery(receiver.url)
    attempt(delivery)
    assert (delivery.status, delivery.last_status_code) == ("failed", 403)
    assert delivery.last_error == "HTTP 403 (permanent)"
    stored = WebhookDelivery.objects.filter(pk=delivery.pk).values().get()
    assert not any("hunter2" in str(value) for value in stored.values())


def test_the_sweeper_requeues_overdue_deliveries_only(
    receiver, django_capture_on_commit_callbacks
) -> None:
    overdue = pending_delivery(receiver.url)
    long_ago = timezone.now() - timedelta(minutes=10)
    WebhookDelivery.objects.filter(pk=overdue.pk).update(next_attempt_at=long_ago)
    with transaction.atomic():
        emit(event="version.approved", subject={"version_id": 8})  # just written: not overdue
    assert retry_overdue_deliveries() == 1
    overdue.refresh_from_db()
    assert overdue.status == "delivered"
    assert WebhookDelivery.objects.filter(status="pending").count() == 1


def test_the_task_schedules_a_celery_retry_with_the_services_countdown(
    receiver, monkeypatch
) -> None:
    receiver.answer(Reply(429, headers={"Retry-After": "12"}))
    delivery = pending_delivery(receiver.url)
    scheduled = []

    def retry(*, countdown):
        scheduled.append(countdown)
        return Retry(when=countdown)

    monkeypatch.setattr(deliver_webhook_task, "retry", retry)
    deliver_webhook_task.push_request(is_eager=False, retries=0)  # as a worker runs it
    try:
        with pytest.raises(Retry):
            deliver_webhook_task.run(str(delivery.delivery_id))
    finally:
        deliver_webhook_task.pop_request()
    assert scheduled == [12]


def test_the_task_schedules_nothing_once_the_delivery_is_finished(receiver) -> None:
    delivery = pending_delivery(receiver.url)
    result = deliver_webhook_task.apply(args=[str(delivery.delivery_id)])
    assert result.get() == "finished"
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_without_a_broker_a_failed_attempt_stays_pending_for_the_sweeper(receiver) -> None:
    receiver.answer(Reply(500))
    delivery = pending_delivery(receiver.url)
    result = deliver_webhook_task.apply(args=[str(delivery.delivery_id)])
    assert result.get() == "pending"  # not retried at once in the caller's process
    assert len(receiver.requests) == 1


INTERNAL_HOSTS = ["127.0.0.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "localhost", "[::1]"]


@override_settings(HUBGATE_OUTBOUND_ALLOW=[])
@pytest.mark.parametrize("host", [*INTERNAL_HOSTS, "169.254.169.254"])
def test_a_webhook_to_an_internal_address_is_refused_after_dns(receiver, host) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    delivery = pending_delivery(f"http://{host}:{port}/hook")
    assert attempt(delivery) is None
    assert delivery.status == "failed"
    # httpx itself rejects some spellings (octal); every other one is refused after DNS.
    assert "internal" in delivery.last_error or "InvalidURL" in delivery.last_error
    assert receiver.requests == []


def test_the_outbound_allow_list_lets_a_webhook_reach_an_internal_receiver(receiver) -> None:
    # config.settings.test allow-lists 127.0.0.1 for the test receivers.
    delivery = pending_delivery(receiver.url)
    assert attempt(delivery) is None
    assert delivery.status == "delivered"
