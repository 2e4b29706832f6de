"""Which IP addresses a public bot may connect to, and which host spellings are IP addresses.

Strangers send us links, so every address we connect to must be a public unicast address:
never loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT, multicast or
reserved space, however the address is spelled. ``ipaddress``'s ``is_global`` alone is not
enough (it calls 224.0.0.0/4 global, knows nothing of embedded IPv4 in NAT64/6to4, and its
answers changed between Python patch releases), so the tables below decide first and
``is_global`` only acts as a final safety net.

Decisions:
- IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged
  by the IPv4 address they carry: public inside is allowed, anything else is refused.
- Teredo (2001::/32), the deprecated IPv4-compatible form (::a.b.c.d), local-use NAT64
  (64:ff9b:1::/48) and addresses with a zone index are refused outright: no public site is
  served from them, and their embedded addresses are obfuscated or ambiguous.
- IPv6 outside global unicast (2000::/3) is refused, apart from the embedding forms above.
- Public addresses are only contacted on web ports (80, 443, plus what the operator allows):
  ``http://example.com:6379/`` would otherwise let a stranger talk to a Redis, SMTP or admin
  port of any host on the internet, with our address as the sender. Private addresses, when
  allowed at all (tests, intranets), may use any port.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from urllib.parse import unquote

import httpcore
from httpcore import SOCKET_OPTION

from translation.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Most specific first: the first match names the reason.
_IPV4_RULES: tuple[tuple[_V4, str], ...] = (
    (_V4("255.255.255.255/32"), "the broadcast address"),
    (_V4("0.0.0.0/8"), "an unspecified address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("10.0.0.0/8"), "a private network address"),
    (_V4("172.16.0.0/12"), "a private network address"),
    (_V4("192.168.0.0/16"), "a private network address"),
    (_V4("100.64.0.0/10"), "a carrier-grade NAT address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("192.0.0.0/24"), "a reserved (IETF protocol) address"),
    (_V4("192.0.2.0/24"), "a documentation address"),
    (_V4("198.51.100.0/24"), "a documentation address"),
    (_V4("203.0.113.0/24"), "a documentation address"),
    (_V4("192.88.99.0/24"), "a reserved (6to4 relay) address"),
    (_V4("198.18.0.0/15"), "a benchmarking address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
)

_IPV6_RULES: tuple[tuple[_V6, str], ...] = (
    (_V6("::/128"), "an unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (_V6("2001::/32"), "a Teredo tunnel address"),
    (_V6("2001:db8::/32"), "a documentation address"),
    (_V6("3fff::/20"), "a documentation address"),
    (_V6("2001:2::/48"), "a benchmarking address"),
    (_V6("2001::/23"), "a reserved (IETF protocol) address"),
    (_V6("fc00::/7"), "a private network address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a site-local address"),
    (_V6("ff00::/8"), "a multicast address"),
    (_V6("::/96"), "a deprecated IPv4-compatible address"),
)
_IPV4_MAPPED = _V6("::ffff:0:0/96")
_NAT64 = _V6("64:ff9b::/96")
_SIX_TO_FOUR = _V6("2002::/16")
_GLOBAL_UNICAST = _V6("2000::/3")

_DIGITS = {
    8: frozenset("01234567"),
    10: frozenset("0123456789"),
    16: frozenset("0123456789abcdefABCDEF"),
}
_MAX_NUMBER_CHARS = 40

#: The ports public hosts are fetched on unless the operator allows more.
WEB_PORTS = frozenset({80, 443})


def refusal_reason(address: IPAddress) -> str | None:
    """Why a public fetcher must not connect to ``address`` (e.g. "a loopback address"), or None."""
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_reason(address)
    return _ipv6_reason(address)


def _ipv4_reason(address: ipaddress.IPv4Address) -> str | None:
    for network, reason in _IPV4_RULES:
        if address in network:
            return reason
    return None if address.is_global else "a non-public address"


def _ipv6_reason(address: ipaddress.IPv6Address) -> str | None:
    if address.scope_id:
        return "an address with a zone index"
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = _ipv4_reason(embedded)
        return f"{inner} ({embedded} embedded in IPv6)" if inner else None
    for network, reason in _IPV6_RULES:
        if address in network:
            return reason
    if address not in _GLOBAL_UNICAST:
        return "a reserved address"
    return None if address.is_global else "a non-public address"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that IPv4-mapped, NAT64 and 6to4 addresses route to."""
    if address in _IPV4_MAPPED or address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)
    return None


def parse_ip_host(host: str) -> IPAddress | None:
    """The address a URL host denotes if it is an IP literal, in any spelling libc/browsers accept.

    ``2130706433``, ``0x7f.1``, ``017700000001`` and ``127.1`` all mean 127.0.0.1 to
    ``inet_aton`` and to the WHATWG URL parser; we read them the same way so that a spelling
    cannot smuggle an address past the policy. Returns None for host names.
    """
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(unquote(host))
        except ValueError:
            return None
    return _parse_ipv4_numbers(host)


def _parse_ipv4_numbers(host: str) -> ipaddress.IPv4Address | None:
    parts = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_parse_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    values = [n for n in numbers if n is not None]
    *leading, last = values
    if any(value > 0xFF for value in leading) or last >= 256 ** (5 - len(values)):
        return None
    address = last
    for index, value in enumerate(leading):
        address += value << (8 * (3 - index))
    return ipaddress.IPv4Address(address)


def _parse_ipv4_number(part: str) -> int | None:
    """One dotted component: hex with 0x, octal with a leading 0, else decimal (inet_aton)."""
    if not part or len(part) > _MAX_NUMBER_CHARS:
        return None
    base, digits = 10, part
    if part[:2].lower() == "0x":
        base, digits = 16, part[2:] or "0"
    elif len(part) > 1 and part.startswith("0"):
        base, digits = 8, part[1:]
    if not set(digits) <= _DIGITS[base]:
        return None
    return int(digits, base)


class AddressRefusedError(FetchError):
    """The host is, or resolves to, an address the policy forbids."""

    def __init__(self, host: str, address: IPAddress, refusal: str) -> None:
        shown = (
            f"{address} is {refusal}"
            if parse_ip_host(host)
            else f"it resolves to {address}, {refusal}"
        )
        super().__init__(
            f"Refused to fetch from {host}: {shown}; private networks are not allowed.",
            "blocked",
            host=host,
        )
        self.host = host
        self.address = address
        self.refusal = refusal  # why the address is forbidden, e.g. "a loopback address"


class PortRefusedError(FetchError):
    """A public host on a port that is not one of the allowed web ports."""

    def __init__(self, host: str, port: int, allowed: Iterable[int]) -> None:
        ports = ", ".join(str(p) for p in sorted(allowed))
        super().__init__(
            f"Refused to fetch from {host}: port {port} is not a web port (allowed: {ports}).",
            "port",
            host=host,
            port=str(port),
        )
        self.port = port


Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]


def _dns_error(host: str) -> FetchError:
    return FetchError(f"Could not find the server {host} (DNS lookup failed).", "dns", host=host)


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """All addresses ``host`` resolves to, via getaddrinfo in the loop's thread pool."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _dns_error(host) from exc
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore backend that connects only to addresses it has just checked.

    It resolves the host once, refuses the connection if ANY answer is forbidden (a name that
    mixes public and private answers is an attack or a misconfiguration either way), and then
    connects to those exact addresses, so DNS rebinding between check and connect is
    impossible. TLS still uses the host name for SNI and certificate checks: httpcore passes it
    to ``start_tls`` separately.
    """

    def __init__(
        self,
        *,
        allow_private_networks: bool,
        resolver: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
        allowed_ports: Iterable[int] = WEB_PORTS,
    ) -> None:
        self._allow_private = allow_private_networks
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()
        self._allowed_ports = frozenset(allowed_ports)

    async def checked_addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses to connect to for ``host``; raises FetchError when any is forbidden."""
        literal = parse_ip_host(host)
        addresses = [literal] if literal is not None else list(await self._resolver(host, port))
        if not addresses:
            raise _dns_error(host)
        for address in addresses:
            reason = refusal_reason(address)
            if reason is not None and not self._allow_private:
                raise AddressRefusedError(host, address, reason)
            if reason is None and port not in self._allowed_ports:
                raise PortRefusedError(host, port, self._allowed_ports)
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in await self.checked_addresses(host, port):
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # checked_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchError("Connecting to local sockets is not allowed.", "blocked")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
