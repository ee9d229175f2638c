"""governance.net: the one client address, believing X-Forwarded-For only from proxies."""

import pytest
from django.test import RequestFactory, override_settings

from governance.net import client_address

PROXIES = ["10.0.0.0/8", "::1"]


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@override_settings(HUBGATE_TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address(_request("198.51.100.7", "1.2.3.4")) == "198.51.100.7"


@override_settings(HUBGATE_TRUSTED_PROXIES=PROXIES)
@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # A trusted proxy names the client.
        ("10.0.0.2", "203.0.113.9", "203.0.113.9"),
        # What the client wrote left of it is ignored; chained trusted proxies are skipped.
        ("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"),
        # An untrusted peer's header is never believed.
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
        # Garbage from the client stops the walk at the last address a proxy vouched for.
        ("10.0.0.2", "<script>, 203.0.113.9", "203.0.113.9"),
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
        ("::1", "[2001:db8::5]:443", "2001:db8::5"),
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(remote, forwarded, client) -> None:
    assert client_address(_request(remote, forwarded)) == client


@override_settings(HUBGATE_TRUSTED_PROXIES=PROXIES)
def test_the_request_middleware_sets_the_client_address() -> None:
    from django.http import HttpResponse

    from governance.audit.middleware import RequestIdMiddleware

    seen = {}

    def view(request):
        seen["client"] = request.client_address
        return HttpResponse()

    RequestIdMiddleware(view)(_request("10.0.0.2", "6.6.6.6, 203.0.113.9"))
    assert seen["client"] == "203.0.113.9"
