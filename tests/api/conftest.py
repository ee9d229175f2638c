import functools
import os

import pytest
from drf_spectacular.generators import SchemaGenerator
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


@functools.cache
def _openapi_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def documented_problems(path: str, method: str) -> dict[str, str]:
    """The error statuses the OpenAPI schema documents for one operation, each with the
    problem response it refers to: ``{"404": "NotFound", …}``."""
    responses = _openapi_schema()["paths"][path][method.lower()]["responses"]
    return {
        status: response["$ref"].rsplit("/", 1)[-1]
        for status, response in responses.items()
        if status.startswith(("4", "5"))
    }


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


def fuzz_budget(*, examples: int = 4, seconds: int | None = 45) -> list[str]:
    """Schemathesis options for how long to fuzz: ``HUBGATE_FUZZ_EXAMPLES`` cases per operation
    and a budget of ``HUBGATE_FUZZ_SECONDS`` (fuzzing repeats until it is spent, and stops when
    it is, even mid-pass); 0 or ``seconds=None`` means exactly one pass over every operation.
    One pass of the whole API takes minutes on the 2-core machine, so `make test` fuzzes for
    the default budget and CI's service phase for longer (.ci/run)."""
    budget = ["--max-examples", os.environ.get("HUBGATE_FUZZ_EXAMPLES", str(examples))]
    limit = int(os.environ.get("HUBGATE_FUZZ_SECONDS") or seconds or 0)
    return [*budget, "--max-time", str(limit)] if limit else budget
