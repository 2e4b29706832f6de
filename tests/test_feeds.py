"""Feed fetching, discovery and parsing against a loopback server: RSS, Atom, RDF, conditional
requests, Retry-After, broken feeds, redirect loops and identities for dedupe."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.feed_fixtures import (
    ATOM_TYPE,
    HEADLINES,
    RDF_TYPE,
    RSS_TYPE,
    Item,
    atom,
    rdf,
    rss,
)
from tests.support.http_servers import PageServer, Route
from translation import FeedError, FeedUnavailable, FetchError, FetchPolicy, Validators, poll_feed
from translation.web.feeds import canonical_url, content_hash, parse_feed, retry_after_seconds

POLICY = FetchPolicy(allow_private_networks=True, timeout_seconds=3.0, max_bytes=200_000)


@pytest.fixture
async def web() -> AsyncIterator[PageServer]:
    async with PageServer() as server:
        yield server


def _items(server: PageServer, count: int) -> list[Item]:
    return [Item(HEADLINES[i], server.url(f"/artikel/{i}")) for i in range(count)]


@pytest.mark.parametrize(
    ("build", "content_type", "title"),
    [
        (rss, RSS_TYPE, "Stadtanzeiger"),
        (atom, ATOM_TYPE, "Tagesblatt"),
        (rdf, RDF_TYPE, "Landbote"),
    ],
)
async def test_rss_atom_and_rdf_give_the_same_entries(
    web: PageServer, build: object, content_type: str, title: str
) -> None:
    items = _items(web, 3)
    assert callable(build)
    url = web.add("/feed", build(items), content_type)
    poll = await poll_feed(url, POLICY)
    assert poll.feed is not None and poll.feed.title == title
    assert [e.title for e in poll.feed.entries] == list(HEADLINES[:3])
    assert [e.url for e in poll.feed.entries] == [i.link for i in items]


async def test_a_page_is_searched_for_its_feed(web: PageServer) -> None:
    feed_url = web.add("/rss.xml", rss(_items(web, 2)), RSS_TYPE)
    page = web.add(
        "/nachrichten",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        "</head><body>Hallo</body></html>",
    )
    poll = await poll_feed(page, POLICY, discover=True)
    assert poll.url == feed_url
    assert poll.feed is not None and len(poll.feed.entries) == 2


async def test_a_page_without_a_feed_is_a_clear_error(web: PageServer) -> None:
    page = web.add("/seite", "<html><head><title>x</title></head><body>Text</body></html>")
    with pytest.raises(FeedError) as caught:
        await poll_feed(page, POLICY, discover=True)
    assert caught.value.feed_reason == "not_a_feed"


async def test_malformed_xml_is_a_clear_error(web: PageServer) -> None:
    url = web.add("/kaputt", '<?xml version="1.0"?><rss><channel><item><title>x</ite', RSS_TYPE)
    with pytest.raises(FeedError) as caught:
        await poll_feed(url, POLICY)
    assert caught.value.feed_reason == "malformed"


async def test_a_redirect_loop_is_named_as_such(web: PageServer) -> None:
    web.route("/a", Route.redirect("/b"))
    web.route("/b", Route.redirect("/a"))
    with pytest.raises(FeedError) as caught:
        await poll_feed(web.url("/a"), POLICY)
    assert caught.value.feed_reason == "redirect_loop"


async def test_conditional_requests_use_the_validators(web: PageServer) -> None:
    body = rss(_items(web, 1))
    headers = {"ETag": '"v1"', "Last-Modified": "Tue, 01 Dec 2026 08:00:00 GMT"}
    url = web.route("/feed", Route(body=body, content_type=RSS_TYPE, headers=headers))
    first = await poll_feed(url, POLICY)
    assert first.validators == Validators('"v1"', "Tue, 01 Dec 2026 08:00:00 GMT")
    web.route("/feed", Route(status=304, content_type=None, headers={"ETag": '"v1"'}))
    second = await poll_feed(url, POLICY, first.validators)
    assert second.feed is None
    sent = web.requests[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Tue, 01 Dec 2026 08:00:00 GMT"


@pytest.mark.parametrize("status", [429, 503])
async def test_busy_sites_say_when_to_come_back(web: PageServer, status: int) -> None:
    url = web.route(
        "/feed", Route(status=status, content_type="text/plain", headers={"Retry-After": "120"})
    )
    with pytest.raises(FeedUnavailable) as caught:
        await poll_feed(url, POLICY)
    assert caught.value.retry_after == 120.0


async def test_a_slow_feed_times_out_with_a_fetch_error(web: PageServer) -> None:
    url = web.add("/langsam", rss(_items(web, 1)), RSS_TYPE, delay=2.0)
    with pytest.raises(FetchError) as caught:
        await poll_feed(url, FetchPolicy(allow_private_networks=True, timeout_seconds=0.5))
    assert caught.value.reason == "timeout"


async def test_a_feed_over_the_size_limit_is_refused(web: PageServer) -> None:
    url = web.add("/gross", rss(_items(web, 1), extra="<x>" + "a" * 5000 + "</x>"), RSS_TYPE)
    with pytest.raises(FetchError) as caught:
        await poll_feed(url, FetchPolicy(allow_private_networks=True, max_bytes=2000))
    assert caught.value.reason == "too_large"


def test_update_period_and_ttl_are_read() -> None:
    hourly = rss(
        [],
        extra="<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>",
    )
    assert parse_feed(hourly.encode(), "http://x/feed").update_seconds == 900.0
    assert parse_feed(rss([], extra="<ttl>45</ttl>").encode(), "http://x/").update_seconds == 2700
    assert parse_feed(rss([]).encode(), "http://x/").update_seconds is None


def test_canonical_urls_drop_tracking_fragments_and_default_ports() -> None:
    assert (
        canonical_url("HTTP://Example.ORG:80/a/b?id=3&utm_source=rss&fbclid=x#kommentare")
        == "http://example.org/a/b?id=3"
    )
    assert canonical_url("https://example.org:8443/x") == "https://example.org:8443/x"


def test_content_hash_ignores_markup_case_and_spacing() -> None:
    a = content_hash("Hochwasser am Rhein", "<p>Der Pegel <b>steigt</b>.</p>")
    assert a == content_hash("hochwasser  am Rhein", "Der Pegel steigt.")
    assert a != content_hash("Hochwasser am Main", "Der Pegel steigt.")


def test_retry_after_accepts_seconds_and_dates() -> None:
    assert retry_after_seconds("30") == 30.0
    assert retry_after_seconds("Tue, 01 Dec 2026 08:01:00 GMT", now=1796112000.0) == 60.0
    assert retry_after_seconds("bald") is None
