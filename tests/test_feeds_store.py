"""The feed tables in a real SQLite file: dedupe by URL and by hash, the daily limit, digests,
back-off and pausing, and a group's feeds following it to its supergroup; chats that cannot be
reached, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.feed_records import FEED_ARTICLE_JOB, FEED_DIGEST_JOB, NewArticle
from bot.storage import Storage
from tests.support.storage_fixtures import StorageOpener

NOW = 1_796_112_000.0
CHAT, OTHER = -100500, -100600


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "feeds.sqlite3")
    yield opened
    await opened.close()


def article(n: int, digest: str | None = None) -> NewArticle:
    return NewArticle(f"https://news.example/{n}", digest or f"h{n}", f"Artikel {n}", "Quelle")


async def test_an_article_is_queued_once_by_url_or_by_text(storage: Storage) -> None:
    feeds = storage.feeds
    first = await feeds.enqueue_articles(CHAT, [article(1)], {}, daily_limit=10, now=NOW)
    again = await feeds.enqueue_articles(
        CHAT,
        [article(1, "changed"), NewArticle("https://other.example/x", "h1", "Kopie", "Q")],
        {},
        daily_limit=10,
        now=NOW,
    )
    elsewhere = await feeds.enqueue_articles(OTHER, [article(1)], {}, daily_limit=10, now=NOW)
    assert len(first) == 1 and again == [] and len(elsewhere) == 1
    jobs = await storage.jobs.unfinished_jobs()
    assert [(j.kind, j.payload["url"]) for j in jobs] == [(FEED_ARTICLE_JOB, article(1).url)] * 2


async def test_past_the_daily_limit_articles_are_skipped_not_postponed(storage: Storage) -> None:
    feeds = storage.feeds
    queued = await feeds.enqueue_articles(
        CHAT, [article(n) for n in range(5)], {}, daily_limit=3, now=NOW
    )
    assert len(queued) == 3
    later = await feeds.enqueue_articles(
        CHAT, [article(n) for n in range(6)], {}, daily_limit=3, now=NOW + 3600
    )
    assert later == [], "the skipped ones do not come later, and the day is full"
    tomorrow = await feeds.enqueue_articles(CHAT, [article(9)], {}, daily_limit=3, now=NOW + 90000)
    assert len(tomorrow) == 1


async def test_digest_items_wait_and_become_one_job(storage: Storage) -> None:
    feeds = storage.feeds
    await feeds.set_digest_schedule(CHAT, [18, 8], "Europe/Berlin", NOW)
    none = await feeds.enqueue_articles(
        CHAT, [article(1), article(2)], {}, daily_limit=10, now=NOW, digest=True
    )
    assert none == [] and await storage.jobs.unfinished_jobs() == []
    (waiting,) = await feeds.waiting_digests()
    assert waiting.hours == (8, 18) and waiting.timezone == "Europe/Berlin"
    job_id = await feeds.take_digest(CHAT, NOW + 60)
    (job,) = await storage.jobs.unfinished_jobs()
    assert job.id == job_id and job.kind == FEED_DIGEST_JOB
    assert [i["title"] for i in job.payload["items"]] == ["Artikel 2", "Artikel 1"]
    assert await feeds.waiting_digests() == []
    assert await feeds.take_digest(CHAT, NOW + 120) is None


async def test_failures_back_off_then_pause(storage: Storage) -> None:
    feeds = storage.feeds
    feed_id = await feeds.add_feed("https://news.example/rss", "Quelle", 1800.0, NOW)
    await feeds.subscribe(CHAT, feed_id, NOW)
    first = await feeds.record_failure(feed_id, "HTTP 500", NOW + 3600, max_failures=2, now=NOW)
    assert first is not None and not first.paused and first.next_poll_at == NOW + 3600
    assert await feeds.due_feeds(NOW + 3599) == []
    second = await feeds.record_failure(feed_id, "HTTP 500", NOW + 7200, max_failures=2, now=NOW)
    assert second is not None and second.paused
    assert await feeds.due_feeds(NOW + 10**6) == []
    resumed = await feeds.update_subscription(CHAT, feed_id, paused=False)
    assert resumed is not None and not resumed.feed_paused


async def test_a_groups_feeds_follow_it_to_the_supergroup(storage: Storage) -> None:
    feeds = storage.feeds
    feed_id = await feeds.add_feed("https://news.example/rss", "Quelle", 1800.0, NOW)
    await feeds.subscribe(CHAT, feed_id, NOW)
    await feeds.enqueue_articles(CHAT, [article(1)], {}, daily_limit=10, now=NOW)
    await storage.migrate_chat(CHAT, OTHER)
    assert await feeds.subscriptions(CHAT) == []
    assert [s.feed_id for s in await feeds.subscriptions(OTHER)] == [feed_id]
    assert await feeds.enqueue_articles(OTHER, [article(1)], {}, daily_limit=10, now=NOW) == []


async def test_an_unreachable_chat_rests_on_both_backends(storage_opener: StorageOpener) -> None:
    """Marked unreachable: not a follower, its feed not due for it, no digest taken, its waiting
    deliveries failed; other chats unaffected; back: all as before (and said only once)."""
    storage = await storage_opener()
    try:
        feeds = storage.feeds
        feed_id = await feeds.add_feed("https://news.example/rss", "Quelle", 600.0, NOW - 1200)
        for chat in (CHAT, OTHER):
            await feeds.subscribe(chat, feed_id, NOW - 1200)
        (job,) = await feeds.enqueue_articles(CHAT, [article(1)], {}, daily_limit=9, now=NOW)
        await feeds.set_digest_schedule(CHAT, (8,), "UTC", NOW)
        await feeds.enqueue_articles(CHAT, [article(2)], {}, daily_limit=9, now=NOW, digest=True)

        assert await feeds.mark_unreachable(CHAT, "Forbidden: bot was blocked by the user", NOW)
        assert not await feeds.mark_unreachable(CHAT, "again", NOW), "already resting"
        assert [s.chat_id for s in await feeds.followers(feed_id)] == [OTHER]
        (mine,) = await feeds.subscriptions(CHAT)
        assert mine.unreachable and not mine.paused
        assert await feeds.waiting_digests() == []
        stored = await storage.jobs.get_job(job)
        assert stored is not None and stored.status == "failed"
        await feeds.unsubscribe(OTHER, feed_id)
        assert await feeds.due_feeds(NOW) == [], "due only for a chat that cannot be reached"

        assert await feeds.mark_reachable(CHAT)
        assert not await feeds.mark_reachable(CHAT)
        assert [s.chat_id for s in await feeds.followers(feed_id)] == [CHAT]
        assert [f.id for f in await feeds.due_feeds(NOW)] == [feed_id]
        assert [d.chat_id for d in await feeds.waiting_digests()] == [CHAT]
    finally:
        await storage.close()


async def test_chats_following_a_new_feed_at_once_from_two_processes_share_it(
    storage_opener: StorageOpener,
) -> None:
    """Two ingresses (two connections) add the same new feed and subscribe at the same moment:
    one feed, every chat subscribed once, no unique-key error."""
    first, second = await storage_opener(), await storage_opener()
    url = "https://news.example/neu.xml"

    async def follow(storage: Storage, chat: int) -> tuple[int, bool]:
        feed_id = await storage.feeds.add_feed(url, "Neu", 600.0, NOW)
        return feed_id, await storage.feeds.subscribe(chat, feed_id, NOW)

    try:
        results = await asyncio.gather(
            *(follow(s, chat) for chat in range(1, 7) for s in (first, second))
        )
        assert len({feed_id for feed_id, _new in results}) == 1
        assert sum(new for _id, new in results) == 6, "each chat subscribed once"
    finally:
        await first.close()
        await second.close()
