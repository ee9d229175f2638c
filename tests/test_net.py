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


# --- Outbound ----------------------------------------------------------------------------


INTERNAL = [
    *("10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "100.64.0.1"),
    *("169.254.169.254", "100.100.100.200", "fd00:ec2::254"),
    *("0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255"),  # noqa: S104
    *("::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1"),
]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_and_special_addresses_are_not_public(address) -> None:
    import ipaddress

    from governance.net import is_public_address

    assert not is_public_address(ipaddress.ip_address(address))


def test_public_addresses_are_public() -> None:
    import ipaddress

    from governance.net import is_public_address

    for address in ("93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"):
        assert is_public_address(ipaddress.ip_address(address)), address


@override_settings(HUBGATE_OUTBOUND_ALLOW=[])
@pytest.mark.parametrize("host", ["localhost", "2130706433", "0x7f000001", "127.1", "[::1]"])
def test_names_and_spellings_of_internal_addresses_are_refused(host) -> None:
    from governance.net import OutboundRefused, vet_destination

    with pytest.raises(OutboundRefused):
        vet_destination(host, 80)


@override_settings(HUBGATE_OUTBOUND_ALLOW=["10.0.0.0/8", "mirror.corp.example"])
def test_the_allow_list_opens_networks_and_host_names() -> None:
    from governance.net import OutboundRefused, vet_destination

    assert vet_destination("10.2.3.4", 443) == "10.2.3.4"
    assert vet_destination("mirror.corp.example", 443) == "mirror.corp.example"
    with pytest.raises(OutboundRefused):
        vet_destination("127.0.0.1", 443)
