"""Feeds end to end: the real PTB Application against the loopback Bot API, feeds and articles
on a loopback web server, ticks run as the JobQueue runs them, time moved by a fake clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.feeds import FeedService
from tests.support.bot_api_server import BotApiServer
from tests.support.bot_harness import (
    GROUP_CHAT,
    LOOPBACK_ARTICLES,
    PRIVATE_CHAT,
    USER_ID,
    BotEnv,
    bot_config,
    bot_env,
    buttons,
)
from tests.support.feed_fixtures import (
    ATOM_TYPE,
    HEADLINES,
    RSS_TYPE,
    Item,
    article_html,
    atom,
    rss,
)
from tests.support.http_servers import PageServer, Route
from tests.support.telegram_html import assert_valid_telegram_html, parse_telegram_html
from translation.models.engine import TranslationEngine

FEEDS: dict[str, Any] = {"host_interval_seconds": 0.0, "tick_seconds": 3600}
HOUR = 3600.0


@asynccontextmanager
async def feed_bot(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, **feeds: Any
) -> AsyncIterator[BotEnv]:
    async with bot_env(
        tmp_path, packages_dir, engine, feeds={**FEEDS, **feeds}, fetch=LOOPBACK_ARTICLES
    ) as env:
        yield env


@asynccontextmanager
async def news() -> AsyncIterator[PageServer]:
    """A news site: article pages for every headline, feeds added by each test."""
    async with PageServer() as server:
        for number, headline in enumerate(HEADLINES):
            server.add(f"/artikel/{number}", article_html(headline))
        yield server


def items(site: PageServer, *numbers: int) -> list[Item]:
    """Feed items newest first, as feeds list them."""
    return [Item(HEADLINES[n], site.url(f"/artikel/{n}")) for n in sorted(numbers, reverse=True)]


def feeds_of(env: BotEnv) -> FeedService:
    return env.runtime.core.feeds


async def tick(env: BotEnv, later: float = 0.0) -> None:
    """Move the clock ``later`` seconds ahead and run the scheduled feed job once."""
    feeds_of(env).clock = lambda: time.time() + later
    assert env.app is not None and env.app.job_queue is not None
    (job,) = env.app.job_queue.get_jobs_by_name("feeds")
    await job.run(env.app)
    await env.settled()


def visible(message: Any) -> str:
    assert message.text is not None
    assert_valid_telegram_html(message.text)
    return parse_telegram_html(message.text)


async def follow_rss_and_atom(
    env: BotEnv, site: PageServer, rss_article: int, atom_article: int
) -> tuple[str, str]:
    """The private chat follows an RSS and an Atom feed of one article each."""
    rss_url = site.add("/rss.xml", rss(items(site, rss_article)), RSS_TYPE)
    atom_url = site.add("/atom.xml", atom(items(site, atom_article)), ATOM_TYPE)
    for url in (rss_url, atom_url):
        await env.ask(PRIVATE_CHAT, f"/follow {url}")
    return rss_url, atom_url


async def until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


def article_hits(site: PageServer, number: int) -> int:
    return site.paths_requested().count(f"/artikel/{number}")


async def test_follow_starts_from_now_then_delivers_each_new_article(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        feed = site.add("/rss.xml", rss(items(site, 0, 1)), RSS_TYPE)
        reply = await env.ask_one(PRIVATE_CHAT, f"/follow {feed}")
        assert "Now following Stadtanzeiger" in visible(reply)
        await tick(env, HOUR)
        assert len(env.server.sent_messages(PRIVATE_CHAT)) == 1, "no backlog"

        site.add("/rss.xml", rss(items(site, 0, 1, 2)), RSS_TYPE)
        await tick(env, 2 * HOUR)
        (delivered,) = env.server.sent_messages(PRIVATE_CHAT)[1:]
        text = visible(delivered)
        assert HEADLINES[2] in text and "English" in text and "Source: Stadtanzeiger" in text
        assert site.url("/artikel/2") in (delivered.text or "")
        assert await env.storage.jobs.count_unfinished() == 0

        await tick(env, 4 * HOUR)
        assert len(env.server.sent_messages(PRIVATE_CHAT)) == 2, "delivered once"


async def test_follow_a_page_finds_its_feed_and_can_start_with_the_latest(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine, initial_articles=2) as env:
        site.add("/atom.xml", atom(items(site, 0, 1, 2)), ATOM_TYPE)
        page = site.add(
            "/",
            '<html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml">'
            "</head><body>Startseite</body></html>",
        )
        await env.ask(PRIVATE_CHAT, f"/follow {page}")
        sent = [visible(m) for m in env.server.sent_messages(PRIVATE_CHAT)]
        assert "Now following Tagesblatt. Here are the latest 2 articles." in sent[0]
        # the two latest, oldest of them first
        assert HEADLINES[1] in sent[1] and HEADLINES[2] in sent[2] and len(sent) == 3
        subs = await feeds_of(env).subscriptions(PRIVATE_CHAT)
        assert [s.url for s in subs] == [site.url("/atom.xml")]


async def test_same_article_in_two_feeds_or_updated_is_delivered_once_per_chat(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        rss_url, _atom = await follow_rss_and_atom(env, site, 0, 0)
        env.server.add_chat(GROUP_CHAT)
        await env.ask(GROUP_CHAT, f"/follow {rss_url}", user_id=USER_ID, sender_chat=GROUP_CHAT)
        before = len(env.server.sent_messages(PRIVATE_CHAT))

        tracked = Item(HEADLINES[3], site.url("/artikel/3") + "?utm_source=atom#top")
        site.add("/rss.xml", rss(items(site, 0, 3)), RSS_TYPE)
        site.add("/atom.xml", atom([tracked, *items(site, 0)]), ATOM_TYPE)
        await tick(env, HOUR)
        # The RSS feed then changes the article's title: same URL, still not new.
        updated = Item(HEADLINES[3] + " (aktualisiert)", site.url("/artikel/3"))
        site.add("/rss.xml", rss([updated, *items(site, 0)]), RSS_TYPE)
        await tick(env, 2 * HOUR)

        private = env.server.sent_messages(PRIVATE_CHAT)[before:]
        group = [m for m in env.server.sent_messages(GROUP_CHAT) if HEADLINES[3] in visible(m)]
        assert len(private) == 1 and HEADLINES[3] in visible(private[0])
        assert len(group) == 1
        # Two chats, two feeds: one fetch of the article page, one summary (the rest: cache).
        assert article_hits(site, 3) == 1
        stats = await env.storage.stats.summary()
        assert stats.total == 0, "feed deliveries are not counted as user requests"


async def test_pause_resume_and_unfollow_with_the_buttons(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)
        await env.ask(PRIVATE_CHAT, f"/follow {feed}")
        listing = await env.ask_one(PRIVATE_CHAT, "/feeds")
        assert "1. Stadtanzeiger — each article" in visible(listing)
        answer = await env.press(PRIVATE_CHAT, USER_ID, buttons(listing)["⏸ 1"], listing.message_id)
        assert answer.get("text") == "Saved."
        edited = env.server.sent_messages(PRIVATE_CHAT)[-1]
        assert "1. Stadtanzeiger — paused" in visible(edited)

        site.add("/rss.xml", rss(items(site, 0, 1)), RSS_TYPE)
        polls = site.paths_requested().count("/rss.xml")
        await tick(env, HOUR)
        assert site.paths_requested().count("/rss.xml") == polls, "a paused feed is not polled"

        await env.press(PRIVATE_CHAT, USER_ID, buttons(edited)["▶️ 1"], listing.message_id)
        await tick(env, HOUR)
        assert HEADLINES[1] in visible(env.server.sent_messages(PRIVATE_CHAT)[-1])

        reply = await env.ask_one(PRIVATE_CHAT, "/unfollow 1")
        assert "Unfollowed Stadtanzeiger" in visible(reply)
        assert await feeds_of(env).subscriptions(PRIVATE_CHAT) == []
        assert "follows no feeds" in visible(await env.ask_one(PRIVATE_CHAT, "/feeds"))
        rows = await env.storage.db.fetchall("SELECT * FROM feeds")
        assert rows == [], "a feed nobody follows is forgotten"


async def test_only_admins_change_a_groups_feeds(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)
        env.server.set_member(GROUP_CHAT, 7001, "administrator")
        env.server.set_member(GROUP_CHAT, 7002, "member")
        refusal = await env.ask_one(GROUP_CHAT, f"/follow {feed}", user_id=7002)
        assert "Only group admins" in visible(refusal)
        assert "Now following" in visible(
            await env.ask_one(GROUP_CHAT, f"/follow {feed}", user_id=7001)
        )
        listing = await env.ask_one(GROUP_CHAT, "/feeds", user_id=7002)
        answer = await env.press(GROUP_CHAT, 7002, buttons(listing)["✖️ 1"], listing.message_id)
        assert answer.get("show_alert") is True
        assert len(await feeds_of(env).subscriptions(GROUP_CHAT)) == 1
        await env.press(GROUP_CHAT, 7001, buttons(listing)["✖️ 1"], listing.message_id)
        assert await feeds_of(env).subscriptions(GROUP_CHAT) == []


async def test_broken_feeds_get_a_clear_answer_at_follow_time(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        html = site.add("/seite", "<html><head><title>Seite</title></head><body>x</body></html>")
        broken = site.add("/kaputt.xml", "<?xml version='1.0'?><rss><channel><item><ti", RSS_TYPE)
        site.route("/a", Route.redirect("/b"))
        site.route("/b", Route.redirect("/a"))
        slow = site.add("/langsam.xml", rss(items(site, 0)), RSS_TYPE, delay=10.0)
        answers = {
            html: "not a news feed",
            broken: "is broken",
            site.url("/a"): "redirects in a loop",
            slow: "took too long",
            "ftp://example.org/feed": "Only http and https",
        }
        for url, expected in answers.items():
            reply = await env.ask_one(PRIVATE_CHAT, f"/follow {url}")
            assert expected in visible(reply), (url, visible(reply))
        assert "Send /follow followed by" in visible(await env.ask_one(PRIVATE_CHAT, "/follow"))
        assert await feeds_of(env).subscriptions(PRIVATE_CHAT) == []


async def test_repeated_failures_pause_the_feed_with_one_message(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine, max_failures=2) as env:
        feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)
        await env.ask(PRIVATE_CHAT, f"/follow {feed}")
        site.add("/rss.xml", "kaputt", "text/plain", status=500)
        await tick(env, HOUR)
        await tick(env, 10 * HOUR)
        await tick(env, 100 * HOUR)
        notices = [m for m in env.server.sent_messages(PRIVATE_CHAT) if "paused" in visible(m)]
        assert len(notices) == 1 and "Stadtanzeiger" in visible(notices[0])
        assert site.paths_requested().count("/rss.xml") == 3, "follow + two failed polls"
        listing = await env.ask_one(PRIVATE_CHAT, "/feeds")
        assert "paused after errors" in visible(listing)


async def test_retry_after_postpones_the_next_poll(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)
        await env.ask(PRIVATE_CHAT, f"/follow {feed}")
        site.route(
            "/rss.xml",
            Route(status=429, content_type="text/plain", headers={"Retry-After": "36000"}),
        )
        await tick(env, HOUR)
        (state,) = await env.storage.db.fetchall("SELECT next_poll_at, failures FROM feeds")
        assert state["failures"] == 1
        assert state["next_poll_at"] >= time.time() + HOUR + 36000 - 5
        polls = site.paths_requested().count("/rss.xml")
        await tick(env, 5 * HOUR)
        assert site.paths_requested().count("/rss.xml") == polls


async def test_a_restart_in_the_middle_of_a_delivery_neither_loses_nor_repeats(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, BotApiServer() as server:
        config = bot_config(
            tmp_path, server.base_url, packages_dir, feeds=FEEDS, fetch=LOOPBACK_ARTICLES
        )
        env = BotEnv(server, config, engine)
        feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)
        site.add("/artikel/1", article_html(HEADLINES[1]), delay=30.0)  # hangs: the "crash"
        async with env.running():
            await env.ask(PRIVATE_CHAT, f"/follow {feed}")
            site.add("/rss.xml", rss(items(site, 0, 1, 2)), RSS_TYPE)
            # The tick itself (PTB shields the jobs it runs), killed as a crash would kill it.
            feeds_of(env).clock = lambda: time.time() + HOUR
            running = asyncio.create_task(feeds_of(env).tick(env.runtime.chat))
            await until(lambda: article_hits(site, 1) > 0)
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            jobs = await env.storage.jobs.unfinished_jobs()
            assert len(jobs) == 2
            # A process that died while sending leaves its job "running" (one attempt).
            assert await env.storage.jobs.mark_running(jobs[0].id)
        assert len(server.sent_messages(PRIVATE_CHAT)) == 1  # only "Now following"

        site.add("/artikel/1", article_html(HEADLINES[1]))
        async with env.running():
            await tick(env, HOUR)
            assert await env.storage.jobs.count_unfinished() == 0
            await tick(env, 2 * HOUR)
        delivered = [visible(m) for m in server.sent_messages(PRIVATE_CHAT)[1:]]
        assert len(delivered) == 2
        assert HEADLINES[1] in delivered[0] and HEADLINES[2] in delivered[1]


def digest_hour(after: float) -> tuple[int, float]:
    """An hour of the day and its first time (UTC) two to three hours after ``after``: past any
    poll interval, and no other time of that hour between (a fixed hour would fail the test
    for two hours a day: its next time that far ahead is tomorrow's, and today's comes first)."""
    moment = datetime.fromtimestamp(after, UTC).replace(minute=0, second=0, microsecond=0)
    moment += timedelta(hours=3)
    return moment.hour, moment.timestamp()


async def tick_at(env: BotEnv, when: float) -> None:
    await tick(env, when - time.time())


async def test_digest_at_the_chosen_hour_top_articles_then_links_split_cleanly(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    settings = {"digest_top": 2, "max_articles_per_poll": 30, "max_articles_per_day": 100}
    async with news() as site, feed_bot(tmp_path, packages_dir, engine, **settings) as env:
        feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)
        await env.ask(PRIVATE_CHAT, f"/follow {feed}")
        listing = await env.ask_one(PRIVATE_CHAT, "/feeds")
        await env.press(PRIVATE_CHAT, USER_ID, buttons(listing)["⇄ 1"], listing.message_id)
        assert "1. Stadtanzeiger — digest" in visible(env.server.sent_messages(PRIVATE_CHAT)[-1])
        hour, due = digest_hour(time.time())
        saved = await env.ask_one(PRIVATE_CHAT, f"/digest {hour} UTC")
        assert f"Digests come at {hour}:00 (UTC)" in visible(saved)
        before = len(env.server.sent_messages(PRIVATE_CHAT))

        extra = [Item(f"Meldung Nummer {n}", site.url(f"/meldung/{n}")) for n in range(18)]
        site.add("/rss.xml", rss([*items(site, 1, 2), *extra, *items(site, 0)]), RSS_TYPE)
        await tick_at(env, due - 600)
        assert len(env.server.sent_messages(PRIVATE_CHAT)) == before, "waits for its hour"
        await tick_at(env, due + 60)
        parts = [visible(m) for m in env.server.sent_messages(PRIVATE_CHAT)[before:]]
        assert len(parts) == 3, parts  # the top two, then 15 + 3 links
        assert parts[0].startswith("Digest: 20 new articles")
        # oldest first in the feed: the top two are the newest, with sentences and source
        assert HEADLINES[2] in parts[0] and HEADLINES[1] in parts[0]
        assert parts[0].count("Stadtanzeiger") == 2 and len(parts[0].splitlines()) > 6
        assert parts[1].count("• ") == 15 and parts[2].count("• ") == 3
        assert not any("/meldung/" in p for p in site.paths_requested()), "links not fetched"
        await tick_at(env, due + 2 * HOUR)
        assert len(env.server.sent_messages(PRIVATE_CHAT)) == before + 3, "sent once"


async def test_opml_export_then_import_into_another_chat(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        rss_url, atom_url = await follow_rss_and_atom(env, site, 0, 1)
        exported = await env.ask_one(PRIVATE_CHAT, "/export")
        assert exported.document is not None
        assert exported.document.file_name == "briefbot-feeds.opml"
        opml = exported.document.content

        other = 2002
        env.server.add_chat(other)
        gone = b'<outline text="Weg" xmlUrl="' + site.url("/weg.xml").encode() + b'"/></body>'
        reply = await env.ask_one(
            other,
            None,
            caption="/import",
            document=("feeds.opml", "text/x-opml", opml.replace(b"</body>", gone)),
        )
        assert "Imported 2 of 3 feeds." in visible(reply) and "Not followed: Weg" in visible(reply)
        imported = await feeds_of(env).subscriptions(other)
        assert [s.url for s in imported] == [rss_url, atom_url]
        assert [s.title for s in imported] == ["Stadtanzeiger", "Tagesblatt"]

        bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml>&a;</opml>'
        refusal = await env.ask_one(
            other, None, caption="/import", document=("x.opml", "text/x-opml", bomb)
        )
        assert "could not read that file" in visible(refusal)


async def test_polls_are_conditional_and_the_interval_follows_the_feed_within_bounds(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        body = rss(items(site, 0), extra="<ttl>600</ttl>")  # ten hours: above the 6 h maximum
        feed = site.route(
            "/rss.xml", Route(body=body, content_type=RSS_TYPE, headers={"ETag": '"v1"'})
        )
        await env.ask(PRIVATE_CHAT, f"/follow {feed}")
        (state,) = await env.storage.db.fetchall("SELECT interval_seconds, etag FROM feeds")
        assert (state["interval_seconds"], state["etag"]) == (6 * HOUR, '"v1"')

        site.route("/rss.xml", Route(status=304, content_type=None, headers={"ETag": '"v1"'}))
        await tick(env, 7 * HOUR)
        assert site.requests[-1].headers.get("if-none-match") == '"v1"'
        assert len(env.server.sent_messages(PRIVATE_CHAT)) == 1
        (state,) = await env.storage.db.fetchall("SELECT failures, next_poll_at FROM feeds")
        assert state["failures"] == 0 and state["next_poll_at"] > time.time() + 12 * HOUR
