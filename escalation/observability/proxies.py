"""The client's address: the one place that decides it, for the audit trail, the sign-in lockout and request ids.

Behind a reverse proxy every request comes from the proxy, and the client's address is in X-Forwarded-For. That
header is whatever the sender wrote, so it is believed only when the request came from a proxy listed in
TRUSTED_PROXIES (networks such as 10.0.0.0/8), and only as far back as the chain stays inside those proxies:
the address read is the last one in the header that is not itself a trusted proxy.
"""

import functools
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def trusted_networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    """The TRUSTED_PROXIES entries as networks; a bad entry is a ValueError naming it."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES: {cidr!r} is not an address or network") from exc
    return tuple(networks)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket ("::ffff:192.0.2.1") is the IPv4 client.
    mapped = getattr(parsed, "ipv4_mapped", None)
    return mapped or parsed


def _is_trusted(address, networks: Iterable[Network]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request's immediate peer is one of the TRUSTED_PROXIES."""
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    networks = trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    return peer is not None and _is_trusted(peer, networks)


def client_address(request: HttpRequest) -> str | None:
    """The address of whoever sent the request, read through trusted proxies only."""
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return None
    networks = trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not _is_trusted(peer, networks):
        return str(peer)
    client = peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([part for part in forwarded.split(",") if part.strip()]):
        hop = _parse(entry)
        if hop is None:
            break  # a malformed entry: nothing before it can be believed
        client = hop
        if not _is_trusted(hop, networks):
            break
    return str(client)
