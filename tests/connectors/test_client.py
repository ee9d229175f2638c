"""The CivitAI client against a real (fake) hub on 127.0.0.1 that misbehaves on demand."""

import logging

import pytest

from governance.connectors.client import CivitaiClient, RetryPolicy
from governance.connectors.errors import (
    HubLoginRequired,
    HubNotFound,
    HubPaginationLoop,
    HubRateLimited,
    HubUnavailable,
)
from governance.errors import InvalidHubPayload
from tests.connectors.hub import CLAYMATION, HUB_KEY, LOGIN_VERSION, MERIDIAN


def test_the_api_key_goes_only_in_the_bearer_header(fake_hub, hub_client) -> None:
    hub_client.model(CLAYMATION)
    seen = fake_hub.requests[-1]
    assert seen.authorization == f"Bearer {HUB_KEY}"
    assert all(HUB_KEY not in str(r.query) for r in fake_hub.requests)
    assert HUB_KEY not in repr(hub_client)


def test_5xx_answers_are_retried_with_backoff_and_jitter(fake_hub, hub_client, sleeps) -> None:
    fake_hub.faults.server_errors = 2
    assert hub_client.model(CLAYMATION)["id"] == CLAYMATION
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0  # full jitter under 0.5 * 2**n


def test_a_hub_that_stays_down_is_a_clear_error(fake_hub, hub_client) -> None:
    fake_hub.faults.server_errors = 10
    with pytest.raises(HubUnavailable, match="after 3 attempts"):
        hub_client.model(CLAYMATION)


def test_429_waits_for_retry_after(fake_hub, hub_client, sleeps) -> None:
    fake_hub.faults.rate_limits, fake_hub.faults.retry_after = 1, "7"
    assert hub_client.model(CLAYMATION)["id"] == CLAYMATION
    assert sleeps == [7.0]


def test_a_long_retry_after_is_raised_for_a_later_retry(fake_hub, hub_client, sleeps) -> None:
    fake_hub.faults.rate_limits, fake_hub.faults.retry_after = 1, "3600"
    with pytest.raises(HubRateLimited) as caught:
        hub_client.model(CLAYMATION)
    assert caught.value.retry_after == 3600
    assert sleeps == []


def test_slow_answers_time_out_and_are_retried(fake_hub, sleeps) -> None:
    fake_hub.faults.delay = 0.6
    client = CivitaiClient(
        base_url=fake_hub.url, timeout=0.2, retry=RetryPolicy(attempts=2), sleep=sleeps
    )
    with client, pytest.raises(HubUnavailable, match="ReadTimeout"):
        client.model(CLAYMATION)
    assert len(sleeps) == 1


def test_malformed_json_is_an_invalid_payload(fake_hub, hub_client) -> None:
    fake_hub.faults.bad_json = 1
    with pytest.raises(InvalidHubPayload, match="malformed JSON"):
        hub_client.model(CLAYMATION)


def test_an_unknown_model_is_not_found_with_the_hubs_message(hub_client) -> None:
    with pytest.raises(HubNotFound, match="No model with id 1"):
        hub_client.model(1)


def test_cursor_pagination_walks_every_model_once(fake_hub, hub_client) -> None:
    pages = list(hub_client.models(limit=10))
    ids = [m["id"] for page in pages for m in page]
    assert len(pages) == 7
    assert len(ids) == len(set(ids)) == len(fake_hub.models()) - 1  # one is taken down
    assert [r.query.get("cursor") for r in fake_hub.requests][:3] == [None, ["10"], ["20"]]


def test_page_pagination_follows_next_page_on_our_own_origin(fake_hub, hub_client) -> None:
    pages = list(hub_client.tags(limit=25))
    assert sum(len(p) for p in pages) == len({t for m in fake_hub.models() for t in m["tags"]})
    assert all(r.host.startswith("127.0.0.1") for r in fake_hub.requests)


@pytest.mark.parametrize("fault", ["pagination_loop", "endless_pages"])
def test_endless_or_looping_pagination_stops_with_an_error(fake_hub, hub_client, fault) -> None:
    setattr(fake_hub.faults, fault, True)
    with pytest.raises(HubPaginationLoop):
        for _page in hub_client.models(limit=10):
            pass
    assert len(fake_hub.requests) <= 3


def test_a_page_limit_stops_a_listing_that_never_ends(fake_hub) -> None:
    client = CivitaiClient(base_url=fake_hub.url, max_pages=2)
    with client, pytest.raises(HubPaginationLoop, match="more than 2 pages"):
        list(client.models(limit=10))


def _download(client: CivitaiClient, fake_hub, version_id: int, **kwargs) -> bytes:
    return b"".join(client.stream_download(f"/api/download/models/{version_id}", **kwargs))


def test_a_download_follows_the_redirect_without_our_key(fake_hub, hub_client) -> None:
    doc = fake_hub.model(MERIDIAN)
    version, file = doc["modelVersions"][0], doc["modelVersions"][0]["files"][0]
    data = _download(hub_client, fake_hub, version["id"])
    assert data == fake_hub.file_bytes(file["id"])
    storage = [r for r in fake_hub.requests if r.path.startswith("/files/")]
    assert storage and storage[-1].host.startswith("localhost")
    assert storage[-1].authorization is None  # httpx dropped it when the origin changed


def test_a_cut_download_resumes_with_range(fake_hub, hub_client) -> None:
    doc = fake_hub.model(MERIDIAN)
    version, file = doc["modelVersions"][0], doc["modelVersions"][0]["files"][0]
    expected = fake_hub.file_bytes(file["id"])
    fake_hub.faults.truncate_downloads, fake_hub.faults.truncate_at = 2, 20_000
    data = _download(
        hub_client, fake_hub, version["id"], expected_size=len(expected), chunk_size=8192
    )
    assert data == expected
    ranges = [r.range for r in fake_hub.requests if r.path.startswith("/files/")]
    assert ranges == [None, "bytes=20000-", "bytes=40000-"]


def test_a_storage_that_ignores_range_still_yields_each_byte_once(fake_hub, hub_client) -> None:
    doc = fake_hub.model(MERIDIAN)
    version, file = doc["modelVersions"][0], doc["modelVersions"][0]["files"][0]
    fake_hub.faults.truncate_downloads, fake_hub.faults.ignore_range = 1, True
    assert _download(hub_client, fake_hub, version["id"]) == fake_hub.file_bytes(file["id"])


def test_login_required_without_a_key_says_how_to_fix_it(fake_hub) -> None:
    anonymous = CivitaiClient(base_url=fake_hub.url)
    with anonymous, pytest.raises(HubLoginRequired, match="HUBGATE_CIVITAI_API_KEY"):
        _download(anonymous, fake_hub, LOGIN_VERSION)


def test_login_required_with_the_key_downloads(fake_hub, hub_client) -> None:
    assert _download(hub_client, fake_hub, LOGIN_VERSION)


def test_a_refused_key_is_named_as_such(fake_hub) -> None:
    client = CivitaiClient(base_url=fake_hub.url, api_key="wrong-key")
    with client, pytest.raises(HubLoginRequired, match="refused our API key"):
        _download(client, fake_hub, LOGIN_VERSION)


def test_the_key_never_reaches_the_log(fake_hub, hub_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fake_hub.faults.server_errors = 1
    hub_client.model(CLAYMATION)
    list(hub_client.models(limit=50))
    _download(hub_client, fake_hub, LOGIN_VERSION)
    with pytest.raises(HubNotFound):
        hub_client.model(1)
    assert caplog.records
    assert HUB_KEY not in caplog.text


def test_downloads_follow_only_http_redirects() -> None:
    import httpx

    with CivitaiClient(base_url="https://civitai.com") as client:
        assert client._may_follow(httpx.URL("https://b2.civitai.com/file?sig=1"))
        assert not client._may_follow(httpx.URL("file:///etc/passwd"))


@pytest.mark.parametrize(
    "storage_host",
    # 127.0.0.2 spelled as decimal, hex and octal, a plain loopback and the metadata service.
    ["2130706434", "0x7f000002", "017700000002", "127.0.0.2", "169.254.169.254"],
)
def test_a_download_redirect_into_the_network_is_refused_after_dns(
    fake_hub, hub_client, settings, storage_host
) -> None:
    from governance.connectors.errors import HubError

    settings.HUBGATE_OUTBOUND_ALLOW = ["127.0.0.1/32"]  # the hub itself, nothing else
    fake_hub.storage_host = storage_host
    version = fake_hub.model(MERIDIAN)["modelVersions"][0]
    with pytest.raises(HubError, match="internal or reserved address"):
        _download(hub_client, fake_hub, version["id"])
    assert not [r for r in fake_hub.requests if r.path.startswith("/files/")]


def test_a_hub_on_an_internal_address_is_refused_unless_allow_listed(
    fake_hub, hub_client, settings
) -> None:
    from governance.connectors.errors import HubError

    settings.HUBGATE_OUTBOUND_ALLOW = []
    with pytest.raises(HubError, match="internal or reserved address"):
        hub_client.model(CLAYMATION)
    assert not hub_client.health().ok
    assert fake_hub.requests == []
    settings.HUBGATE_OUTBOUND_ALLOW = ["localhost", "127.0.0.1"]
    assert hub_client.model(CLAYMATION)["id"] == CLAYMATION


def test_a_body_larger_than_allowed_is_cut_off(fake_hub, hub_client) -> None:
    from governance.connectors.errors import HubError

    version = fake_hub.model(MERIDIAN)["modelVersions"][0]
    with pytest.raises(HubError, match="more than the 1000 bytes"):
        _download(hub_client, fake_hub, version["id"], max_size=1000, chunk_size=512)
