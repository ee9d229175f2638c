"""API keys: shown once, stored hashed, scoped, expiring, revocable, audited."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from governance.accounts.models import ApiKey
from governance.accounts.services import check_api_key, create_api_key, revoke_api_key
from governance.audit.models import AuditEntry
from governance.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_key_is_shown_once_and_stored_hashed(user) -> None:
    key, raw = create_api_key(user=user, name="ci", scopes=["read", "ci"])
    assert raw.startswith(f"hg_{key.prefix}_")
    assert raw.split("_", 2)[2] not in key.secret_hash and len(key.secret_hash) == 64
    assert check_api_key(raw) == key
    assert check_api_key(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert AuditEntry.objects.filter(action="apikey.created").count() == 1


def test_bearer_key_reads_the_api(user) -> None:
    _, raw = create_api_key(user=user, name="reader", scopes=["read"])
    assert bearer(raw).get("/api/models/").status_code == 200
    bad = bearer("hg_nope_nope").get("/api/models/")
    assert bad.status_code == 401 and bad.json()["code"] == "authentication_failed"
    assert bad["WWW-Authenticate"].startswith("Bearer")


def test_scopes_limit_what_a_key_may_change(user) -> None:
    _, raw = create_api_key(user=user, name="reader", scopes=["read"])
    response = bearer(raw).post("/api/uploads/", {"filename": "x", "size": 1}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    _, raw = create_api_key(user=user, name="uploader", scopes=["request"])
    response = bearer(raw).post("/api/uploads/", {"filename": "x", "size": 1}, format="json")
    assert response.status_code == 201


def test_expired_and_revoked_keys_are_refused(user) -> None:
    key, raw = create_api_key(
        user=user, name="short", scopes=["read"], expires_at=timezone.now() + timedelta(minutes=1)
    )
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(raw).get("/api/models/").status_code == 401
    key, raw = create_api_key(user=user, name="revoked", scopes=["read"])
    revoke_api_key(key=key, actor=user)
    assert bearer(raw).get("/api/models/").status_code == 401
    assert AuditEntry.objects.filter(action="apikey.revoked").count() == 1


@pytest.mark.parametrize("scopes", [[], ["root"]])
def test_scopes_must_be_known(user, scopes) -> None:
    with pytest.raises(ValidationFailed, match="scopes"):
        create_api_key(user=user, name="x", scopes=scopes)


def test_keys_expire_within_the_configured_maximum(user) -> None:
    key, _ = create_api_key(user=user, name="default", scopes=["read"])
    assert key.expires_at is not None
    with pytest.raises(ValidationFailed, match="expires_at"):
        create_api_key(
            user=user,
            name="forever",
            scopes=["read"],
            expires_at=timezone.now() + timedelta(days=5000),
        )


# --- Lineage: a key made with a key never outlives it and dies with it --------------------


def _make_child(raw: str, **body) -> dict:
    response = bearer(raw).post(
        "/api/keys/", {"name": "child", "scopes": ["read"], **body}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_key_made_with_a_key_expires_no_later_than_its_parent(user) -> None:
    parent, raw = create_api_key(
        user=user, name="short", scopes=["read"], expires_at=timezone.now() + timedelta(hours=1)
    )
    child = _make_child(raw)
    assert child["parent"] == parent.pk
    assert ApiKey.objects.get(pk=child["id"]).expires_at == parent.expires_at

    far = (timezone.now() + timedelta(days=300)).isoformat()
    refused = bearer(raw).post(
        "/api/keys/", {"name": "long", "scopes": ["read"], "expires_at": far}, format="json"
    )
    assert refused.status_code == 400
    assert "expires_at" in refused.json()["errors"]
    assert ApiKey.objects.count() == 2


def test_revoking_a_key_revokes_the_keys_it_made_transitively(user) -> None:
    root, root_raw = create_api_key(user=user, name="root", scopes=["read"])
    child = _make_child(root_raw)
    grandchild = _make_child(child["key"])
    unrelated, unrelated_raw = create_api_key(user=user, name="other", scopes=["read"])

    revoke_api_key(key=root, actor=user)

    assert check_api_key(root_raw) is None
    assert check_api_key(child["key"]) is None
    assert check_api_key(grandchild["key"]) is None
    assert bearer(grandchild["key"]).get("/api/keys/").status_code == 401
    assert check_api_key(unrelated_raw) == unrelated
    revoked = AuditEntry.objects.filter(action="apikey.revoked")
    assert sorted(int(e.object_id) for e in revoked) == sorted(
        [root.pk, child["id"], grandchild["id"]]
    )


def test_the_audit_records_which_key_made_a_key(user) -> None:
    parent, raw = create_api_key(user=user, name="parent", scopes=["read"])
    child = _make_child(raw)
    entry = AuditEntry.objects.get(action="apikey.created", object_id=str(child["id"]))
    assert entry.after["parent_key_id"] == parent.pk
    assert entry.after["parent_key_prefix"] == parent.prefix
    root_entry = AuditEntry.objects.get(action="apikey.created", object_id=str(parent.pk))
    assert root_entry.after["parent_key_id"] is None


def test_a_revoked_key_cannot_be_a_parent(user) -> None:
    parent, _ = create_api_key(user=user, name="parent", scopes=["read"])
    revoke_api_key(key=parent, actor=user)
    with pytest.raises(ValidationFailed):
        create_api_key(user=user, name="child", scopes=["read"], parent=parent)
