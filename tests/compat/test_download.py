"""/api/download/models/{versionId}: the stored file, with Range, for teams that may use it."""

import pytest
from django.test import Client

from governance.catalog.models import ModelVersion
from governance.compat.ids import LOCAL_ID_BASE
from governance.lifecycle import services as lifecycle
from governance.usage.models import UsageEvent
from tests.compat.catalog import DATA

pytestmark = pytest.mark.django_db


def _url(version: ModelVersion) -> str:
    return f"/api/download/models/{LOCAL_ID_BASE + version.pk}"


def test_a_team_member_downloads_and_the_use_is_recorded(catalog, stored) -> None:
    response = Client().get(_url(stored), {"token": catalog.member_key})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DATA
    assert response["Content-Disposition"] == 'attachment; filename="palette.safetensors"'
    event = UsageEvent.objects.get()
    assert (event.kind, event.user, event.team, event.client) == (
        "download",
        catalog.member,
        catalog.team,
        "civitai-api",
    )


def test_range_requests_resume_without_a_second_usage_event(catalog, stored) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {catalog.member_key}")
    head = client.get(_url(stored), HTTP_RANGE="bytes=0-9")
    assert head.status_code == 206 and b"".join(head.streaming_content) == DATA[:10]
    rest = client.get(_url(stored), HTTP_RANGE="bytes=10-")
    assert rest.status_code == 206 and b"".join(rest.streaming_content) == DATA[10:]
    assert rest["Content-Range"] == f"bytes 10-{len(DATA) - 1}/{len(DATA)}"
    assert UsageEvent.objects.count() == 1


def test_downloads_need_a_caller_even_when_reading_is_open(catalog, stored, settings) -> None:
    settings.HUBGATE_COMPAT_ANONYMOUS_READ = True
    response = Client().get(_url(stored))
    assert response.status_code == 401 and response.json() == {"error": "Unauthorized"}


def test_a_team_not_approved_gets_403(catalog, stored) -> None:
    response = Client().get(_url(stored), {"token": catalog.outsider_key})
    assert response.status_code == 403
    assert "request it for your team" in response.json()["error"]
    assert not UsageEvent.objects.exists()


def test_a_retired_version_is_gone(catalog, stored) -> None:
    lifecycle.retire_version(version=stored)
    response = Client().get(_url(stored), {"token": catalog.member_key})
    assert response.status_code == 410 and "retired" in response.json()["error"]


def test_a_deprecated_version_downloads_with_a_warning(catalog, stored) -> None:
    lifecycle.deprecate_version(version=stored, actor=catalog.staff, reason="use v2")
    response = Client().get(_url(stored), {"token": catalog.member_key})
    assert response.status_code == 200
    assert response["Deprecation"] == "true" and "use v2" in response["X-Hubgate-Warning"]


def test_a_hub_version_whose_files_are_not_stored_says_so(catalog) -> None:
    version = catalog.version(catalog.approved[0])
    response = Client().get(
        f"/api/download/models/{version.external_id}", {"token": catalog.member_key}
    )
    assert response.status_code == 404
    assert "has not been stored in Hubgate yet" in response.json()["error"]


def test_unknown_and_invisible_versions_are_not_found(catalog, stored) -> None:
    assert Client().get("/api/download/models/1", {"token": catalog.member_key}).json() == {
        "error": "Model not found"
    }
    assert Client().get("/api/download/models/x", {"token": catalog.member_key}).status_code == 400


def test_type_and_format_pick_the_file(catalog, stored) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {catalog.member_key}")
    assert client.get(_url(stored), {"type": "Model", "format": "GGUF"}).json() == {
        "error": "Model file not found"
    }


def test_a_version_read_by_a_known_caller_is_usage(catalog, stored, settings) -> None:
    settings.HUBGATE_COMPAT_ANONYMOUS_READ = True
    client = Client(HTTP_AUTHORIZATION=f"Bearer {catalog.member_key}")
    by_id = client.get(f"/api/v1/model-versions/{LOCAL_ID_BASE + stored.pk}")
    assert by_id.status_code == 200, by_id.content
    by_hash = client.get(f"/api/v1/model-versions/by-hash/{stored.files.get().sha256}")
    assert by_hash.status_code == 200 and by_hash.json()["id"] == by_id.json()["id"]
    # Anonymous reads of the open catalog have nobody to attribute; a 404 read nothing.
    assert Client().get(f"/api/v1/model-versions/{LOCAL_ID_BASE + stored.pk}").status_code == 200
    assert (
        client.get(f"/api/v1/model-versions/{LOCAL_ID_BASE + stored.pk + 999}").status_code == 404
    )
    events = UsageEvent.objects.order_by("pk")
    assert [(e.kind, e.version_id, e.user, e.client) for e in events] == [
        ("api_read", stored.pk, catalog.member, "civitai-api"),
        ("api_read", stored.pk, catalog.member, "civitai-api"),
    ]
