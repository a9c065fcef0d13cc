"""The client's address behind reverse proxies: X-Forwarded-For, believed only from a trusted proxy.

A browser can send any X-Forwarded-For it likes, so the header says something only when the
connection came from a proxy the operator trusts (DASHBOARD_TRUSTED_PROXIES: addresses or
networks, comma separated; unset: the machine itself, 127.0.0.1 and ::1; empty: none). Each
proxy appends the address it was connected from, so the header is read from the right: the
client is the right-most hop that is not itself a trusted proxy. Everything left of it was
written by that client, or by proxies nobody vouches for, and is ignored.

Unknown (None): no peer, a peer or hop that is not an IP address (a malformed header is never
an exception), or every hop a trusted proxy (nobody beyond them). Addresses are returned in
one canonical text form (lower-case, compressed IPv6; an IPv4-mapped IPv6 address as IPv4), so
one client is one key of the sign-in throttle whichever way it was written.

Streamlit gives no peer address (None) for a connection from the machine itself (127.0.0.1
or ::1, without saying which): `client_address` takes peer=None as a loopback peer, trusted
when any loopback address is. (A run with no connection at all has no headers either: None.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

ENV = "DASHBOARD_TRUSTED_PROXIES"
DEFAULT_TRUSTED = "127.0.0.1,::1"
MAX_HOPS = 50  # a longer header is someone's noise: only its last hops are read

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_proxies(value: str | None) -> tuple[tuple[Network, ...], list[str]]:
    """The networks of DASHBOARD_TRUSTED_PROXIES's value (None: unset, the default), and the
    entries that are neither an address nor a network (ignored; the launcher warns of them)."""
    networks: list[Network] = []
    bad: list[str] = []
    for entry in (DEFAULT_TRUSTED if value is None else value).split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            bad.append(entry)
    return tuple(networks), bad


def parse_address(text: str | None) -> Address | None:
    """An address as a proxy writes it: bare, "[v6]", "v4:port" or "[v6]:port"; else None."""
    if not isinstance(text, str):
        return None
    text = text.strip().strip('"')
    if text.startswith("["):
        end = text.find("]")
        if end == -1 or (text[end + 1 :] and not text[end + 1 :].startswith(":")):
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # IPv4 with a port (an IPv6 address has at least two colons)
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:  # fe80::1%eth0: the zone names this machine's interface, not the client
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
    return address


def _trusted(address: Address, trusted: Iterable[Network]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def _loopback_trusted(trusted: Iterable[Network]) -> bool:
    return any(network.network_address.is_loopback for network in trusted)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Iterable[Network]) -> str | None:
    """The client's address, or None when unknown.

    peer: the address the connection came from (None: a loopback peer, as Streamlit reports
    one). forwarded_for: every
    X-Forwarded-For header value of the request, in order. trusted: trusted_proxies()'s networks."""
    trusted = tuple(trusted)
    if peer is None:
        if not _loopback_trusted(trusted):
            return None
    else:
        address = parse_address(peer)
        if address is None:
            return None
        if not _trusted(address, trusted):
            return str(address)
    try:
        hops = [hop for value in forwarded_for for hop in str(value).split(",")]
    except TypeError:  # not a list of header values
        return None
    for hop in reversed(hops[-MAX_HOPS:]):
        address = parse_address(hop)
        if address is None:
            return None  # nobody can say who wrote what lies left of a broken hop
        if not _trusted(address, trusted):
            return str(address)
    return None  # every hop a trusted proxy (or no header): no client beyond them is known
