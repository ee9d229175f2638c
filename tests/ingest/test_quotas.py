"""Upload quotas: bytes in flight and bytes stored, per user and per team, refused whole."""

import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from governance.errors import QuotaExceeded
from governance.ingest import services, storage
from governance.ingest.models import UploadSession
from tests.accounts.factories import MembershipFactory

pytestmark = pytest.mark.django_db

UNLIMITED = 0


@pytest.fixture
def quotas(settings):
    """All quotas off; a test sets the one it is about."""
    settings.HUBGATE_UPLOAD_QUOTA_USER_INFLIGHT = UNLIMITED
    settings.HUBGATE_UPLOAD_QUOTA_USER_STORED = UNLIMITED
    settings.HUBGATE_UPLOAD_QUOTA_TEAM_INFLIGHT = UNLIMITED
    settings.HUBGATE_UPLOAD_QUOTA_TEAM_STORED = UNLIMITED
    return settings


def upload(user, data: bytes, **kwargs) -> UploadSession:
    session = services.start_upload(user=user, filename="w.bin", size=len(data), **kwargs)
    services.append_chunk(session=session, offset=0, chunks=[data])
    return services.complete_upload(session=session)


def test_sizes_in_settings_may_have_units(monkeypatch) -> None:
    from config.settings.base import _env_bytes

    for raw, size in [
        ("0", 0),
        ("1048576", 1048576),
        ("20GiB", 20 * 1024**3),
        ("500 MB", 500 * 10**6),
        ("1.5TiB", int(1.5 * 1024**4)),
        ("12b", 12),
    ]:
        monkeypatch.setenv("HUBGATE_TEST_SIZE", raw)
        assert _env_bytes("HUBGATE_TEST_SIZE", "0") == size, raw
    monkeypatch.setenv("HUBGATE_TEST_SIZE", "lots")
    with pytest.raises(ImproperlyConfigured, match="HUBGATE_TEST_SIZE"):
        _env_bytes("HUBGATE_TEST_SIZE", "0")


def test_the_defaults_limit_every_quota() -> None:
    from django.conf import settings

    assert settings.HUBGATE_UPLOAD_QUOTA_USER_INFLIGHT == 128 * 1024**3
    assert settings.HUBGATE_UPLOAD_QUOTA_USER_STORED == 1024**4
    assert settings.HUBGATE_UPLOAD_QUOTA_TEAM_INFLIGHT == 512 * 1024**3
    assert settings.HUBGATE_UPLOAD_QUOTA_TEAM_STORED == 4 * 1024**4


def test_opening_past_the_users_inflight_quota_is_refused_and_creates_nothing(user, quotas) -> None:
    quotas.HUBGATE_UPLOAD_QUOTA_USER_INFLIGHT = 100
    services.start_upload(user=user, filename="a.bin", size=60)
    with pytest.raises(QuotaExceeded) as caught:
        services.start_upload(user=user, filename="b.bin", size=50)
    assert caught.value.status == 413
    assert caught.value.extensions == {
        "quota": "user_inflight",
        "used": 60,
        "requested": 50,
        "limit": 100,
    }
    assert "user_inflight" in caught.value.detail
    assert UploadSession.objects.count() == 1
    assert len([p for p in storage.spool_dir().iterdir() if p.name.startswith("session-")]) == 1


def test_finished_aborted_and_expired_uploads_are_not_in_flight(user, quotas) -> None:
    quotas.HUBGATE_UPLOAD_QUOTA_USER_INFLIGHT = 100
    upload(user, os.urandom(60))
    services.abort_upload(session=services.start_upload(user=user, filename="a", size=60))
    expired = services.start_upload(user=user, filename="e", size=60)
    UploadSession.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    assert services.start_upload(user=user, filename="b.bin", size=100).size == 100


def test_opening_past_the_users_stored_quota_is_refused(user, quotas) -> None:
    quotas.HUBGATE_UPLOAD_QUOTA_USER_STORED = 100
    upload(user, os.urandom(60))
    with pytest.raises(QuotaExceeded) as caught:
        services.start_upload(user=user, filename="b.bin", size=50)
    assert caught.value.extensions["quota"] == "user_stored"
    assert caught.value.extensions["used"] == 60


def test_the_same_bytes_uploaded_twice_are_stored_once_and_counted_once(user, quotas) -> None:
    quotas.HUBGATE_UPLOAD_QUOTA_USER_STORED = 100
    data = os.urandom(40)
    upload(user, data)
    upload(user, data)
    assert services.start_upload(user=user, filename="c.bin", size=60).size == 60


def test_completing_is_refused_when_the_stored_quota_filled_meanwhile(user, quotas) -> None:
    quotas.HUBGATE_UPLOAD_QUOTA_USER_STORED = 100
    first = services.start_upload(user=user, filename="a.bin", size=60)
    second = services.start_upload(user=user, filename="b.bin", size=60)
    services.append_chunk(session=first, offset=0, chunks=[os.urandom(60)])
    services.append_chunk(session=second, offset=0, chunks=[os.urandom(60)])
    services.complete_upload(session=first)
    with pytest.raises(QuotaExceeded, match="user_stored"):
        services.complete_upload(session=second)
    second.refresh_from_db()
    # Nothing half-written: the upload stays open with its bytes, to complete once there is room.
    assert second.status == UploadSession.Status.OPEN and second.offset == 60
    assert second.blob_id is None
    assert (storage.spool_dir() / f"session-{second.pk}").stat().st_size == 60


def test_appending_is_refused_before_writing_once_the_upload_cannot_be_stored(user, quotas) -> None:
    quotas.HUBGATE_UPLOAD_QUOTA_USER_STORED = 100
    waiting = services.start_upload(user=user, filename="b.bin", size=60)
    upload(user, os.urandom(60))
    with pytest.raises(QuotaExceeded, match="user_stored"):
        services.append_chunk(session=waiting, offset=0, chunks=[b"x" * 10])
    waiting.refresh_from_db()
    assert waiting.offset == 0
    assert (storage.spool_dir() / f"session-{waiting.pk}").stat().st_size == 0


def test_a_team_quota_counts_every_members_uploads_to_its_models(user, own_version, quotas) -> None:
    quotas.HUBGATE_UPLOAD_QUOTA_TEAM_INFLIGHT = 100
    colleague = MembershipFactory(team=own_version.model.owning_team).user
    services.start_upload(user=user, filename="a.bin", size=60, version=own_version)
    with pytest.raises(QuotaExceeded) as caught:
        services.start_upload(user=colleague, filename="b.bin", size=50, version=own_version)
    assert caught.value.extensions == {
        "quota": "team_inflight",
        "used": 60,
        "requested": 50,
        "limit": 100,
    }
    # Their own uploads to no team's model are charged to them alone.
    assert services.start_upload(user=colleague, filename="c.bin", size=50).team_id is None


def test_a_team_stored_quota_counts_what_its_members_stored(user, own_version, quotas) -> None:
    quotas.HUBGATE_UPLOAD_QUOTA_TEAM_STORED = 100
    colleague = MembershipFactory(team=own_version.model.owning_team).user
    upload(user, os.urandom(60), version=own_version)
    with pytest.raises(QuotaExceeded, match="team_stored"):
        services.start_upload(user=colleague, filename="b.bin", size=50, version=own_version)


def test_zero_means_unlimited(user, quotas) -> None:
    for name in "abc":  # 180 GiB: past every default in-flight quota
        services.start_upload(user=user, filename=name, size=60 * 1024**3)
    assert UploadSession.objects.count() == 3


def test_the_api_answers_413_naming_the_quota_the_usage_and_the_limit(
    api_client, user, quotas
) -> None:
    quotas.HUBGATE_UPLOAD_QUOTA_USER_INFLIGHT = 1000
    assert api_client.post("/api/uploads/", {"filename": "a", "size": 900}).status_code == 201
    refused = api_client.post("/api/uploads/", {"filename": "b", "size": 200})
    assert refused.status_code == 413
    assert refused["Content-Type"] == "application/problem+json"
    body = refused.json()
    assert body["code"] == "quota_exceeded"
    assert (body["quota"], body["used"], body["requested"], body["limit"]) == (
        "user_inflight",
        900,
        200,
        1000,
    )
    assert UploadSession.objects.filter(created_by=user).count() == 1
