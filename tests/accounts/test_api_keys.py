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
    key, raw = create_api_key(user=user, name="short", scopes=["read"],
                              expires_at=timezone.now() + timedelta(minutes=1))  # fmt: skip
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
        create_api_key(user=user, name="forever", scopes=["read"],
                       expires_at=timezone.now() + timedelta(days=5000))  # fmt: skip
