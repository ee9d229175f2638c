"""Resumable uploads and downloads over HTTP."""

import hashlib
import os

import pytest

from governance.ingest.models import UploadSession
from tests.catalog.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db
CHUNK = "application/offset+octet-stream"


def test_resumable_upload_over_the_api(
    api_client, own_version, django_capture_on_commit_callbacks
) -> None:
    data = os.urandom(700_000)
    version = own_version
    created = api_client.post(
        "/api/uploads/",
        {
            "filename": "detail.safetensors",
            "size": len(data),
            "version": version.pk,
            "expected_hashes": {"SHA256": hashlib.sha256(data).hexdigest()},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"/api/uploads/{created.json()['id']}/"
    first = api_client.patch(url, data[:400_000], content_type=CHUNK, HTTP_UPLOAD_OFFSET="0")
    assert first.status_code == 204 and first["Upload-Offset"] == "400000"
    # The client lost the answer and retries the same chunk: told where to resume.
    retry = api_client.patch(url, data[:400_000], content_type=CHUNK, HTTP_UPLOAD_OFFSET="0")
    assert retry.status_code == 409 and "400000" in retry.json()["detail"]
    assert api_client.head(url)["Upload-Offset"] == "400000"
    api_client.patch(url, data[400_000:], content_type=CHUNK, HTTP_UPLOAD_OFFSET="400000")
    with django_capture_on_commit_callbacks(execute=True):
        done = api_client.post(url + "complete/")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "complete" and body["blob"]["size"] == len(data)
    file = version.files.get()
    listing = api_client.get(f"/api/files/{file.pk}/").json()
    assert listing["stored"] is True and listing["scan_verdict"] == "flagged"


def test_upload_errors_are_problem_documents(api_client) -> None:
    bad = api_client.post("/api/uploads/", {"filename": "x", "size": 0}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    session = api_client.post("/api/uploads/", {"filename": "x", "size": 3}, format="json").json()
    url = f"/api/uploads/{session['id']}/"
    missing = api_client.patch(url, b"abc", content_type=CHUNK)
    assert missing.status_code == 400 and "Upload-Offset" in missing.json()["errors"]
    early = api_client.post(url + "complete/")
    assert early.status_code == 409 and early.json()["code"] == "conflict"


def test_another_users_upload_is_not_found(api_client, django_user_model) -> None:
    other = django_user_model.objects.create_user("mallory", password="x")
    session = UploadSession.objects.create(
        created_by=other, filename="a", size=1, expires_at="2099-01-01T00:00:00Z"
    )
    assert api_client.get(f"/api/uploads/{session.pk}/").status_code == 404


def _stored_file(api_client, user, version, data: bytes, capture):
    """A file stored in an approved version (arranged directly: the flow is tested elsewhere),
    downloaded by an administrator."""
    user.is_staff = True
    user.save()
    session = api_client.post(
        "/api/uploads/",
        {"filename": "w.bin", "size": len(data), "version": version.pk},
        format="json",
    ).json()
    url = f"/api/uploads/{session['id']}/"
    api_client.patch(url, data, content_type=CHUNK, HTTP_UPLOAD_OFFSET="0")
    with capture(execute=True):
        api_client.post(url + "complete/")
    type(version).objects.filter(pk=version.pk).update(state="approved")
    return version.files.get()


def test_download_streams_the_bytes_with_ranges(
    api_client, user, own_version, django_capture_on_commit_callbacks
) -> None:
    data = os.urandom(10_000)
    file = _stored_file(api_client, user, own_version, data, django_capture_on_commit_callbacks)
    full = api_client.get(f"/api/files/{file.pk}/download/")
    assert full.status_code == 200 and b"".join(full.streaming_content) == data
    assert full["Accept-Ranges"] == "bytes" and 'filename="w.bin"' in full["Content-Disposition"]
    part = api_client.get(f"/api/files/{file.pk}/download/", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == "bytes 100-199/10000"
    assert b"".join(part.streaming_content) == data[100:200]
    tail = api_client.get(f"/api/files/{file.pk}/download/", HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]
    beyond = api_client.get(f"/api/files/{file.pk}/download/", HTTP_RANGE="bytes=20000-")
    assert beyond.status_code == 416


def test_quarantined_and_unstored_files_are_never_downloaded(
    api_client, user, own_version, plugin, django_capture_on_commit_callbacks
) -> None:
    from governance.hookspecs import Finding, hookimpl

    class Critical:
        @hookimpl
        def hubgate_scan_file(self, file):
            return [Finding(code="t.rce", severity="critical", message="runs code")]

    plugin(Critical(), name="critical")
    file = _stored_file(
        api_client, user, own_version, os.urandom(100), django_capture_on_commit_callbacks
    )
    refused = api_client.get(f"/api/files/{file.pk}/download/")
    assert refused.status_code == 403 and "quarantined" in refused.json()["detail"]
    hub_only = ModelVersionFactory(state="approved").files.create(name="x", sha256="A" * 64)
    refused = api_client.get(f"/api/files/{hub_only.pk}/download/")
    assert refused.status_code == 403 and "not been ingested" in refused.json()["detail"]


def test_uploading_to_another_teams_version_is_forbidden(api_client) -> None:
    response = api_client.post(
        "/api/uploads/",
        {"filename": "x.bin", "size": 5, "version": ModelVersionFactory().pk},
        format="json",
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_a_download_is_a_usage_event(
    api_client, user, own_version, django_capture_on_commit_callbacks
):
    from governance.usage.models import UsageEvent

    data = os.urandom(64)
    file = _stored_file(api_client, user, own_version, data, django_capture_on_commit_callbacks)
    response = api_client.get(f"/api/files/{file.pk}/download/", HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert not UsageEvent.objects.exists()  # written when the response is closed, not before
    # Like a real client: read every byte; the test client then closes the response, as a
    # WSGI server does (closing it again here would also close the test's DB connection).
    assert b"".join(response.streaming_content) == data[:10]
    event = UsageEvent.objects.get()
    assert (event.kind, event.file_id, event.user_id, event.client) == (
        "download",
        file.pk,
        user.pk,
        "api",
    )
    assert event.metadata == {"file": "w.bin", "range": "bytes=0-9", "user_agent": ""}
