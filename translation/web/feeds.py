"""News feeds: fetch (conditionally), discover and parse RSS 0.9x/2.0, Atom and RDF.

Every byte comes through the same SSRF guard, limits and error messages as an article link
(``fetching``); this module adds what polling a feed needs on top: ``If-None-Match`` /
``If-Modified-Since``, ``304 Not Modified``, ``Retry-After`` on 429/503, redirect-loop detection,
``<link rel="alternate">`` discovery from an HTML page, and per-entry identities (canonical URL
and content hash) so the same article is recognised across feeds and updates.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from xml.sax import SAXException

import feedparser
import httpcore
import httpx

from translation.errors import FetchError
from translation.text.normalize import normalize_text
from translation.web.fetching import (
    FetchPolicy,
    GuardedTransport,
    _as_fetch_error,
    _check_status,
    _checked_url,
    _read_body,
    _redirect_location,
    _timeout_error,
    guarded_backend,
)
from translation.web.netguard import GuardedNetworkBackend, Resolver

FEED_CONTENT_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/x-rss+xml",
    }
)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: Query parameters that only track where a click came from: two links differing in these
#: are the same article.
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ref", "wt_mc", "wt_zmc"})
_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/rdf+xml;q=0.9,"
    "application/xml;q=0.8,text/xml;q=0.8,text/html;q=0.5"
)
_PERIOD_SECONDS = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000}


class FeedError(FetchError):
    """A feed that cannot be used; ``feed_reason`` is ``not_a_feed`` (HTML that links no feed),
    ``malformed`` (broken XML) or ``redirect_loop``."""

    def __init__(self, message: str, feed_reason: str) -> None:
        super().__init__(message)
        self.feed_reason = feed_reason


class FeedUnavailable(FetchError):
    """429/503: the site asks us to come back later (``retry_after`` seconds, if it said)."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(
            f"The site asks to try again later (HTTP {status}).", "rate_limited", status=str(status)
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Validators:
    """What the server gave us to ask "changed since?" next time."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FeedResponse:
    """One fetch: ``not_modified`` (304, empty body) or the raw bytes with their type."""

    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    validators: Validators

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class FeedEntry:
    """One article of a feed; ``url`` is canonical, ``content_hash`` its normalized text."""

    url: str
    title: str
    summary: str
    content_hash: str
    published: float | None = None


@dataclass(frozen=True)
class Feed:
    url: str
    title: str
    site_url: str
    entries: tuple[FeedEntry, ...]
    #: How often the publisher says it updates (RSS ``ttl`` or ``sy:updatePeriod``), if it does.
    update_seconds: float | None = None


@dataclass(frozen=True)
class FeedPoll:
    """The result of polling: ``feed`` is None when the server said it did not change."""

    url: str
    feed: Feed | None
    validators: Validators


# -- fetching ---------------------------------------------------------------------------------


async def fetch_feed_bytes(
    url: str,
    policy: FetchPolicy,
    validators: Validators | None = None,
    *,
    resolver: Resolver | None = None,
    network: httpcore.AsyncNetworkBackend | None = None,
) -> FeedResponse:
    """GET ``url`` conditionally under ``policy``; FetchError (or its feed subclasses) on
    failure. Redirects are followed by hand; coming back to a URL already seen is a loop."""
    backend = guarded_backend(policy, resolver, network)
    try:
        async with asyncio.timeout(policy.timeout_seconds):
            return await _fetch(url, policy, validators or Validators(), backend)
    except TimeoutError as exc:
        raise _timeout_error(policy) from exc


def _request_headers(policy: FetchPolicy, validators: Validators) -> dict[str, str]:
    headers = {"User-Agent": policy.user_agent, "Accept": _ACCEPT}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


async def _fetch(
    url: str, policy: FetchPolicy, validators: Validators, backend: GuardedNetworkBackend
) -> FeedResponse:
    target = _checked_url(url)
    seen = {str(target)}
    with _as_fetch_error(target.host, policy):
        async with httpx.AsyncClient(
            transport=GuardedTransport(backend),
            headers=_request_headers(policy, validators),
            timeout=policy.timeout_seconds,
            follow_redirects=False,
            trust_env=False,
        ) as client:
            for _hop in range(policy.max_redirects + 1):
                async with client.stream("GET", target) as response:
                    location = _redirect_location(response)
                    if location is None:
                        return await _read_feed(url, target, response, policy)
                target = _checked_url(location, base=target)
                if str(target) in seen:
                    raise FeedError("The feed address redirects in a loop.", "redirect_loop")
                seen.add(str(target))
    raise FetchError(
        f"The link redirects too often (more than {policy.max_redirects} times).",
        "too_many_redirects",
        limit=str(policy.max_redirects),
    )


async def _read_feed(
    url: str, target: httpx.URL, response: httpx.Response, policy: FetchPolicy
) -> FeedResponse:
    status = response.status_code
    headers = response.headers
    validators = Validators(headers.get("etag"), headers.get("last-modified"))
    if status == 304:
        return FeedResponse(url, str(target), 304, "", b"", validators)
    if status in (429, 503):
        raise FeedUnavailable(status, retry_after_seconds(headers.get("retry-after")))
    _check_status(status)
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FEED_CONTENT_TYPES | HTML_TYPES | {"text/plain", ""}:
        raise FeedError(f"That link is not a feed (it is {content_type}).", "not_a_feed")
    body = await _read_body(response, policy)
    return FeedResponse(url, str(target), status, content_type, body, validators)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


# -- parsing ------------------------------------------------------------------------------------


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rels and kind in FEED_CONTENT_TYPES and values.get("href"):
            self.links.append(values["href"].strip())


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Feed URLs a web page announces with ``<link rel="alternate" type="…rss/atom…">``."""
    parser = _AlternateLinks()
    parser.feed(html)
    parser.close()
    found: list[str] = []
    for href in parser.links:
        absolute = urljoin(base_url, href)
        if absolute not in found:
            found.append(absolute)
    return found


def canonical_url(url: str) -> str:
    """The same article under one spelling: lower-case scheme and host, no default port, no
    fragment, no tracking parameters (``utm_*``, ``fbclid``…)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def content_hash(title: str, summary: str) -> str:
    """The article's identity by text: the same story under another link (or republished
    under a new id) hashes the same; whitespace, case and markup do not count."""
    text = normalize_text(f"{title}\n{_strip_tags(summary)[:300]}").casefold()
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:24]


def _strip_tags(html: str) -> str:
    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def parse_feed(body: bytes, url: str) -> Feed:
    """Parse RSS/Atom/RDF bytes (CPU work: call it in a thread). FeedError when the bytes are
    not a feed, or so broken that no entry can be read."""
    parsed: Any = feedparser.parse(body, response_headers={"content-location": url})
    version = parsed.get("version", "")
    entries = parsed.get("entries", [])
    broken = isinstance(parsed.get("bozo_exception"), SAXException)
    if not version and not entries:
        if broken and not _looks_like_html(body):
            raise FeedError("The feed is not valid XML.", "malformed")
        raise FeedError("That page is not a feed and links to none.", "not_a_feed")
    meta = parsed.get("feed", {})
    items = tuple(e for e in (_entry(raw, url) for raw in entries) if e is not None)
    if not items and broken:
        raise FeedError("The feed is not valid XML.", "malformed")
    return Feed(
        url=url,
        title=str(meta.get("title", "") or urlsplit(url).hostname or url).strip(),
        site_url=str(meta.get("link", "") or url),
        entries=items,
        update_seconds=_update_seconds(meta),
    )


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head


def _entry(raw: Any, feed_url: str) -> FeedEntry | None:
    link = raw.get("link") or ""
    if not link:
        return None
    title = " ".join(str(raw.get("title", "")).split())
    summary = str(raw.get("summary", ""))
    published = raw.get("published_parsed") or raw.get("updated_parsed")
    return FeedEntry(
        url=canonical_url(urljoin(feed_url, link)),
        title=title or link,
        summary=summary,
        content_hash=content_hash(title, summary),
        published=time.mktime(published) if published else None,
    )


def _update_seconds(meta: Any) -> float | None:
    ttl = str(meta.get("ttl", "")).strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60.0
    period = _PERIOD_SECONDS.get(str(meta.get("sy_updateperiod", "")).strip().lower())
    if period is None:
        return None
    frequency = str(meta.get("sy_updatefrequency", "1")).strip()
    return period / max(1, int(frequency) if frequency.isdigit() else 1)


# -- together -----------------------------------------------------------------------------------


async def poll_feed(
    url: str,
    policy: FetchPolicy,
    validators: Validators | None = None,
    *,
    discover: bool = False,
    resolver: Resolver | None = None,
    network: httpcore.AsyncNetworkBackend | None = None,
) -> FeedPoll:
    """Fetch and parse a feed. With ``discover``, a web page is searched for its feed (once),
    and ``FeedPoll.url`` is the feed's own address to poll from then on."""
    response = await fetch_feed_bytes(url, policy, validators, resolver=resolver, network=network)
    if response.not_modified:
        return FeedPoll(url, None, response.validators)
    if discover and response.content_type in HTML_TYPES:
        html = response.body.decode("utf-8", errors="replace")
        links = await asyncio.to_thread(discover_feeds, html, response.final_url)  # CPU work
        if not links:
            raise FeedError("That page is not a feed and links to none.", "not_a_feed")
        response = await fetch_feed_bytes(links[0], policy, resolver=resolver, network=network)
    feed = await asyncio.to_thread(parse_feed, response.body, response.final_url)
    return FeedPoll(response.url, feed, response.validators)
