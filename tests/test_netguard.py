"""Address policy: every forbidden class and spelling, and a backend that connects only where it
checked. Public addresses appear as values only; nothing here connects beyond loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import re

import pytest

from tests.support.http_servers import LoopbackInternet, PageServer, StaticResolver
from translation.errors import FetchError
from translation.web.netguard import (
    AddressRefusedError,
    GuardedNetworkBackend,
    parse_ip_host,
    refusal_reason,
    system_resolver,
)

FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.255", "carrier-grade NAT"),
    ("169.254.169.254", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("255.255.255.255", "broadcast"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("192.0.0.8", "reserved"),
    ("192.88.99.1", "6to4 relay"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "zone index"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "reserved"),
    ("100::1", "reserved"),
    ("4000::1", "reserved"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.1.2.3", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("::8.8.8.8", "IPv4-compatible"),
    ("64:ff9b::7f00:1", "loopback"),
    ("64:ff9b::a9fe:a9fe", "link-local"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("2002:7f00:1::1", "loopback"),
    ("2002:c0a8:101::1", "private"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",
    "100.128.0.0",
    "172.32.0.1",
    "2606:4700::1",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_forbidden_addresses_are_refused_with_their_reason(address: str, reason: str) -> None:
    found = refusal_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found


_REASON = re.compile(
    r"(an?|the) [A-Za-z0-9 ()\-]+ address( \([0-9.]+ embedded in IPv6\))?"
    r"|an address with a zone index"
)


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_every_reason_reads_as_a_phrase_in_the_error(address: str, reason: str) -> None:
    """The reason is spliced into "… is {reason}; private networks are not allowed."."""
    found = refusal_reason(ipaddress.ip_address(address))
    assert found is not None and _REASON.fullmatch(found), found


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("fe80::1%eth0", "an address with a zone index"),
        ("4000::1", "a reserved address"),
        ("100::1", "a reserved address"),
        ("::127.0.0.1", "a deprecated IPv4-compatible address"),
        ("::ffff:10.1.2.3", "a private network address (10.1.2.3 embedded in IPv6)"),
        ("169.254.169.254", "a link-local address"),
    ],
)
def test_exact_reasons(address: str, reason: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_multicast_is_refused_although_ipaddress_calls_it_global() -> None:
    multicast = ipaddress.ip_address("224.0.0.1")
    assert refusal_reason(multicast) == "a multicast address"


SPELLINGS = [
    ("127.0.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("0X7F.0.0.1", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("017700000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("0177.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"),
    ("0", "0.0.0.0"),
    ("0x.0", "0.0.0.0"),
    ("3232235777", "192.168.1.1"),
    ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
    ("4294967295", "255.255.255.255"),
    ("[::1]", "::1"),
    ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
    ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
    ("fe80::1%25eth0", "fe80::1%eth0"),
    # edges of the parser: a full octet, every decimal digit, the longest accepted component
    ("255.255.255.254", "255.255.255.254"),
    ("1234567890", "73.150.2.210"),
    ("0" * 39 + "1", "0.0.0.1"),
]


@pytest.mark.parametrize(("host", "address"), SPELLINGS)
def test_ip_spellings_parse_like_inet_aton(host: str, address: str) -> None:
    assert parse_ip_host(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "news.test",
        "1.2.3.4.5",
        "1.2.3.4.0",
        "256.1.1.1",
        "08.1.1.1",
        "0x1g.1",
        "4294967296",
        "0" * 40 + "1",
        "",
    ],
)
def test_names_and_impossible_numbers_are_not_addresses(host: str) -> None:
    assert parse_ip_host(host) is None


def test_every_weird_spelling_of_loopback_is_refused() -> None:
    for host, address in SPELLINGS[:11]:
        parsed = parse_ip_host(host)
        assert parsed is not None and refusal_reason(parsed) == "a loopback address", address


async def test_a_name_with_one_forbidden_answer_is_refused_before_any_connection() -> None:
    internet = LoopbackInternet()
    resolver = StaticResolver({"mixed.test": ["93.184.216.34", "10.0.0.7"]})
    backend = GuardedNetworkBackend(allow_private_networks=False, resolver=resolver, inner=internet)
    with pytest.raises(AddressRefusedError) as refused:
        await backend.connect_tcp("mixed.test", 80)
    assert refused.value.address == ipaddress.ip_address("10.0.0.7")
    assert refused.value.refusal == "a private network address"
    assert (refused.value.reason, refused.value.details) == ("blocked", {"host": "mixed.test"})
    assert refused.value.host == "mixed.test"
    assert refused.value.message == (
        "Refused to fetch from mixed.test: it resolves to 10.0.0.7, a private network address; "
        "private networks are not allowed."
    )
    assert "mixed.test" in refused.value.message and "private network" in refused.value.message
    assert internet.connections == []


async def test_connects_to_the_checked_address_without_a_second_lookup() -> None:
    async with PageServer() as server:
        internet = LoopbackInternet()
        internet.publish("93.184.216.34", 80, server)
        # A rebinding attacker: public on the first lookup, loopback on every later one.
        resolver = StaticResolver({"rebind.test": [["93.184.216.34"], ["127.0.0.1"]]})
        backend = GuardedNetworkBackend(
            allow_private_networks=False, resolver=resolver, inner=internet
        )
        stream = await backend.connect_tcp("rebind.test", 80)
        await stream.aclose()
    assert resolver.calls == ["rebind.test"]
    assert internet.connections == [("93.184.216.34", 80)]


async def test_tries_the_next_checked_address_when_one_does_not_answer() -> None:
    async with PageServer() as server:
        resolver = StaticResolver({"two.test": ["127.0.0.2", "127.0.0.1"]})
        internet = LoopbackInternet()
        backend = GuardedNetworkBackend(
            allow_private_networks=True, resolver=resolver, inner=internet
        )
        stream = await backend.connect_tcp("two.test", server.port)
        await stream.aclose()
    assert internet.connections == [("127.0.0.2", server.port), ("127.0.0.1", server.port)]


async def test_literal_addresses_skip_dns_and_are_still_checked() -> None:
    resolver = StaticResolver({})
    backend = GuardedNetworkBackend(allow_private_networks=False, resolver=resolver)
    with pytest.raises(AddressRefusedError, match=re.escape("127.0.0.1 is a loopback address")):
        await backend.connect_tcp("0x7f.1", 80)
    assert resolver.calls == []


async def test_unknown_names_and_unix_sockets_are_fetch_errors() -> None:
    backend = GuardedNetworkBackend(allow_private_networks=True, resolver=StaticResolver({}))
    with pytest.raises(
        FetchError, match=re.escape("Could not find the server nowhere.test")
    ) as dns:
        await backend.connect_tcp("nowhere.test", 80)
    assert (dns.value.reason, dns.value.details) == ("dns", {"host": "nowhere.test"})
    with pytest.raises(FetchError) as refused:
        await backend.connect_unix_socket("/var/run/docker.sock")
    assert refused.value.reason == "blocked"
    assert refused.value.message == "Connecting to local sockets is not allowed."


async def test_backend_sleep_waits() -> None:
    """httpcore sleeps through the backend between retries; it must really wait."""
    backend = GuardedNetworkBackend(allow_private_networks=False)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await backend.sleep(0.05)
    assert loop.time() - started >= 0.05


async def test_system_resolver_answers_for_the_name_asked() -> None:
    assert await system_resolver("127.0.0.2", 80) == [ipaddress.ip_address("127.0.0.2")]
    with pytest.raises(FetchError) as failed:
        await system_resolver("bad..name", 80)  # not even encodable: no lookup needed
    assert (failed.value.reason, failed.value.details) == ("dns", {"host": "bad..name"})
    assert failed.value.message == "Could not find the server bad..name (DNS lookup failed)."


async def test_system_resolver_reads_localhost_from_the_hosts_file() -> None:
    addresses = await system_resolver("localhost", 80)
    assert (
        ipaddress.ip_address("127.0.0.1") in addresses or ipaddress.ip_address("::1") in addresses
    )
    backend = GuardedNetworkBackend(allow_private_networks=False)
    with pytest.raises(AddressRefusedError, match="loopback"):
        await backend.connect_tcp("localhost", 80)


async def test_allowing_private_networks_reaches_loopback() -> None:
    """The opt-in (tests, intranets) really connects: a request goes out, the page comes back."""
    async with PageServer() as server:
        server.add("/intern", "<p>Nur im Intranet</p>")
        backend = GuardedNetworkBackend(allow_private_networks=True)
        stream = await backend.connect_tcp("127.0.0.1", server.port, timeout=5.0)
        try:
            await stream.write(
                b"GET /intern HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            response = b""
            while chunk := await stream.read(65536, timeout=5.0):
                response += chunk
        finally:
            await stream.aclose()
    assert response.startswith(b"HTTP/1.1 200")
    assert response.endswith(b"<p>Nur im Intranet</p>")
    assert server.paths_requested() == ["/intern"]
    assert await GuardedNetworkBackend(allow_private_networks=True).checked_addresses(
        "127.0.0.1", server.port
    ) == [ipaddress.ip_address("127.0.0.1")]
