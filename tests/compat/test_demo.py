"""`make run` prints a ready API key for the demo user, and a version it can download."""

import pytest
from django.test import Client

from governance.accounts.services import check_api_key
from governance.compat.demo import demo_api_key
from tests.compat.catalog import DATA

pytestmark = pytest.mark.django_db


def test_the_demo_key_downloads_and_a_new_one_replaces_it(catalog, stored) -> None:
    first, version_id = demo_api_key(username="alice")
    response = Client().get(f"/api/download/models/{version_id}", {"token": first})
    assert response.status_code == 200 and b"".join(response.streaming_content) == DATA
    second, _ = demo_api_key(username="alice")
    assert check_api_key(first) is None and check_api_key(second) is not None


def test_no_demo_user_no_key(db) -> None:
    assert demo_api_key(username="nobody") is None
