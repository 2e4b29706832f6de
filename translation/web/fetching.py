"""Fetching a link that a stranger sent, without letting it reach our own network.

Everything is enforced here, per request and per redirect hop: http(s) only, addresses checked
and pinned by ``netguard.GuardedNetworkBackend`` (no second DNS lookup), redirects followed by
hand and re-checked, a content-type allowlist, a byte cap on the *decoded* body (compression
bombs stop at the cap, see ``decompression``), and one deadline over connect, redirects and
body together, so a slow-drip server cannot hold a worker. Reads are paced (``pacing``) so a
server slicing its answer into 1-byte segments costs no more CPU than one sending it whole, and
a body arriving slower than ``min_bytes_per_second`` is given up early. Only the web ports (80,
443 and ``allowed_ports``) of public hosts are fetched. Every failure becomes a FetchError with
a one-line message a user can read.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import httpcore
import httpx

from translation.errors import FetchError, FetchReason, InputError
from translation.options import OptionError, at_least, positive
from translation.web.decoding import decode_bytes
from translation.web.decompression import (
    ACCEPT_ENCODING,
    DecompressionError,
    UnsupportedEncodingError,
    decoder_for,
)
from translation.web.netguard import (
    WEB_PORTS,
    GuardedNetworkBackend,
    Resolver,
    system_resolver,
)
from translation.web.pacing import DEFAULT_READS_PER_SECOND, PacedNetworkBackend

logger = logging.getLogger(__name__)

HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_CHARS = 8_192
# Ports browsers refuse to fetch from (WHATWG Fetch "bad port"): mail, shells, IRC, etc.
BLOCKED_PORTS = frozenset(
    {1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101,
     102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389,
     427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636,
     989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
     6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080}
)  # fmt: skip

_URL_IN_TEXT = re.compile(r"(?<![\w@/])https?://[^\s/<>\"„“”«»‚‘’`][^\s<>\"„“”«»‚‘’`]*", re.I)
_TRAILING_PUNCTUATION = ".,;:!?…'*"
_BRACKETS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for fetching a link; ``allow_private_networks`` is for tests and intranets only."""

    allow_private_networks: bool = False
    timeout_seconds: float = 15.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    user_agent: str = "Briefbot/0.1 (+offline news summarizer)"
    allowed_content_types: frozenset[str] = field(
        default=frozenset({"text/html", "application/xhtml+xml", "text/plain"})
    )
    #: Ports public hosts are fetched on (80 and 443 always; these add to them); private ones
    #: (when allowed) may use any port.
    allowed_ports: frozenset[int] = WEB_PORTS
    #: At most this many socket reads a second per connection (see ``pacing``).
    reads_per_second: float = DEFAULT_READS_PER_SECOND
    #: A body slower than this on average, once ``slow_grace_seconds`` have passed, is dropped.
    min_bytes_per_second: float = 2_000.0
    slow_grace_seconds: float = 3.0

    def __post_init__(self) -> None:
        positive(self, "timeout_seconds", "reads_per_second")
        at_least(1, self, "max_bytes")
        at_least(0, self, "max_redirects", "min_bytes_per_second", "slow_grace_seconds")
        bad = sorted(port for port in self.allowed_ports if not 1 <= port <= 65535)
        if bad:
            raise OptionError(f"allowed_ports must be ports 1..65535, got {bad}")
        object.__setattr__(self, "allowed_ports", WEB_PORTS | frozenset(self.allowed_ports))


@dataclass(frozen=True)
class FetchedPage:
    """A fetched document, already decoded to text."""

    url: str
    final_url: str
    status: int
    content_type: str
    text: str
    encoding: str

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_CONTENT_TYPES


def find_urls(text: str) -> list[str]:
    """http(s) URLs in a message, exactly as written, without trailing punctuation."""
    urls: list[str] = []
    for match in _URL_IN_TEXT.finditer(text):
        url = _trim_url(match.group())
        if url not in urls:
            urls.append(url)
    return urls


def _trim_url(url: str) -> str:
    while url and (url[-1] in _TRAILING_PUNCTUATION or _unbalanced_closer(url)):
        url = url[:-1]
    return url


def _unbalanced_closer(url: str) -> bool:
    """A closing bracket that opens nowhere in the URL belongs to the sentence around it."""
    opener = _BRACKETS.get(url[-1])
    return opener is not None and url.count(opener) < url.count(url[-1])


def guarded_backend(
    policy: FetchPolicy,
    resolver: Resolver | None = None,
    network: httpcore.AsyncNetworkBackend | None = None,
) -> GuardedNetworkBackend:
    """The TCP layer every fetch (articles, feeds) goes through: the address and port guard over
    paced socket reads."""
    return GuardedNetworkBackend(
        allow_private_networks=policy.allow_private_networks,
        resolver=resolver or system_resolver,
        inner=PacedNetworkBackend(network, policy.reads_per_second),
        allowed_ports=policy.allowed_ports,
    )


async def fetch_url(
    url: str,
    policy: FetchPolicy,
    *,
    resolver: Resolver | None = None,
    network: httpcore.AsyncNetworkBackend | None = None,
) -> FetchedPage:
    """Fetch and decode ``url`` under ``policy``; any failure raises FetchError.

    ``resolver`` replaces DNS and ``network`` the raw TCP layer *under* the address guard, which
    always applies: tests use them to stand in for the internet on loopback.
    """
    backend = guarded_backend(policy, resolver, network)
    try:
        async with asyncio.timeout(policy.timeout_seconds):
            return await _fetch(url, policy, backend)
    except TimeoutError as exc:
        raise _timeout_error(policy) from exc


async def _fetch(url: str, policy: FetchPolicy, backend: GuardedNetworkBackend) -> FetchedPage:
    target = _checked_url(url)
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    with _as_fetch_error(target.host, policy):
        async with httpx.AsyncClient(
            transport=GuardedTransport(backend),
            headers=headers,
            timeout=policy.timeout_seconds,
            follow_redirects=False,
            trust_env=False,  # an environment proxy would bypass the address checks
        ) as client:
            for _hop in range(policy.max_redirects + 1):
                with _as_fetch_error(target.host, policy):
                    async with client.stream("GET", target) as response:
                        location = _redirect_location(response)
                        if location is None:
                            return await _read_page(url, target, response, policy)
                target = _checked_url(location, base=target)
    raise FetchError(
        f"The link redirects too often (more than {policy.max_redirects} times).",
        "too_many_redirects",
        limit=str(policy.max_redirects),
    )


def _checked_url(raw: str, base: httpx.URL | None = None) -> httpx.URL:
    """Parse a link (or a redirect relative to ``base``) and apply the scheme/host/port rules."""
    if len(raw) > MAX_URL_CHARS:
        raise _refused(base, f"it is longer than {MAX_URL_CHARS} characters", "invalid_url")
    try:
        target = base.join(raw.strip()) if base is not None else httpx.URL(raw.strip())
    except (httpx.InvalidURL, ValueError, UnicodeError, TypeError) as exc:
        raise _refused(base, "it is not a valid web address", "invalid_url") from exc
    if target.scheme not in {"http", "https"}:
        scheme = f"{target.scheme}:" if target.scheme else "an address without http://"
        raise _refused(base, f"only http and https links can be fetched, not {scheme}", "scheme")
    if not target.host:
        raise _refused(base, "it has no host name", "invalid_url")
    if target.userinfo:
        raise _refused(base, "links with a user name or password are not supported", "blocked")
    port = target.port or (443 if target.scheme == "https" else 80)
    if port in BLOCKED_PORTS:
        raise _refused(base, f"port {port} is not used for web pages", "blocked", port=str(port))
    return target


def _refused(
    base: httpx.URL | None, problem: str, reason: FetchReason, **details: str
) -> FetchError:
    return FetchError(
        f"Refused {'a redirect' if base is not None else 'the link'}: {problem}.", reason, **details
    )


def _redirect_location(response: httpx.Response) -> str | None:
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("location", "").strip()
    if not location:
        status = response.status_code
        raise FetchError(
            f"The site redirected without saying where (HTTP {status}).",
            "http_error",
            status=str(status),
        )
    return location


async def _read_page(
    url: str, target: httpx.URL, response: httpx.Response, policy: FetchPolicy
) -> FetchedPage:
    _check_status(response.status_code)
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type:
        raise FetchError(
            "The site did not say what kind of document this is, so it was not read.",
            "not_a_page",
            content_type="",
        )
    if content_type not in policy.allowed_content_types:
        raise FetchError(
            f"That link is not a web page or text (it is {content_type}).",
            "not_a_page",
            content_type=content_type,
        )
    body = await _read_body(response, policy)
    is_html = content_type in HTML_CONTENT_TYPES
    try:
        # charset detection on megabytes is CPU work: keep it off the event loop
        text, encoding = await asyncio.to_thread(
            decode_bytes, body, response.charset_encoding, is_html
        )
    except InputError as exc:
        raise FetchError("The page is binary data, not text.", "binary") from exc
    return FetchedPage(
        url=url,
        final_url=str(target),
        status=response.status_code,
        content_type=content_type,
        text=text,
        encoding=encoding,
    )


def _check_status(status: int) -> None:
    if 200 <= status < 300:
        return
    reason: FetchReason
    if status in {404, 410}:
        reason, problem = "not_found", "The page was not found"
    elif status in {401, 403, 407, 451}:
        reason, problem = "forbidden", "The site refused access to the page"
    elif status == 429:
        reason, problem = "rate_limited", "The site is limiting requests; try again later"
    elif 500 <= status < 600:
        reason, problem = "server_error", "The site had a server error"
    elif 300 <= status < 400:
        reason, problem = "http_error", "The site answered with an unexpected redirect"
    else:
        reason, problem = "http_error", "The site refused the request"
    raise FetchError(f"{problem} (HTTP {status}).", reason, status=str(status))


async def _read_body(response: httpx.Response, policy: FetchPolicy) -> bytes:
    """The decoded body, refused as soon as it (or its compressed form) passes ``max_bytes``
    or it arrives slower than the policy's minimum rate."""
    max_bytes = policy.max_bytes
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    decoder = decoder_for(response.headers.get("content-encoding"))
    body = bytearray()
    received = 0
    started = time.monotonic()
    async for raw in response.aiter_raw():
        received += len(raw)
        if received > max_bytes:
            raise _too_large(max_bytes)
        _check_rate(received, time.monotonic() - started, policy)
        for chunk in decoder.feed(raw):
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(max_bytes)
    for chunk in decoder.flush():
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
    return bytes(body)


def _check_rate(received: int, elapsed: float, policy: FetchPolicy) -> None:
    """A drip-feeding server holds a fetch slot for the whole deadline: give up on it early."""
    if elapsed > policy.slow_grace_seconds and received < policy.min_bytes_per_second * elapsed:
        rate = f"{policy.min_bytes_per_second / 1000:g} kB/s"
        raise FetchError(
            f"The site sends the page too slowly (under {rate}).",
            "too_slow",
            rate=str(int(policy.min_bytes_per_second)),
        )


def _too_large(max_bytes: int) -> FetchError:
    megabytes = max_bytes >= 1_000_000
    limit = f"{max_bytes / 1_000_000:g} MB" if megabytes else f"{max_bytes / 1_000:g} kB"
    return FetchError(
        f"The page is larger than {limit}, the most I read.", "too_large", max_bytes=str(max_bytes)
    )


def _timeout_error(policy: FetchPolicy) -> FetchError:
    seconds = f"{policy.timeout_seconds:g}"
    return FetchError(
        f"The page took too long to load (limit: {seconds} s).", "timeout", seconds=seconds
    )


@contextmanager
def _as_fetch_error(host: str, policy: FetchPolicy) -> Iterator[None]:
    """Translate transport-level exceptions into one-line FetchErrors about ``host``."""
    try:
        yield
    except FetchError:
        raise
    except (httpcore.TimeoutException, httpx.TimeoutException, TimeoutError) as exc:
        raise _timeout_error(policy) from exc
    except (httpcore.ConnectError, httpx.ConnectError) as exc:
        raise FetchError(f"Could not connect to {host}.", "connect", host=host) from exc
    except (httpcore.ProtocolError, httpx.ProtocolError) as exc:
        message = f"The server at {host} sent an invalid response."
        raise FetchError(message, "connection", host=host) from exc
    except (httpcore.NetworkError, httpx.TransportError, OSError) as exc:
        raise FetchError(f"The connection to {host} failed.", "connection", host=host) from exc
    except DecompressionError as exc:
        raise FetchError("The page's compressed data is corrupt.", "compression") from exc
    except UnsupportedEncodingError as exc:
        message = f"The page uses an unsupported compression ({exc})."
        raise FetchError(message, "compression") from exc
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise FetchError(f"The request to {host} could not be made.", "invalid_url") from exc
    except Exception as exc:  # the promise is: only FetchError leaves fetch_url
        logger.exception("unexpected error while fetching from %s", host)
        message = f"Could not fetch the page from {host}."
        raise FetchError(message, "connection", host=host) from exc


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle takes ~20 ms of CPU; one shared client context serves all fetches."""
    return httpx.create_ssl_context()


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx transport over an httpcore pool whose connections all go through the guard."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=4,
            http1=True,
            http2=False,
            retries=0,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=cast(Any, request.stream),
            extensions=request.extensions,
        )
        core_response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_CoreStream(core_response.stream),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _CoreStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            await self._stream.aclose()
