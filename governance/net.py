"""Network trust: which peer addresses Hubgate believes and which it may connect to.

Inbound: :func:`client_address` is the one computation of a request's client address
(rate limits, the request middleware, allauth's sign-in limits and sessions). It honours
``X-Forwarded-For`` only as far as the hops that wrote it are trusted proxies
(``HUBGATE_TRUSTED_PROXIES``): anyone else can put anything in that header.

Outbound: :func:`outbound_client` and :func:`async_outbound_client` give httpx clients that
refuse internal destinations (see the section below).

URLs from users: :func:`validate_http_url` (serializers and model fields) keeps every
stored link http(s), so none can run a script where it is rendered.

Bottom layer: Django, httpx and the standard library only, so every app may import it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
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


# --- Outbound: where Hubgate may connect -------------------------------------------------
#
# Every connection Hubgate opens to an address it was given (the hub and the storage its
# downloads redirect to, webhook receivers) goes through a transport from
# :func:`outbound_client` / :func:`async_outbound_client`. It resolves the host itself,
# refuses the connection if any resolved address is not a public unicast one, and connects
# to the vetted address (no second lookup an attacker's DNS could answer differently). It
# runs for each new connection, so each redirect hop is checked after DNS too; decimal, hex
# and octal IPv4 literals and internal names are caught because the resolved address is
# what is judged. ``HUBGATE_OUTBOUND_ALLOW`` (host names and CIDRs) opens exceptions, such
# as a hub mirror inside the network or the local fake hub in tests.

#: Cloud instance-metadata endpoints, named so a reader sees they are covered (each is
#: also link-local or private, which is refused anyway).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)


class OutboundRefused(Exception):
    """A connection to a destination Hubgate must not reach (internal, metadata, …)."""


def _allow_list() -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    names, cidrs = set(), []
    for entry in settings.HUBGATE_OUTBOUND_ALLOW:
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            names.add(entry.rstrip("."))
        else:
            cidrs.append(entry.strip("[]"))
    return frozenset(names), parse_networks(cidrs)


def is_public_address(address: IPAddress) -> bool:
    """A global unicast address: not private, loopback, link-local, multicast, reserved,
    unspecified, shared (CGNAT) or a cloud metadata endpoint."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and address not in METADATA_ADDRESSES
    )


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        # Like any failed connection (and retried like one): DNS may be down for a moment.
        raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = parse_address(str(info[4][0]).partition("%")[0])
        if address is not None and address not in addresses:
            addresses.append(address)
    return addresses


def vet_destination(host: str, port: int) -> str:
    """The address to connect to for ``host``, or :class:`OutboundRefused`.

    An allow-listed host name is connected to as it is; otherwise every address the name
    resolves to must be public or in an allow-listed network (one internal answer among
    public ones is refused too: which one the connection would use is not ours to pick).
    """
    name = host.strip("[]").lower().rstrip(".")
    names, networks = _allow_list()
    if name in names:
        return host
    addresses = _resolve(name, port)
    if not addresses:
        raise OutboundRefused(f"{host!r} resolves to no address")
    for address in addresses:
        if not (is_public_address(address) or _within(address, networks)):
            raise OutboundRefused(
                f"{host!r} resolves to {address}, an internal or reserved address: refused "
                "(HUBGATE_OUTBOUND_ALLOW lists the exceptions)"
            )
    return str(addresses[0])


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, connecting only to vetted addresses."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.NetworkStream:
        return self._inner.connect_tcp(
            vet_destination(host, port),
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    def connect_unix_socket(self, path: str, timeout=None, socket_options=None):
        raise OutboundRefused("connections to Unix sockets are refused")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """The asyncio twin of :class:`_GuardedBackend` (DNS in a thread)."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await asyncio.to_thread(vet_destination, host, port)
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, path: str, timeout=None, socket_options=None):
        raise OutboundRefused("connections to Unix sockets are refused")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class OutboundTransport(httpx.HTTPTransport):
    """httpx's transport with every new connection vetted (see the section comment)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # httpx builds its httpcore pool without a backend argument; wrap the one it made.
        self._pool._network_backend = _GuardedBackend(self._pool._network_backend)


class AsyncOutboundTransport(httpx.AsyncHTTPTransport):
    """The asyncio twin of :class:`OutboundTransport`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pool._network_backend = _AsyncGuardedBackend(self._pool._network_backend)


def outbound_client(**kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` whose every connection (redirects included) is vetted.

    Proxies from the environment are not used: a proxy would make the connection on our
    behalf, out of reach of the check.
    """
    return httpx.Client(transport=OutboundTransport(), trust_env=False, **kwargs)


def async_outbound_client(**kwargs: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose every connection is vetted."""
    return httpx.AsyncClient(transport=AsyncOutboundTransport(), trust_env=False, **kwargs)


# --- URLs taken from users ----------------------------------------------------------------


def is_http_url(value: object) -> bool:
    """Whether ``value`` is an absolute ``http``/``https`` URL with a host and no whitespace
    or control characters (which browsers strip, turning ``java\\tscript:`` into a script)."""
    if not isinstance(value, str) or not value:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def validate_http_url(value: str) -> None:
    """Django/DRF validator: URLs stored from users (and hubs) are http(s) only, so a link
    rendered from one can never be ``javascript:`` or ``data:``. Blank is the field's call."""
    if value and not is_http_url(value):
        raise ValidationError(
            "Enter an absolute http:// or https:// URL.", code="invalid_url", params={}
        )


def validate_url_values(data: object) -> None:
    """Validator for JSON metadata: every ``*_url`` / ``url`` string value is http(s)."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(key, str) and (key == "url" or key.endswith("_url")) and value:
            try:
                validate_http_url(value if isinstance(value, str) else repr(value))
            except ValidationError:
                raise ValidationError(
                    "%(key)s must be an absolute http:// or https:// URL.",
                    code="invalid_url",
                    params={"key": key},
                ) from None
