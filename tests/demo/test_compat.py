"""`make run` prints a ready API key for the demo user, and a version it can download."""

import pytest
from django.test import Client

from governance.accounts.services import check_api_key
from governance.audit.models import AuditEntry
from governance.demo.compat import demo_api_key
from tests.compat.catalog import DATA

pytestmark = pytest.mark.django_db


def test_the_demo_key_downloads_and_is_shown_only_when_created(catalog, stored) -> None:
    first = demo_api_key(username="alice")
    assert first.raw is not None
    response = Client().get(f"/api/download/models/{first.version_id}", {"token": first.raw})
    assert response.status_code == 200 and b"".join(response.streaming_content) == DATA
    entries = AuditEntry.objects.count()
    again = demo_api_key(username="alice")
    assert again.raw is None and again.prefix == first.prefix
    assert check_api_key(first.raw) is not None
    assert AuditEntry.objects.count() == entries  # a second run changes nothing


def test_renewing_the_demo_key_revokes_the_old_one(catalog) -> None:
    first = demo_api_key(username="alice")
    second = demo_api_key(username="alice", renew=True)
    assert second.raw is not None and second.prefix != first.prefix
    assert check_api_key(first.raw) is None and check_api_key(second.raw) is not None


def test_no_demo_user_no_key(db) -> None:
    assert demo_api_key(username="nobody") is None
