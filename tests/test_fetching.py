"""fetch_url against real loopback servers: hostile addresses and redirects, slow and endless
bodies, compression bombs, content types, statuses and charsets.

"Public" sites are served through LoopbackInternet: a name resolves (StaticResolver) to a public
address that the test network routes to a loopback server, so the guard runs with
``allow_private_networks=False`` exactly as in production, and nothing leaves the machine.
"""

from __future__ import annotations

import codecs
import gzip
import re
import ssl
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import brotli
import pytest
import trustme

from tests.support.http_servers import (
    LoopbackInternet,
    PageServer,
    Route,
    StaticResolver,
    unused_port,
)
from translation.errors import FetchError
from translation.text.detection import detect_language
from translation.web.decompression import ACCEPT_ENCODING
from translation.web.fetching import FetchedPage, FetchPolicy, fetch_url, find_urls

PUBLIC_IP = "93.184.216.34"
ARTICLE = (
    "<html><head><title>Neue Radwege für Köln</title></head><body><article>"
    "<h1>Neue Radwege für Köln</h1><p>Die Stadt baut bis 2026 zwölf Kilometer neue Radwege.</p>"
    "</article></body></html>"
)
POLICY = FetchPolicy(timeout_seconds=5.0)
LOOPBACK_OK = replace(POLICY, allow_private_networks=True)

NAMES: dict[str, Sequence[str] | Sequence[Sequence[str]]] = {
    "news.test": [PUBLIC_IP],
    "rebind.test": [[PUBLIC_IP], ["127.0.0.1"]],
    "internal.test": ["10.0.0.5"],
    "metadata.test": ["169.254.169.254"],
    "cgnat.test": ["100.64.1.1"],
    "ula.test": ["fd00::5"],
    "linklocal6.test": ["fe80::5"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "nat64.test": ["64:ff9b::7f00:1"],
    "multicast.test": ["224.0.0.251"],
    "zero.test": ["0.0.0.0"],
    "mixed.test": [PUBLIC_IP, "127.0.0.1"],
}


@dataclass
class Web:
    """One loopback server, published on the test internet as http://news.test/."""

    server: PageServer
    internet: LoopbackInternet
    resolver: StaticResolver

    async def fetch(self, url: str, **policy: Any) -> FetchedPage:
        return await fetch_url(
            url.format(port=self.server.port),
            replace(POLICY, **policy),
            resolver=self.resolver,
            network=self.internet,
        )

    def serve(self, path: str, route: Route) -> str:
        self.server.route(path, route)
        return f"http://news.test{path}"


@pytest.fixture
async def web() -> AsyncIterator[Web]:
    async with PageServer() as server:
        internet = LoopbackInternet()
        internet.publish(PUBLIC_IP, 80, server)
        yield Web(server, internet, StaticResolver(NAMES))


# --- addresses --------------------------------------------------------------------------------

HOSTILE_URLS = [
    ("http://127.0.0.1:{port}/a", "127.0.0.1 is a loopback address"),
    ("http://2130706433:{port}/a", "127.0.0.1 is a loopback address"),
    ("http://0x7f.1:{port}/a", "127.0.0.1 is a loopback address"),
    ("http://017700000001:{port}/a", "127.0.0.1 is a loopback address"),
    ("http://127.1:{port}/a", "127.0.0.1 is a loopback address"),
    ("http://0x7f000001:{port}/a", "127.0.0.1 is a loopback address"),
    ("http://[::1]:{port}/a", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]:{port}/a", "loopback"),
    ("http://[::ffff:7f00:1]:{port}/a", "loopback"),
    ("http://0.0.0.0:{port}/a", "unspecified"),
    ("http://zero.test:{port}/a", "unspecified"),
    ("http://internal.test/a", "resolves to 10.0.0.5, a private network address"),
    ("http://metadata.test/latest/meta-data/", "169.254.169.254, a link-local address"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://cgnat.test/a", "carrier-grade NAT"),
    ("http://ula.test/a", "private network"),
    ("http://linklocal6.test/a", "link-local"),
    ("http://mapped.test:{port}/a", "loopback"),
    ("http://nat64.test:{port}/a", "loopback"),
    ("http://multicast.test/a", "multicast"),
    ("http://mixed.test/a", "resolves to 127.0.0.1, a loopback address"),
]


@pytest.mark.parametrize(("url", "reason"), HOSTILE_URLS)
async def test_hostile_addresses_are_refused_before_connecting(
    web: Web, url: str, reason: str
) -> None:
    web.server.add("/a", ARTICLE)
    with pytest.raises(FetchError, match="Refused to fetch") as refused:
        await web.fetch(url)
    assert reason in refused.value.message
    assert refused.value.reason == "blocked"
    assert web.internet.connections == []
    assert web.server.requests == []


async def test_localhost_by_name_is_refused(web: Web) -> None:
    url = web.server.add("/a", ARTICLE).replace("127.0.0.1", "localhost")
    with pytest.raises(FetchError, match="loopback"):
        await fetch_url(url, POLICY)
    assert web.server.requests == []


async def test_a_public_site_is_fetched_with_private_networks_refused(web: Web) -> None:
    page = await web.fetch(web.serve("/artikel", Route(body=ARTICLE)))
    assert page.text == ARTICLE
    assert web.internet.connections == [(PUBLIC_IP, 80)]
    assert web.server.requests[0].headers["host"] == "news.test"


async def test_dns_rebinding_cannot_switch_the_address_after_the_check(web: Web) -> None:
    web.server.add("/a", ARTICLE)
    page = await web.fetch("http://rebind.test/a")
    assert page.text == ARTICLE
    assert web.resolver.calls == ["rebind.test"]
    assert web.internet.connections == [(PUBLIC_IP, 80)]


async def test_every_new_connection_is_checked_again(web: Web) -> None:
    # The server closes each connection, so the redirect needs a new one; the rebinding
    # resolver now answers 127.0.0.1, and that second answer is refused.
    web.server.route("/a", Route.redirect("/b"))
    with pytest.raises(FetchError, match=re.escape("resolves to 127.0.0.1, a loopback address")):
        await web.fetch("http://rebind.test/a")
    assert web.server.paths_requested() == ["/a"]


async def test_unknown_host_is_a_dns_error(web: Web) -> None:
    with pytest.raises(
        FetchError, match=re.escape("Could not find the server nowhere.test")
    ) as dns:
        await web.fetch("http://nowhere.test/a")
    assert (dns.value.reason, dns.value.details) == ("dns", {"host": "nowhere.test"})


async def test_connection_refused_is_reported() -> None:
    with pytest.raises(FetchError, match=re.escape("Could not connect to 127.0.0.1")) as failed:
        await fetch_url(f"http://127.0.0.1:{unused_port()}/", LOOPBACK_OK)
    assert (failed.value.reason, failed.value.details) == ("connect", {"host": "127.0.0.1"})


# --- links --------------------------------------------------------------------------------------

_SCHEMES = "Refused the link: only http and https links can be fetched, not"
BAD_LINKS = [
    ("ftp://news.test/file.txt", f"{_SCHEMES} ftp:.", "scheme"),
    ("file:///etc/passwd", f"{_SCHEMES} file:.", "scheme"),
    ("gopher://news.test/", f"{_SCHEMES} gopher:.", "scheme"),
    ("javascript:alert(1)", f"{_SCHEMES} javascript:.", "scheme"),
    ("data:text/html,<p>hi</p>", f"{_SCHEMES} data:.", "scheme"),
    ("news.test/artikel", f"{_SCHEMES} an address without http://.", "scheme"),
    ("http://", "Refused the link: it has no host name.", "invalid_url"),
    ("http://[::1", "Refused the link: it is not a valid web address.", "invalid_url"),
    (
        "http://user:secret@news.test/",
        "Refused the link: links with a user name or password are not supported.",
        "blocked",
    ),
    ("http://news.test:25/", "Refused the link: port 25 is not used for web pages.", "blocked"),
    # issue 13: a public host's Redis, SMTP or admin port is not a web page
    (
        "http://news.test:6379/",
        "Refused to fetch from news.test: port 6379 is not a web port (allowed: 80, 443).",
        "port",
    ),
    (
        "https://news.test:8443/",
        "Refused to fetch from news.test: port 8443 is not a web port (allowed: 80, 443).",
        "port",
    ),
    (
        "https://news.test/" + "a" * 9000,
        "Refused the link: it is longer than 8192 characters.",
        "invalid_url",
    ),
]


@pytest.mark.parametrize(("url", "message", "reason"), BAD_LINKS)
async def test_bad_links_are_refused(web: Web, url: str, message: str, reason: str) -> None:
    with pytest.raises(FetchError) as refused:
        await web.fetch(url)
    assert refused.value.message == message
    assert refused.value.reason == reason
    assert web.internet.connections == []


async def test_a_link_of_exactly_the_longest_length_is_fetched(web: Web) -> None:
    path = "/" + "a" * (8192 - len("http://news.test/"))
    url = web.serve(path, Route(body=ARTICLE))
    assert len(url) == 8192
    assert (await web.fetch(url)).status == 200


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://user:pw@news.test/a", "links with a user name or password are not supported"),
        ("http://news.test/" + "a" * 9000, "it is longer than 8192 characters"),
        ("https:///nohost", "it has no host name"),
    ],
)
async def test_bad_redirects_say_it_was_the_redirect(web: Web, location: str, message: str) -> None:
    start = web.serve("/start", Route.redirect(location))
    with pytest.raises(FetchError) as refused:
        await web.fetch(start)
    assert refused.value.message == f"Refused a redirect: {message}."
    assert web.server.paths_requested() == ["/start"]


# --- redirects ----------------------------------------------------------------------------------


def redirect_chain(web: Web, hops: int, final: str = "/article") -> str:
    web.server.add(final, ARTICLE)
    for hop in range(hops):
        target = f"/hop{hop + 1}" if hop + 1 < hops else final
        web.server.route(
            f"/hop{hop}", Route.redirect(target, status=(301, 302, 303, 307, 308)[hop % 5])
        )
    return "http://news.test/hop0"


async def test_five_redirects_are_followed(web: Web) -> None:
    page = await web.fetch(redirect_chain(web, 5))
    assert page.final_url == "http://news.test/article"
    assert page.url == "http://news.test/hop0"
    assert page.text == ARTICLE
    assert len(web.server.requests) == 6


async def test_the_sixth_redirect_is_refused(web: Web) -> None:
    with pytest.raises(FetchError, match="more than 5 times") as refused:
        await web.fetch(redirect_chain(web, 6))
    assert (refused.value.reason, refused.value.details) == ("too_many_redirects", {"limit": "5"})
    assert "/article" not in web.server.paths_requested()


async def test_redirect_limit_follows_the_policy(web: Web) -> None:
    with pytest.raises(FetchError, match="more than 1 times"):
        await web.fetch(redirect_chain(web, 2), max_redirects=1)


async def test_relative_locations_are_resolved(web: Web) -> None:
    web.server.route("/a/b/start", Route.redirect("../c/next"))
    web.server.route("/a/c/next", Route.redirect("last?x=1"))
    web.server.route("/a/c/last", Route.redirect("//news.test/final"))
    web.server.add("/final", ARTICLE)
    page = await web.fetch("http://news.test/a/b/start")
    assert web.server.paths_requested() == ["/a/b/start", "/a/c/next", "/a/c/last", "/final"]
    assert web.server.requests[2].target == "/a/c/last?x=1"
    assert page.final_url == "http://news.test/final"


HOSTILE_REDIRECTS = [
    ("http://127.0.0.1:{port}/article", "loopback", "blocked"),
    ("http://[::ffff:127.0.0.1]:{port}/article", "loopback", "blocked"),
    ("http://2130706433:{port}/article", "loopback", "blocked"),
    ("http://internal.test/admin", "private network", "blocked"),
    ("http://metadata.test/latest/meta-data/", "link-local", "blocked"),
    (
        "ftp://news.test/file",
        "Refused a redirect: only http and https links can be fetched, not ftp:",
        "scheme",
    ),
    (
        "file:///etc/passwd",
        "Refused a redirect: only http and https links can be fetched, not file:",
        "scheme",
    ),
    ("gopher://news.test:70/", "not gopher:", "scheme"),
    ("http://news.test:6667/", "Refused a redirect: port 6667", "blocked"),
    ("http://news.test:6379/", "port 6379 is not a web port", "port"),
]


@pytest.mark.parametrize(("location", "message", "reason"), HOSTILE_REDIRECTS)
async def test_redirects_into_forbidden_space_are_refused(
    web: Web, location: str, message: str, reason: str
) -> None:
    web.server.add("/article", ARTICLE)
    start = web.serve("/start", Route.redirect(location.format(port=web.server.port)))
    with pytest.raises(FetchError) as refused:
        await web.fetch(start)
    assert message in refused.value.message
    assert refused.value.reason == reason
    assert web.server.paths_requested() == ["/start"]
    assert web.internet.connections == [(PUBLIC_IP, 80)]


async def test_more_ports_can_be_allowed(web: Web) -> None:
    web.internet.publish(PUBLIC_IP, 8080, web.server)
    web.server.add("/a", ARTICLE)
    page = await web.fetch("http://news.test:8080/a", allowed_ports=frozenset({80, 443, 8080}))
    assert page.text == ARTICLE
    assert web.internet.connections == [(PUBLIC_IP, 8080)]


async def test_redirect_without_location_is_an_error(web: Web) -> None:
    with pytest.raises(FetchError, match="without saying where") as failed:
        await web.fetch(web.serve("/r", Route(status=302)))
    assert (failed.value.reason, failed.value.details) == ("http_error", {"status": "302"})


# --- time and size --------------------------------------------------------------------------------


async def test_slow_drip_is_cut_by_the_total_time_limit(web: Web) -> None:
    url = web.serve("/drip", Route(body=ARTICLE * 10, chunk_size=16, drip_interval=0.05))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"took too long to load \(limit: 0.5 s\)") as slow:
        await web.fetch(url, timeout_seconds=0.5)
    assert (slow.value.reason, slow.value.details) == ("timeout", {"seconds": "0.5"})
    assert time.monotonic() - started < 2.0


async def test_reads_are_paced_whatever_the_server_slices(web: Web) -> None:
    # issue 13: an endless body in 1-byte segments made one read call per byte, all on the
    # event loop; paced reads pick up everything that arrived in between in one call.
    url = web.serve("/bytes", Route(body=b"a", chunk_size=1, endless=True))
    with pytest.raises(FetchError, match="took too long"):
        await web.fetch(url, timeout_seconds=1.0, max_bytes=50_000_000, min_bytes_per_second=0)
    assert web.internet.bytes_read > 2_000
    assert web.internet.reads <= 1.0 * POLICY.reads_per_second + 10
    assert web.internet.bytes_read / web.internet.reads > 10


async def test_a_drip_fed_body_is_given_up_early(web: Web) -> None:
    url = web.serve("/drip", Route(body=b"a" * 5000, chunk_size=1, drip_interval=0.01))
    started = time.monotonic()
    with pytest.raises(FetchError, match="too slowly") as slow:
        await web.fetch(url, timeout_seconds=5.0, slow_grace_seconds=0.3)
    assert (slow.value.reason, slow.value.details) == ("too_slow", {"rate": "2000"})
    assert time.monotonic() - started < 1.5


async def test_a_server_that_never_answers_times_out(web: Web) -> None:
    url = web.serve("/hang", Route(body=ARTICLE, delay=30))
    started = time.monotonic()
    with pytest.raises(FetchError, match="took too long") as slow:
        await web.fetch(url, timeout_seconds=0.3)
    assert slow.value.reason == "timeout"
    assert time.monotonic() - started < 2.0


async def test_slow_redirect_chain_shares_one_deadline(web: Web) -> None:
    for hop in range(4):
        web.server.route(
            f"/s{hop}", Route(status=302, headers={"Location": f"/s{hop + 1}"}, delay=0.2)
        )
    web.server.add("/s4", ARTICLE)
    with pytest.raises(FetchError, match="took too long"):
        await web.fetch("http://news.test/s0", timeout_seconds=0.5)


async def test_endless_body_stops_at_the_byte_cap(web: Web) -> None:
    url = web.serve("/endless", Route(body=b"<p>spam</p>" * 1000, endless=True))
    with pytest.raises(FetchError, match="larger than 300 kB") as large:
        await web.fetch(url, max_bytes=300_000)
    assert (large.value.reason, large.value.details) == ("too_large", {"max_bytes": "300000"})


async def test_declared_length_over_the_cap_is_refused_up_front(web: Web) -> None:
    url = web.serve("/big", Route(body=ARTICLE, headers={"Content-Length": "999999999"}))
    with pytest.raises(FetchError, match="larger than 5 MB") as large:
        await web.fetch(url)
    assert large.value.reason == "too_large"


async def test_body_just_under_the_cap_is_accepted(web: Web) -> None:
    body = "<html><body>" + "a" * (10_000 - 26) + "</body></html>"
    page = await web.fetch(web.serve("/fits", Route(body=body)), max_bytes=10_000)
    assert len(page.text) == 10_000


BOMB_BYTES = 64 * 1024 * 1024


def _zlib_bomb(wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(BOMB_BYTES // len(block))]
    return b"".join(parts) + compressor.flush()


def _brotli_bomb() -> bytes:
    compressor = brotli.Compressor(quality=5)
    block = bytes(1024 * 1024)
    parts = [compressor.process(block) for _ in range(BOMB_BYTES // len(block))]
    return b"".join(parts) + compressor.finish()


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {"gzip": _zlib_bomb(31), "deflate": _zlib_bomb(15), "br": _brotli_bomb()}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
async def test_compression_bombs_stop_at_the_cap_with_bounded_memory(
    web: Web, bombs: dict[str, bytes], encoding: str
) -> None:
    bomb = bombs[encoding]
    assert len(bomb) < 200_000  # 64 MB inflated
    url = web.serve("/bomb", Route(body=bomb, headers={"Content-Encoding": encoding}))
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="larger than 1 MB"):
            await web.fetch(url, max_bytes=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "gzip, br"])
async def test_compressed_pages_are_decoded(web: Web, encoding: str) -> None:
    data = ARTICLE.encode()
    if "gzip" in encoding:
        data = gzip.compress(data)
    elif encoding == "deflate":
        data = zlib.compress(data)
    if "br" in encoding:
        data = brotli.compress(data)
    page = await web.fetch(
        web.serve("/z", Route(body=data, headers={"Content-Encoding": encoding}))
    )
    assert page.text == ARTICLE


async def test_raw_deflate_without_zlib_header_is_decoded(web: Web) -> None:
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = raw.compress(ARTICLE.encode()) + raw.flush()
    page = await web.fetch(
        web.serve("/d", Route(body=data, headers={"Content-Encoding": "deflate"}))
    )
    assert page.text == ARTICLE


async def test_corrupt_and_unknown_encodings_are_errors(web: Web) -> None:
    corrupt = web.serve(
        "/c",
        Route(
            body=b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 20,
            headers={"Content-Encoding": "gzip"},
        ),
    )
    with pytest.raises(FetchError, match="compressed data is corrupt") as failed:
        await web.fetch(corrupt)
    assert failed.value.reason == "compression"
    zstd = web.serve("/zstd", Route(body=b"(\xb5/\xfd", headers={"Content-Encoding": "zstd"}))
    with pytest.raises(FetchError, match=r"unsupported compression \(zstd\)") as failed:
        await web.fetch(zstd)
    assert failed.value.reason == "compression"


# --- responses ----------------------------------------------------------------------------------

REFUSED_TYPES = [
    ("image/png", b"\x89PNG\r\n\x1a\n" + bytes(100), "it is image/png"),
    ("application/pdf", b"%PDF-1.4 ...", "it is application/pdf"),
    ("application/octet-stream", bytes(100), "it is application/octet-stream"),
    ("application/json", b'{"a": 1}', "it is application/json"),
    (None, ARTICLE.encode(), "did not say what kind of document"),
]


@pytest.mark.parametrize(("content_type", "body", "message"), REFUSED_TYPES)
async def test_wrong_content_types_are_refused(
    web: Web, content_type: str | None, body: bytes, message: str
) -> None:
    url = web.serve("/f", Route(body=body, content_type=content_type))
    with pytest.raises(FetchError) as refused:
        await web.fetch(url)
    assert message in refused.value.message
    assert refused.value.reason == "not_a_page"
    assert refused.value.details == {"content_type": content_type or ""}


@pytest.mark.parametrize(
    ("content_type", "is_html"),
    [("TEXT/HTML; Charset=UTF-8", True), ("application/xhtml+xml", True), ("text/plain", False)],
)
async def test_allowed_content_types(web: Web, content_type: str, is_html: bool) -> None:
    page = await web.fetch(web.serve("/ok", Route(body=ARTICLE, content_type=content_type)))
    assert page.is_html is is_html
    assert page.content_type == content_type.split(";")[0].lower()


async def test_binary_body_behind_a_text_type_is_refused(web: Web) -> None:
    url = web.serve("/fake", Route(body=b"%PDF-1.7\n" + bytes(500), content_type="text/html"))
    with pytest.raises(FetchError, match="binary data") as refused:
        await web.fetch(url)
    assert refused.value.reason == "binary"


@pytest.mark.parametrize(
    ("status", "problem", "reason"),
    [
        (401, "The site refused access to the page", "forbidden"),
        (407, "The site refused access to the page", "forbidden"),
        (451, "The site refused access to the page", "forbidden"),
        (404, "The page was not found", "not_found"),
        (429, "The site is limiting requests; try again later", "rate_limited"),
        (599, "The site had a server error", "server_error"),
        (300, "The site answered with an unexpected redirect", "http_error"),
        (399, "The site answered with an unexpected redirect", "http_error"),
        (402, "The site refused the request", "http_error"),
        (408, "The site refused the request", "http_error"),
        (452, "The site refused the request", "http_error"),
        (600, "The site refused the request", "http_error"),
    ],
)
async def test_each_status_gets_its_exact_message(
    web: Web, status: int, problem: str, reason: str
) -> None:
    with pytest.raises(FetchError) as failed:
        await web.fetch(web.serve("/e", Route(body="nope", status=status)))
    assert failed.value.message == f"{problem} (HTTP {status})."
    assert failed.value.reason == reason


@pytest.mark.parametrize("status", [200, 203, 299])
async def test_every_2xx_status_is_a_page(web: Web, status: int) -> None:
    page = await web.fetch(web.serve("/ok", Route(body=ARTICLE, status=status)))
    assert page.status == status and "Radwege" in page.text


@pytest.mark.parametrize(
    ("status", "message", "reason"),
    [
        (404, "was not found (HTTP 404)", "not_found"),
        (410, "was not found (HTTP 410)", "not_found"),
        (403, "refused access to the page (HTTP 403)", "forbidden"),
        (429, "limiting requests", "rate_limited"),
        (400, "refused the request (HTTP 400)", "http_error"),
        (500, "server error (HTTP 500)", "server_error"),
        (503, "server error (HTTP 503)", "server_error"),
        (304, "unexpected redirect (HTTP 304)", "http_error"),
    ],
)
async def test_error_statuses_are_reported(
    web: Web, status: int, message: str, reason: str
) -> None:
    with pytest.raises(FetchError) as failed:
        await web.fetch(web.serve("/e", Route(body="nope", status=status)))
    assert message in failed.value.message
    assert (failed.value.reason, failed.value.details) == (reason, {"status": str(status)})


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\nhello",
        b"SSH-2.0-OpenSSH_9.2p1\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\nshort",
    ],
)
async def test_malformed_responses_are_fetch_errors(web: Web, raw: bytes) -> None:
    with pytest.raises(FetchError, match=re.escape("news.test")) as failed:
        await web.fetch(web.serve("/m", Route(raw_response=raw)))
    assert (failed.value.reason, failed.value.details) == ("connection", {"host": "news.test"})


# --- charsets -----------------------------------------------------------------------------------

GERMAN = "Grüße aus Köln: „Zitat“ – 5 € für Straßenbahn-Tickets, Öffnungszeiten ändern sich."


def html_page(head: str = "") -> str:
    return f"<html><head>{head}<title>Test</title></head><body><p>{GERMAN}</p></body></html>"


# Latin-1 and Latin-9 lack some of cp1252's punctuation (and Latin-1 the euro sign).
LATIN_1 = str.maketrans({"„": '"', "“": '"', "–": "-", "€": "EUR"})
LATIN_9 = str.maketrans({"„": '"', "“": '"', "–": "-"})
HTTP_EQUIV_LATIN_9 = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-15">'

CHARSET_CASES = [
    ("latin-1 via header", html_page().translate(LATIN_1), "latin-1",
     "text/html; charset=iso-8859-1", "cp1252"),
    ("windows-1252 via meta", html_page('<meta charset="windows-1252">'), "cp1252",
     "text/html", "cp1252"),
    ("latin-9 via http-equiv", html_page(HTTP_EQUIV_LATIN_9).translate(LATIN_9), "iso8859-15",
     "text/html", "iso8859-15"),
    ("header beats meta", html_page('<meta charset="iso-8859-1">'), "utf-8",
     "text/html; charset=utf-8", "utf-8"),
    ("no declaration, valid UTF-8", html_page(), "utf-8", "text/html", "utf-8"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "codec", "content_type", "encoding"),
    CHARSET_CASES,
    ids=[case[0] for case in CHARSET_CASES],
)
async def test_charsets_from_header_and_meta(
    web: Web, name: str, text: str, codec: str, content_type: str, encoding: str
) -> None:
    url = web.serve("/c", Route(body=text.encode(codec), content_type=content_type))
    page = await web.fetch(url)
    assert page.text == text
    assert page.encoding == encoding


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
async def test_byte_order_marks_win(web: Web, bom: bytes, codec: str) -> None:
    body = bom + GERMAN.encode(codec)
    page = await web.fetch(web.serve("/bom", Route(body=body, content_type="text/plain")))
    assert page.text == GERMAN
    assert page.encoding == codec


HOSTILE_CHARSETS = [
    "text/html; charset=unicode_escape",
    "text/html; charset=raw-unicode-escape",
    "text/html; charset=idna",
    "text/plain; charset=utf-7",
]


@pytest.mark.parametrize("content_type", HOSTILE_CHARSETS)
async def test_python_only_charsets_named_by_a_page_are_ignored(
    web: Web, content_type: str
) -> None:
    body = b"<p>Rechnung \\u202egnp.exe\\u202c mit \\x00 und +ICIiIA-</p>"
    page = await web.fetch(web.serve("/c", Route(body=body, content_type=content_type)))
    assert (page.text, page.encoding) == (body.decode("ascii"), "utf-8")


async def test_a_utf16_header_on_a_utf8_page_is_read_as_utf8(web: Web) -> None:
    text = " ".join([GERMAN] * 6)
    url = web.serve("/c", Route(body=text.encode(), content_type="text/plain; charset=utf-16"))
    page = await web.fetch(url)
    assert (page.text, page.encoding) == (text, "utf-8")
    assert detect_language(page.text).language == "de"


async def test_undeclared_legacy_charset_is_detected(web: Web) -> None:
    text = " ".join([GERMAN.translate(LATIN_9)] * 8)
    page = await web.fetch(
        web.serve("/d", Route(body=text.encode("cp1252"), content_type="text/plain"))
    )
    assert page.text == text


# --- TLS ----------------------------------------------------------------------------------------


async def test_tls_uses_the_host_name_for_sni_and_verifies_certificates() -> None:
    # The guard connects to the pinned IP address, yet the TLS handshake must still name the
    # host (SNI) and check its certificate; a certificate from an unknown CA is refused.
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("news.test").configure_cert(context)
    server_names: list[str | None] = []

    def remember_server_name(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        server_names.append(name)

    context.sni_callback = remember_server_name
    async with PageServer(tls=context) as server:
        server.add("/a", ARTICLE)
        internet = LoopbackInternet()
        internet.publish(PUBLIC_IP, 443, server)
        with pytest.raises(FetchError, match=re.escape("Could not connect to news.test.")):
            await fetch_url(
                "https://news.test/a", POLICY, resolver=StaticResolver(NAMES), network=internet
            )
    assert server_names == ["news.test"]
    assert internet.connections == [(PUBLIC_IP, 443)]
    assert server.requests == []


# --- success ------------------------------------------------------------------------------------


async def test_article_fetched_from_loopback_when_private_networks_are_allowed() -> None:
    async with PageServer() as server:
        url = server.route(
            "/politik/radwege.html",
            Route(body=gzip.compress(ARTICLE.encode()), headers={"Content-Encoding": "gzip"}),
        )
        page = await fetch_url(url, LOOPBACK_OK)
    assert page == FetchedPage(
        url=url, final_url=url, status=200, content_type="text/html", text=ARTICLE, encoding="utf-8"
    )
    assert page.is_html
    request = server.requests[0]
    assert request.headers["user-agent"] == LOOPBACK_OK.user_agent
    assert request.headers["accept-encoding"] == "gzip, deflate, br"
    assert request.headers["host"] == f"127.0.0.1:{server.port}"


# --- finding links in messages --------------------------------------------------------------------

FIND_URLS = [
    ("Schau mal: https://www.tagesschau.de/inland/artikel-123.html.", ["https://www.tagesschau.de/inland/artikel-123.html"]),
    ("(siehe https://de.wikipedia.org/wiki/Berlin_(Begriffsklärung))", ["https://de.wikipedia.org/wiki/Berlin_(Begriffsklärung)"]),
    ("„https://example.org/a“ und «http://example.org/b»", ["https://example.org/a", "http://example.org/b"]),
    ("zwei: http://a.test/x, HTTPS://b.test/y?q=1&z=2!", ["http://a.test/x", "HTTPS://b.test/y?q=1&z=2"]),
    ("<https://a.test/x>", ["https://a.test/x"]),
    ("doppelt https://a.test https://a.test", ["https://a.test"]),
    ("http://[::1]:8080/pfad", ["http://[::1]:8080/pfad"]),
    ("kein Link: www.example.com oder ftp://x.test", []),
    ("foohttps://a.test/ und http:// allein", []),
    ("", []),
]  # fmt: skip


@pytest.mark.parametrize(("text", "urls"), FIND_URLS)
def test_find_urls(text: str, urls: list[str]) -> None:
    found = find_urls(text)
    assert found == urls
    assert all(url in text for url in found)


# --- what goes out -------------------------------------------------------------------------------


async def test_the_request_says_who_we_are_and_what_we_read(web: Web) -> None:
    await web.fetch(web.serve("/a", Route(body=ARTICLE)))
    [request] = web.server.requests
    assert request.method == "GET"
    assert request.headers["user-agent"] == POLICY.user_agent
    assert request.headers["accept"] == (
        "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"
    )
    assert request.headers["accept-encoding"] == ACCEPT_ENCODING


async def test_an_environment_proxy_is_ignored(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would connect for us, past the address guard: the fetcher never uses one."""
    dead = f"http://127.0.0.1:{unused_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead)
    page = await web.fetch(web.serve("/a", Route(body=ARTICLE)))
    assert "Radwege" in page.text
    assert web.internet.connections == [(PUBLIC_IP, 80)]


# --- bodies in pieces ----------------------------------------------------------------------------


async def test_a_body_in_many_small_pieces_is_read_whole(web: Web) -> None:
    body = ARTICLE.replace("</p>", "</p>" + "<p>Mehr Text über Radwege.</p>" * 40)
    url = web.serve("/pieces", Route(body=body, chunk_size=64, drip_interval=0.001))
    page = await web.fetch(url)
    assert page.text == body


async def test_untyped_and_binary_pages_are_explained(web: Web) -> None:
    untyped = web.serve("/untyped", Route(body=ARTICLE, content_type=None))
    with pytest.raises(FetchError) as refused:
        await web.fetch(untyped)
    assert refused.value.message == (
        "The site did not say what kind of document this is, so it was not read."
    )
    binary = web.serve("/bin", Route(body=bytes(range(256)) * 40, content_type="text/plain"))
    with pytest.raises(FetchError) as refused:
        await web.fetch(binary)
    assert (refused.value.message, refused.value.reason) == (
        "The page is binary data, not text.",
        "binary",
    )
