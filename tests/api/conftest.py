import pytest
from rest_framework.test import APIClient

from governance.accounts.services import create_api_key
from tests.accounts.factories import UserFactory
from tests.approvals.conftest import company, stored_version  # noqa: F401  (shared fixtures)
from tests.gates.world import world  # noqa: F401


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """An RFC 9457 problem document with the given status (and code)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"] == f"urn:hubgate:problem:{body['code']}"
    if code is not None:
        assert body["code"] == code, body
    return body


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin(db):
    return UserFactory(username="root", is_staff=True)


@pytest.fixture
def key_for():
    """``key_for(user, "read", "ci")``: a client holding a fresh API key of those scopes."""

    def make(user, *scopes: str) -> APIClient:
        _, raw = create_api_key(user=user, name="test", scopes=list(scopes))
        return bearer(raw)

    return make
