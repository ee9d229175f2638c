"""The admin: webhooks with a secret shown once, deliveries read-only with a redeliver action."""

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.urls import reverse

from governance.events.models import Webhook, WebhookDelivery
from governance.events.services import emit
from tests.events.conftest import Reply
from tests.events.factories import WebhookFactory

pytestmark = pytest.mark.django_db


def test_creating_a_webhook_shows_its_secret_once(admin_client, admin_user) -> None:
    response = admin_client.post(
        reverse("admin:events_webhook_add"),
        {"name": "CI", "url": "https://ci.example.com/hook", "events": "version.*\nwaiver.expired"},
        follow=True,
    )
    webhook = Webhook.objects.get()
    assert (webhook.events, webhook.created_by) == (["version.*", "waiver.expired"], admin_user)
    assert webhook.secret.startswith("whsec_")
    assert webhook.secret in response.content.decode()
    change = admin_client.get(reverse("admin:events_webhook_change", args=[webhook.pk]))
    assert change.status_code == 200
    assert webhook.secret not in change.content.decode()
    listing = admin_client.get(reverse("admin:events_webhook_changelist"))
    assert webhook.secret not in listing.content.decode()


@pytest.mark.parametrize(
    ("url", "events"),
    [
        ("ftp://example.com/hook", ""),
        ("file:///etc/passwd", ""),
        ("https://example.com/hook", "version"),
        ("https://example.com/hook", "Version.*"),
    ],
)
def test_a_webhook_needs_an_http_url_and_valid_event_patterns(admin_client, url, events) -> None:
    response = admin_client.post(
        reverse("admin:events_webhook_add"), {"name": "x", "url": url, "events": events}
    )
    assert response.status_code == 200  # the form again, with its errors
    assert response.context["adminform"].form.errors
    assert not Webhook.objects.exists()


def test_rotating_the_secret_shows_the_new_one(admin_client) -> None:
    webhook = WebhookFactory()
    old = webhook.secret
    response = admin_client.post(
        reverse("admin:events_webhook_changelist"),
        {"action": "rotate_secret", "_selected_action": [webhook.pk]},
    )
    webhook.refresh_from_db()
    assert webhook.secret != old
    assert any(webhook.secret in str(m) for m in get_messages(response.wsgi_request))


def test_redeliver_creates_a_new_delivery_with_the_same_payload(
    admin_client, receiver, django_capture_on_commit_callbacks
) -> None:
    receiver.answer(Reply(410))
    WebhookFactory(url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        emit(event="version.retired", subject={"version_id": 3})
    original = WebhookDelivery.objects.get()
    assert original.status == "failed"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:events_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [original.pk]},
        )
    assert response.status_code == 302
    copy = WebhookDelivery.objects.exclude(pk=original.pk).get()
    assert copy.delivery_id != original.delivery_id
    assert copy.payload == {**original.payload, "id": str(copy.delivery_id)}
    assert (copy.redelivery_of, copy.event, copy.webhook) == (
        original,
        original.event,
        original.webhook,
    )
    assert copy.status == "delivered"
    assert receiver.requests[-1].headers["x-hubgate-delivery"] == str(copy.delivery_id)
    original.refresh_from_db()
    assert original.status == "failed"  # the record of what happened stays


def test_redelivering_to_an_inactive_webhook_is_refused(admin_client) -> None:
    WebhookFactory()
    with transaction.atomic():
        emit(event="version.retired", subject={"version_id": 3})
    delivery = WebhookDelivery.objects.get()
    Webhook.objects.update(active=False)
    response = admin_client.post(
        reverse("admin:events_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    assert WebhookDelivery.objects.count() == 1
    assert any("inactive" in str(m) for m in get_messages(response.wsgi_request))


def test_deliveries_are_read_only_and_filterable(admin_client) -> None:
    WebhookFactory()
    with transaction.atomic():
        emit(event="version.retired", subject={"version_id": 3})
    delivery = WebhookDelivery.objects.get()
    assert admin_client.get(reverse("admin:events_webhookdelivery_add")).status_code == 403
    page = admin_client.get(reverse("admin:events_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert 'name="payload"' not in page.content.decode()
    for query in ["?status__exact=pending", "?event=version.retired", "?webhook__id__exact=1"]:
        listing = admin_client.get(reverse("admin:events_webhookdelivery_changelist") + query)
        assert listing.status_code == 200
