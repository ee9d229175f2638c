"""emit: deliveries written with the caller's change, sent only after it commits."""

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from django.db import transaction

from governance.events.models import WebhookDelivery
from governance.events.services import canonical_json, emit
from governance.events.signatures import verify_signature
from tests.accounts.factories import UserFactory
from tests.events.factories import WebhookFactory

pytestmark = pytest.mark.django_db

SUBJECT = {"version_id": 7, "name": "Ink Style v2", "state": "approved"}


def test_emit_in_a_rolled_back_transaction_writes_and_sends_nothing(
    receiver, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    WebhookFactory(url=receiver.url)
    recipient = UserFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        emit(event="version.approved", subject=SUBJECT, recipients=[recipient])
        assert WebhookDelivery.objects.count() == 1  # written with the change…
        raise RuntimeError("the change fails")
    assert callbacks == []
    assert WebhookDelivery.objects.count() == 0  # …and gone with it
    assert receiver.requests == []
    assert mailoutbox == []


def test_emit_writes_deliveries_only_for_active_subscribed_webhooks() -> None:
    exact = WebhookFactory(events=["version.approved"])
    prefix = WebhookFactory(events=["waiver.*", "version.*"])
    everything = WebhookFactory(events=[])
    star = WebhookFactory(events=["*"])
    WebhookFactory(events=["version.rejected"])
    WebhookFactory(events=["waiver.*"])
    WebhookFactory(events=["versions.*"])  # a prefix of words, not of characters
    WebhookFactory(events=["version.*"], active=False)
    with transaction.atomic():
        emit(event="version.approved", subject=SUBJECT)
    assert {d.webhook for d in WebhookDelivery.objects.all()} == {exact, prefix, everything, star}


def test_the_payload_names_the_event_the_actor_and_the_subject() -> None:
    WebhookFactory()
    actor = UserFactory(username="alice")
    subject = {"id": uuid.UUID(int=5), "at": datetime(2026, 1, 2, tzinfo=UTC), "n": 1}
    with transaction.atomic():
        emit(event="waiver.granted", subject=subject, actor=actor)
    delivery = WebhookDelivery.objects.get()
    payload = delivery.payload
    assert payload["id"] == str(delivery.delivery_id)
    assert (payload["event"], payload["actor"]) == ("waiver.granted", "alice")
    assert payload["subject"] == {
        "id": "00000000-0000-0000-0000-000000000005",
        "at": "2026-01-02T00:00:00Z",
        "n": 1,
    }
    assert datetime.fromisoformat(payload["created_at"]).tzinfo is not None
    assert (delivery.status, delivery.attempts, delivery.event) == ("pending", 0, "waiver.granted")


def test_without_an_actor_the_payload_says_null() -> None:
    WebhookFactory()
    emit(event="waiver.expired", subject={"id": 1})
    assert WebhookDelivery.objects.get().payload["actor"] is None


def test_after_commit_the_receiver_gets_a_signed_request(
    receiver, django_capture_on_commit_callbacks
) -> None:
    webhook = WebhookFactory(url=receiver.url, events=["version.*"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        emit(event="version.approved", subject=SUBJECT, actor=UserFactory(username="bob"))
        assert receiver.requests == []  # nothing leaves before the commit
    delivery = WebhookDelivery.objects.get()
    [request] = receiver.requests
    headers = request.headers
    assert request.path == "/hook"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Hubgate-Webhooks/1"
    assert headers["x-hubgate-event"] == "version.approved"
    assert headers["x-hubgate-delivery"] == str(delivery.delivery_id)
    assert abs(int(headers["x-hubgate-timestamp"]) - time.time()) < 60
    assert headers["x-hubgate-signature"].startswith("sha256=")
    assert verify_signature(
        webhook.secret, headers["x-hubgate-timestamp"], request.body, headers["x-hubgate-signature"]
    )
    assert request.body == canonical_json(delivery.payload)
    assert json.loads(request.body)["subject"] == SUBJECT
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


def test_an_event_name_must_be_dotted_lower_case() -> None:
    for bad in ["approved", "Version.Approved", "version.", "../etc.passwd"]:
        with pytest.raises(ValueError, match="event name"):
            emit(event=bad, subject={})


def test_an_event_nobody_listens_to_writes_nothing(django_capture_on_commit_callbacks) -> None:
    WebhookFactory(events=["waiver.*"])
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        emit(event="version.approved", subject=SUBJECT)
    assert callbacks == []
    assert WebhookDelivery.objects.count() == 0
