"""REST, CivitAI-compatible and portal downloads are one service: the same answer and record."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from governance.catalog.models import ModelVersion
from governance.compat.ids import LOCAL_ID_BASE
from governance.lifecycle import services as lifecycle
from governance.usage.models import UsageEvent
from tests.accounts.factories import MembershipFactory, TeamFactory
from tests.compat.catalog import DATA

pytestmark = pytest.mark.django_db

SAME = (
    "Content-Disposition",
    "ETag",
    "Accept-Ranges",
    "Content-Length",
    "Deprecation",
    "Warning",
    "X-Hubgate-Warning",
    "Sunset",
)


def _compat(version: ModelVersion) -> str:
    return f"/api/download/models/{LOCAL_ID_BASE + version.pk}"


def _rest(version: ModelVersion) -> str:
    return f"/api/files/{version.files.get().pk}/download/"


def _download(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert b"".join(response.streaming_content) == DATA
    return response


def test_rest_and_compat_downloads_credit_the_approved_team_and_send_the_same_headers(
    catalog, stored
) -> None:
    # The member's first team is not the one approved for the version: the download counts
    # for the approved team (the REST copy used to leave it to the first team).
    member = catalog.member
    earlier = TeamFactory(slug="earlier")
    MembershipFactory(team=earlier, user=member)
    member.memberships.filter(team=earlier).update(joined_at=datetime(2000, 1, 1, tzinfo=UTC))
    sunset = datetime(2099, 1, 1, tzinfo=UTC)
    lifecycle.deprecate_version(
        version=stored, actor=catalog.staff, reason="use v2", sunset_at=sunset
    )
    client = Client()
    client.force_login(member)
    rest = _download(client, _rest(stored))
    compat = _download(client, _compat(stored))
    for header in SAME:
        assert rest.get(header) == compat.get(header), header
    assert rest["Deprecation"] == "true" and "use v2" in rest["Warning"]
    assert rest["Sunset"] == "Thu, 01 Jan 2099 00:00:00 GMT"
    events = list(UsageEvent.objects.order_by("pk"))
    assert [(e.kind, e.team, e.user) for e in events] == [
        ("download", catalog.team, member),
        ("download", catalog.team, member),
    ]
    assert [e.client for e in events] == ["api", "civitai-api"]
    assert events[0].metadata.keys() == events[1].metadata.keys()


def test_a_newline_in_a_deprecation_reason_does_not_break_the_download(catalog, stored) -> None:
    reason = 'old\r\nSet-Cookie: x=1\n"quoted" ünïcode'
    lifecycle.deprecate_version(version=stored, actor=catalog.staff, reason=reason)
    client = Client()
    client.force_login(catalog.member)
    for url in (_rest(stored), _compat(stored)):
        response = _download(client, url)
        for header in ("Warning", "X-Hubgate-Warning"):
            assert "\r" not in response[header] and "\n" not in response[header]
        assert "Set-Cookie" not in response.headers or "x=1" not in response["Set-Cookie"]
        assert response["Warning"].startswith('299 hubgate "')
        assert '\\"quoted\\"' in response["Warning"]


def test_resumed_downloads_are_counted_once_on_both_routes(catalog, stored) -> None:
    client = Client()
    client.force_login(catalog.member)
    for url in (_rest(stored), _compat(stored)):
        b"".join(client.get(url, HTTP_RANGE="bytes=0-9").streaming_content)
        b"".join(client.get(url, HTTP_RANGE="bytes=10-").streaming_content)
    assert UsageEvent.objects.filter(kind="download").count() == 2


def test_a_team_not_approved_is_refused_alike_on_both_routes(catalog, stored) -> None:
    client = Client()
    client.force_login(catalog.outsider)
    rest, compat = client.get(_rest(stored)), client.get(_compat(stored))
    assert rest.status_code == compat.status_code == 403
    assert rest.json()["detail"] == compat.json()["error"]
    assert not UsageEvent.objects.exists()
