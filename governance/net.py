"""Network trust: which peer addresses Hubgate believes and which it may connect to.

Inbound: :func:`client_address` is the one computation of a request's client address
(rate limits, the request middleware, allauth's sign-in limits and sessions). It honours
``X-Forwarded-For`` only as far as the hops that wrote it are trusted proxies
(``HUBGATE_TRUSTED_PROXIES``): anyone else can put anything in that header.

Bottom layer: Django and the standard library only, so every app may import it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr)


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``cidrs`` (addresses or CIDRs, e.g. ``10.0.0.0/8``, ``::1``) as networks."""
    return _networks(tuple(cidrs))


def parse_address(value: str | None) -> IPAddress | None:
    """An address from a header or ``REMOTE_ADDR`` (``1.2.3.4:56``, ``[::1]:56`` allowed)."""
    value = (value or "").strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 peer seen through an IPv6 socket (::ffff:10.0.0.1) is that IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _within(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request``.

    ``REMOTE_ADDR``, unless it is a trusted proxy (``HUBGATE_TRUSTED_PROXIES``): then the
    ``X-Forwarded-For`` hops are read from the right (each proxy appends the peer it saw),
    skipping trusted proxies, and the first other address is the client. What lies left of
    it was written by the client and is ignored. "" when there is no usable address.
    """
    remote = parse_address(request.META.get("REMOTE_ADDR"))
    if remote is None:
        return ""
    trusted = parse_networks(settings.HUBGATE_TRUSTED_PROXIES)
    if not trusted or not _within(remote, trusted):
        return str(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    client = remote
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        address = parse_address(hop)
        if address is None:
            # A trusted proxy would not write garbage: the client did; stop at what we know.
            break
        client = address
        if not _within(address, trusted):
            break
    return str(client)
