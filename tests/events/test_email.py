"""E-mails about events: to the recipients with an address, after commit, one template each."""

import pytest
from django.db import transaction

from governance.events.services import emit, send_event_email
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_recipients_with_an_address_get_an_email_after_commit(
    mailoutbox, django_capture_on_commit_callbacks
) -> None:
    carol = UserFactory(username="carol", first_name="Carol", email="carol@example.com")
    no_address = UserFactory(email="")
    gone = UserFactory(is_active=False)
    subject = {"id": 12, "name": "Ink Style v2", "url": "https://hubgate.example.com/v/12"}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        emit(event="waiver.expired", subject=subject, recipients=[carol, no_address, gone, carol])
        assert mailoutbox == []
    [message] = mailoutbox
    assert message.to == ["carol@example.com"]
    assert "waiver.expired" in message.subject
    assert message.subject == "[Hubgate] waiver.expired: Ink Style v2"
    assert "Hello Carol," in message.body
    assert "name: Ink Style v2" in message.body
    assert "Details: https://hubgate.example.com/v/12" in message.body
    assert "\n\n\n" not in message.body


def test_an_event_with_its_own_template_uses_it(mailoutbox) -> None:
    user = UserFactory()
    sent = send_event_email(
        event="version.approved",
        subject={"name": "Ink <Style> & co", "team": "Art"},
        user_ids=[user.pk],
    )
    assert sent == 1
    body = mailoutbox[0].body
    assert "The model version Ink <Style> & co was approved for Art." in body  # not HTML-escaped


def test_each_recipient_gets_a_message_of_their_own(mailoutbox) -> None:
    users = UserFactory.create_batch(3)
    assert send_event_email(event="request.decided", subject={}, user_ids=[u.pk for u in users])
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in users)
    assert mailoutbox[0].subject == "[Hubgate] request.decided"


def test_no_recipients_means_no_email(mailoutbox, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        emit(event="version.deprecated", subject={"id": 1})
    assert callbacks == []
    assert mailoutbox == []
