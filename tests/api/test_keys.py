"""API key self-service: the secret shown once, scopes never widened, revocation at once."""

import pytest

from governance.accounts.models import ApiKey
from governance.accounts.services import create_api_key
from governance.api.models import IdempotencyRecord
from governance.audit.models import AuditEntry
from tests.accounts.factories import UserFactory
from tests.api.conftest import assert_problem, bearer, session

pytestmark = pytest.mark.django_db


def test_a_key_is_created_shown_once_and_works(user) -> None:
    created = session(user).post(
        "/api/keys/", {"name": "laptop", "scopes": ["read", "ci"]}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created["Cache-Control"] == "no-store"
    body = created.json()
    raw = body["key"]
    assert raw.startswith(f"hg_{body['prefix']}_") and body["state"] == "active"
    assert (body["user"], body["scopes"]) == (user.username, ["ci", "read"])
    assert raw.split("_", 2)[2] not in ApiKey.objects.get(pk=body["id"]).secret_hash
    listing = bearer(raw).get("/api/keys/").json()
    assert [k["id"] for k in listing["results"]] == [body["id"]]
    assert "key" not in listing["results"][0]
    assert "key" not in bearer(raw).get(f"/api/keys/{body['id']}/").json()
    assert AuditEntry.objects.filter(action="apikey.created", actor=user).count() == 1


def test_the_secret_is_never_stored_even_with_an_idempotency_key(user) -> None:
    response = session(user).post(
        "/api/keys/", {"name": "x", "scopes": ["read"]}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 201
    assert not IdempotencyRecord.objects.exists()


def test_a_key_cannot_make_or_revoke_a_wider_key(user) -> None:
    _, reader = create_api_key(user=user, name="reader", scopes=["read"])
    wider = bearer(reader).post(
        "/api/keys/", {"name": "x", "scopes": ["read", "admin"]}, format="json"
    )
    assert "admin" in assert_problem(wider, 403, "permission_denied")["detail"]
    same = bearer(reader).post("/api/keys/", {"name": "x", "scopes": ["read"]}, format="json")
    assert same.status_code == 201
    ci_key, _ = create_api_key(user=user, name="ci", scopes=["read", "ci"])
    assert_problem(bearer(reader).post(f"/api/keys/{ci_key.pk}/revoke/"), 403)


def test_revoking_a_key_locks_it_out_at_once(user) -> None:
    key, raw = create_api_key(user=user, name="ci", scopes=["read"])
    revoked = bearer(raw).post(f"/api/keys/{key.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert_problem(bearer(raw).get("/api/keys/"), 401, "authentication_failed")
    again = session(user).post(f"/api/keys/{key.pk}/revoke/")
    assert again.status_code == 200


def test_people_see_and_revoke_only_their_own_keys(user) -> None:
    other_key, _ = create_api_key(user=UserFactory(), name="theirs", scopes=["read"])
    assert session(user).get("/api/keys/").json()["count"] == 0
    assert_problem(session(user).get(f"/api/keys/{other_key.pk}/"), 404)
    assert_problem(session(user).post(f"/api/keys/{other_key.pk}/revoke/"), 404)


def test_keys_act_as_yourself_or_administrators_service_accounts(user, admin) -> None:
    person = UserFactory(username="pat")
    bot = UserFactory(username="bot", is_service_account=True)
    for owner in (person, bot):
        refused = session(user).post(
            "/api/keys/", {"name": "x", "scopes": ["read"], "user": owner.username}, format="json"
        )
        assert_problem(refused, 403)
    as_person = session(admin).post(
        "/api/keys/", {"name": "x", "scopes": ["read"], "user": "pat"}, format="json"
    )
    assert_problem(as_person, 403)
    for_bot = session(admin).post(
        "/api/keys/", {"name": "deploy", "scopes": ["ci"], "user": "bot"}, format="json"
    )
    assert for_bot.status_code == 201 and for_bot.json()["user"] == "bot"
    assert session(admin).get("/api/keys/?user=bot").json()["count"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_bad_key_requests_are_validation_problems(user, body, field) -> None:
    response = session(user).post("/api/keys/", body, format="json")
    assert field in assert_problem(response, 400, "invalid")["errors"]


def test_a_cached_key_is_looked_up_once_and_revocation_still_locks_it_out(user, admin) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from governance.accounts.services import check_api_key, revoke_api_key

    key, raw = create_api_key(user=user, name="ci", scopes=["read"])
    assert check_api_key(raw) is not None
    with CaptureQueriesContext(connection) as queries:
        assert check_api_key(raw).pk == key.pk
    assert not [q for q in queries if "accounts_apikey" in q["sql"]]  # from the cache
    assert check_api_key(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None  # secret checked
    revoke_api_key(key=key, actor=admin)
    assert check_api_key(raw) is None
    assert_problem(bearer(raw).get("/api/keys/"), 401)


def test_deactivating_a_keys_user_or_deleting_the_key_locks_it_out_at_once(user) -> None:
    key, raw = create_api_key(user=user, name="ci", scopes=["read"])
    assert bearer(raw).get("/api/keys/").status_code == 200
    user.is_active = False
    user.save()
    assert_problem(bearer(raw).get("/api/keys/"), 401)
    user.is_active = True
    user.save()
    assert bearer(raw).get("/api/keys/").status_code == 200
    ApiKey.objects.filter(pk=key.pk).get().delete()
    assert_problem(bearer(raw).get("/api/keys/"), 401)
