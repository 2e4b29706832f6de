"""Following news feeds: the rules (limits, intervals, back-off, pausing) and the work (poll
due feeds, queue each new article once per chat, deliver it summarized), with no front end.

A tick polls each due feed once for all its followers, queues one durable ``feed_article``
job per chat and new article, then delivers every unfinished such job (so a restart resumes
them). Deliveries of one article share the results cache: the first chat's summary is the
next chats' cache hit, so N followers cost one fetch and one summary per article and
language set. A tick is a plain coroutine: the Telegram front end runs it from PTB's
JobQueue; in the scaled mode queue workers run ``poll``/``deliver_job`` as separate tasks
(``bot.telegram.feed_tasks``). A chat the bot cannot post to any more (``ChatUnreachable``)
rests until it comes back (``chat_gone``/``chat_back``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import FeedsConfig
from bot.core.errors import ChatUnreachable, StorageError
from bot.core.feed_records import (
    FEED_ARTICLE_JOB,
    FEED_DIGEST_JOB,
    FEED_JOBS,
    DeliveryMode,
    DigestSchedule,
    FeedState,
    NewArticle,
    Subscription,
)
from bot.core.ports import ChatPort, FeedsRepository
from bot.core.records import Job
from bot.core.requests import Source
from bot.core.service import BriefService
from bot.core.views import (
    DigestEntry,
    FeedArticleView,
    FeedDigestView,
    FeedPausedView,
    SummaryView,
    View,
)
from translation import (
    Algorithm,
    BriefbotError,
    Feed,
    FeedEntry,
    FeedPoll,
    FeedUnavailable,
    FetchError,
    FetchPolicy,
    SummaryOptions,
    Validators,
    poll_feed,
)

log = logging.getLogger(__name__)

#: Links per digest message after the first: short enough for Telegram's 4096 characters.
DIGEST_LINKS_PER_MESSAGE = 15
#: Top articles (with sentences) per digest message.
DIGEST_TOP_PER_MESSAGE = 3
#: Sentences of each top article in a digest.
DIGEST_SENTENCES = 2

#: ``(url, validators, discover)`` -> the poll; tests and benchmarks may count calls.
Poller = Callable[[str, Validators | None, bool], Awaitable[FeedPoll]]


class FeedLimitReached(Exception):
    """The chat follows as many feeds as ``[feeds] max_feeds_per_chat`` allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} feeds per chat")
        self.limit = limit


@dataclass(frozen=True)
class Followed:
    """The answer to a follow: which feed, and whether the chat already followed it."""

    feed_id: int
    title: str
    url: str
    new: bool
    queued: int
    #: The delivery jobs of the latest articles queued at the follow.
    jobs: tuple[int, ...] = ()


@dataclass
class TickReport:
    polled: int = 0
    failed: int = 0
    queued: int = 0
    digests: int = 0
    delivered: int = 0


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ValueError when there is none of that name."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def digest_due(schedule: DigestSchedule, now: float) -> bool:
    """True when one of the schedule's full hours (in its time zone) passed since its last
    digest."""
    if not schedule.hours:
        return False
    local = datetime.fromtimestamp(schedule.last_run_at, zone(schedule.timezone))
    moment = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    for _ in range(48):
        if moment.hour in schedule.hours:
            return moment.timestamp() <= now
        moment += timedelta(hours=1)
    return False


class HostPacer:
    """At most one request per host every ``interval`` seconds (politeness across feeds)."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def turn(self, url: str) -> AsyncIterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        async with self._locks[host]:
            wait = self._last.get(host, -1e9) + self._interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last[host] = time.monotonic()


class FeedService:
    """Subscriptions of chats to feeds, on top of the BriefService (summaries, cache, jobs)."""

    def __init__(
        self,
        service: BriefService,
        repo: FeedsRepository,
        config: FeedsConfig,
        policy: FetchPolicy,
        *,
        poller: Poller | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.repo = repo
        self.config = config
        self.policy = policy
        self._poller = poller or self._fetch
        self.clock = clock
        self._pacer = HostPacer(config.host_interval_seconds)
        self._tick_lock = asyncio.Lock()
        self._delivering: set[int] = set()

    async def _fetch(self, url: str, validators: Validators | None, discover: bool) -> FeedPoll:
        return await poll_feed(url, self.policy, validators, discover=discover)

    def interval(self, announced: float | None) -> float:
        """Seconds between polls: what the feed announces, within the configured bounds."""
        low = self.config.min_interval_minutes * 60.0
        high = self.config.max_interval_minutes * 60.0
        wanted = announced if announced else self.config.default_interval_minutes * 60.0
        return min(high, max(low, wanted))

    # -- what a chat does -----------------------------------------------------------------------

    async def follow(self, chat_id: int, url: str) -> Followed:
        """Follow a feed (or the feed a page links): FetchError when it cannot be read,
        FeedLimitReached past the limit. Starts from now: the backlog is marked seen, except
        the latest ``initial_articles``, which are queued."""
        current = await self.repo.subscriptions(chat_id)
        if len(current) >= self.config.max_feeds_per_chat:
            raise FeedLimitReached(self.config.max_feeds_per_chat)
        async with self._pacer.turn(url):
            poll = await self._poller(url, None, True)
        feed = poll.feed
        assert feed is not None  # an unconditional request cannot be "not modified"
        now = self.clock()
        interval = self.interval(feed.update_seconds)
        feed_id = await self.repo.add_feed(poll.url, feed.title, interval, now)
        await self.repo.record_poll(
            feed_id,
            etag=poll.validators.etag,
            last_modified=poll.validators.last_modified,
            title=feed.title,
            interval_seconds=interval,
            now=now,
        )
        new = await self.repo.subscribe(chat_id, feed_id, now)
        jobs: list[int] = []
        if new:
            latest = feed.entries[: self.config.initial_articles]
            jobs = await self._enqueue(chat_id, feed_id, feed, latest, now)
            backlog = feed.entries[self.config.initial_articles :]
            await self.repo.mark_seen(chat_id, _seen_keys(backlog), now)
        return Followed(feed_id, feed.title, poll.url, new, len(jobs), tuple(jobs))

    async def unfollow(self, chat_id: int, feed_id: int) -> bool:
        return await self.repo.unsubscribe(chat_id, feed_id)

    async def subscriptions(self, chat_id: int) -> list[Subscription]:
        return await self.repo.subscriptions(chat_id)

    async def change(
        self,
        chat_id: int,
        feed_id: int,
        *,
        paused: bool | None = None,
        mode: DeliveryMode | None = None,
    ) -> Subscription | None:
        if mode == "digest" and await self.repo.digest_schedule(chat_id) is None:
            config = self.config
            await self.repo.set_digest_schedule(
                chat_id, config.digest_hours, config.digest_timezone, self.clock()
            )
        return await self.repo.update_subscription(chat_id, feed_id, paused=paused, mode=mode)

    async def set_digest_hours(self, chat_id: int, hours: Iterable[int], timezone: str) -> None:
        """The chat's digest hours (0-23) in an IANA time zone; ValueError if invalid."""
        hours = tuple(hours)
        zone(timezone)
        if not hours or any(not 0 <= h <= 23 for h in hours):
            raise ValueError("digest hours are 0-23")
        await self.repo.set_digest_schedule(chat_id, hours, timezone.strip(), self.clock())

    async def digest_schedule(self, chat_id: int) -> DigestSchedule:
        schedule = await self.repo.digest_schedule(chat_id)
        if schedule is not None:
            return schedule
        config = self.config
        return DigestSchedule(chat_id, config.digest_hours, config.digest_timezone, self.clock())

    # -- the scheduler's work -------------------------------------------------------------------

    async def tick(self, chat: ChatPort) -> TickReport:
        """Poll every due feed (hosts in parallel, each host paced), then deliver every queued
        article. Ticks never overlap; a failure of one feed never stops the others."""
        report = TickReport()
        async with self._tick_lock:
            due = await self.repo.due_feeds(self.clock())
            results = await asyncio.gather(*(self.poll(f, chat) for f in due))
            report.polled = len(due)
            report.failed = sum(1 for queued in results if queued is None)
            report.queued = sum(len(queued or ()) for queued in results)
            report.digests = len(await self.take_due_digests())
            report.delivered = await self.deliver_pending(chat)
        return report

    async def poll(self, feed: FeedState, chat: ChatPort) -> list[int] | None:
        """Poll one feed for all its followers; the delivery jobs queued, or None when the
        poll failed (then it backs off)."""
        try:
            async with self._pacer.turn(feed.url):
                poll = await self._poller(
                    feed.url, Validators(feed.etag, feed.last_modified), False
                )
        except FetchError as exc:
            await self._failed(feed, exc, chat)
            return None
        except Exception:  # one bad feed must never stop the others' polls
            log.exception("Polling feed %s failed", feed.url)
            return None
        return await self._record(feed, poll)

    async def _record(self, feed: FeedState, poll: FeedPoll) -> list[int]:
        now = self.clock()
        announced = poll.feed.update_seconds if poll.feed else None
        interval = self.interval(announced) if poll.feed else feed.interval_seconds
        await self.repo.record_poll(
            feed.id,
            etag=poll.validators.etag or feed.etag,
            last_modified=poll.validators.last_modified or feed.last_modified,
            title=poll.feed.title if poll.feed else None,
            interval_seconds=interval,
            now=now,
        )
        if poll.feed is None:
            return []
        entries = poll.feed.entries[: self.config.max_articles_per_poll]
        queued: list[int] = []
        for sub in await self.repo.followers(feed.id):
            digest = sub.mode == "digest"
            queued += await self._enqueue(sub.chat_id, feed.id, poll.feed, entries, now, digest)
        return queued

    async def take_due_digests(self) -> list[int]:
        """Turn the waiting articles of every chat whose digest hour came into a digest job;
        the new jobs' ids."""
        now = self.clock()
        taken: list[int] = []
        for schedule in await self.repo.waiting_digests():
            if digest_due(schedule, now):
                job_id = await self.repo.take_digest(schedule.chat_id, now)
                if job_id is not None:
                    taken.append(job_id)
        return taken

    async def _enqueue(
        self,
        chat_id: int,
        feed_id: int,
        feed: Feed,
        entries: Iterable[FeedEntry],
        now: float,
        digest: bool = False,
    ) -> list[int]:
        # Oldest first, so a chat reads them in the order they were published.
        articles = [
            NewArticle(e.url, e.content_hash, e.title, feed.title) for e in reversed(list(entries))
        ]
        return await self.repo.enqueue_articles(
            chat_id,
            articles,
            {"feed_id": feed_id},
            daily_limit=self.config.max_articles_per_day,
            now=now,
            digest=digest,
        )

    async def _failed(self, feed: FeedState, exc: FetchError, chat: ChatPort) -> None:
        """Back off (honouring Retry-After); the last allowed failure pauses the feed and
        tells its chats once."""
        now = self.clock()
        backoff = min(
            self.config.max_interval_minutes * 60.0,
            feed.interval_seconds * 2 ** min(feed.failures, 10),
        )
        if isinstance(exc, FeedUnavailable) and exc.retry_after is not None:
            backoff = max(backoff, exc.retry_after)
        log.info("Feed %s failed (%d in a row): %s", feed.url, feed.failures + 1, exc.message)
        state = await self.repo.record_failure(
            feed.id, exc.message, now + backoff, max_failures=self.config.max_failures, now=now
        )
        if state is None or not state.paused or feed.paused:
            return
        for sub in await self.repo.followers(feed.id):
            settings = await self.service.settings(sub.chat_id)
            ui = settings.ui_language or self.service.config.defaults.ui_language
            view = FeedPausedView(state.title, state.url, exc, ui)
            try:
                await chat.send(sub.chat_id, view)
            except ChatUnreachable as exc:
                await self.chat_gone(exc)
            except Exception:  # a chat that blocked the bot must not stop the others
                log.exception("Could not tell chat %s that a feed was paused", sub.chat_id)

    # -- chats that blocked or removed the bot ---------------------------------------------------

    async def chat_gone(self, exc: ChatUnreachable) -> bool:
        """The chat cannot be posted to: its subscriptions rest (not polled for it, its waiting
        deliveries dropped) until ``chat_back``. True when it was reachable until now."""
        paused = await self.repo.mark_unreachable(exc.chat_id, exc.reason, self.clock())
        if paused:
            log.info("Chat %s unreachable (%s): its feeds rest", exc.chat_id, exc.reason)
        return paused

    async def chat_back(self, chat_id: int) -> bool:
        """The chat is back (``/start``, the bot added again): its feeds run again from now,
        as after a first follow (what they published meanwhile is marked seen, not sent in a
        burst). True when they had been resting (the chat is then told so)."""
        subs = await self.repo.subscriptions(chat_id)
        if not any(sub.unreachable for sub in subs):
            return False
        for sub in subs:
            await self._mark_current_seen(chat_id, sub.url)
        back = await self.repo.mark_reachable(chat_id)
        if back:
            log.info("Chat %s is back: its feeds run again", chat_id)
        return back

    async def _mark_current_seen(self, chat_id: int, url: str) -> None:
        try:
            async with self._pacer.turn(url):
                poll = await self._poller(url, None, False)
        except FetchError as exc:  # the next poll finds out again
            log.info("Feed %s not read for chat %s: %s", url, chat_id, exc.message)
            return
        if poll.feed is not None:
            await self.repo.mark_seen(chat_id, _seen_keys(poll.feed.entries), self.clock())

    # -- deliveries -----------------------------------------------------------------------------

    async def deliver_pending(self, chat: ChatPort) -> int:
        """Deliver every unfinished feed job (new ones and those a restart left) in the order
        they were queued. Each new article is summarized once, articles side by side (as many
        as there are workers); a delivery waits only for its own article, then comes from the
        results cache. An article that cannot be fetched is tried once per pass, not per chat."""
        jobs = [
            job
            for job in await self.service.storage.jobs.unfinished_jobs()
            if job.kind in FEED_JOBS and job.id not in self._delivering
        ]
        firsts: dict[str, Job] = {}
        for job in jobs:
            if job.kind == FEED_ARTICLE_JOB:
                firsts.setdefault(str(job.payload["url"]), job)
        failed: set[str] = set()
        workers = asyncio.Semaphore(self.service.config.limits.workers)

        async def warm(url: str, job: Job) -> None:
            async with workers:
                if await self._summary(job, chat) is None:
                    failed.add(url)

        warming = {url: asyncio.ensure_future(warm(url, job)) for url, job in firsts.items()}
        delivered = 0
        try:
            for job in jobs:
                ready = warming.get(str(job.payload.get("url", "")))
                if ready is not None:
                    await ready  # the first chat's summary, then this one from the cache
                delivered += await self.deliver_job(job, chat, failed)
        finally:
            for task in warming.values():
                task.cancel()
            await asyncio.gather(*warming.values(), return_exceptions=True)
        return delivered

    async def deliver_job(
        self, job: Job, chat: ChatPort, failed: Collection[str] = frozenset()
    ) -> bool:
        """Send one article (or digest) to one chat and mark its job done; True when it went
        out. Articles in ``failed`` go out as their linked title without a summary."""
        jobs = self.service.storage.jobs
        if job.id in self._delivering:
            return False
        self._delivering.add(job.id)
        try:
            if job.exhausted:  # it crashed the process before: give up quietly
                await jobs.mark_apologized(job.id)
                return False
            if not await jobs.mark_running(job.id):
                return False
            views: list[View]
            if job.kind == FEED_DIGEST_JOB:
                views = list(await self._digest_views(job, chat))
            else:
                views = [await self._article_view(job, chat, failed)]
            try:
                for view in views:
                    await chat.send(job.chat_id, view)
            except ChatUnreachable as exc:
                await jobs.mark_failed(job.id, str(exc)[:500])
                await self.chat_gone(exc)
                return False
            except Exception as exc:
                log.warning("Could not deliver job %s to chat %s: %r", job.id, job.chat_id, exc)
                await jobs.mark_failed(job.id, f"{type(exc).__name__}: {exc}"[:500])
                return False
            await jobs.mark_done(job.id)
            return True
        except StorageError as exc:
            log.error("Feed delivery %s: %s", job.id, exc.message)
            return False
        finally:
            self._delivering.discard(job.id)

    async def _summary(self, job: Job, chat: ChatPort) -> SummaryView | None:
        """The article's summary for this job's chat (cached by content and settings), or None
        when it cannot be fetched or summarized."""
        url = str(job.payload["url"])
        settings = await self.service.settings(job.chat_id)
        source = Source("url", url)
        try:
            async with asyncio.timeout(self.service.config.limits.job_timeout_seconds):
                return await self.service.summary_view(
                    source.content_key(),
                    functools.partial(self.service.prepare, source, chat),
                    settings.target_languages,
                    SummaryOptions(
                        settings.summary_sentences, algorithm=Algorithm(settings.algorithm)
                    ),
                    show_source=False,
                    ui=settings.ui_language or self.service.config.defaults.ui_language,
                )
        except (BriefbotError, TimeoutError) as exc:
            log.info("Feed article %s not summarized: %r", url, exc)
            return None

    async def _article_view(
        self, job: Job, chat: ChatPort, failed: Collection[str]
    ) -> FeedArticleView:
        payload = job.payload
        url, title = str(payload["url"]), str(payload.get("title") or payload["url"])
        settings = await self.service.settings(job.chat_id)
        ui = settings.ui_language or self.service.config.defaults.ui_language
        summary = None if url in failed else await self._summary(job, chat)
        return FeedArticleView(title, url, str(payload.get("feed_title", "")), summary, ui)

    async def _digest_views(self, job: Job, chat: ChatPort) -> list[FeedDigestView]:
        """The digest's messages: the top articles with their first sentences translated into
        the chat's first language, then the rest as links in messages of bounded size."""
        items = [dict(item) for item in job.payload.get("items", [])]
        settings = await self.service.settings(job.chat_id)
        ui = settings.ui_language or self.service.config.defaults.ui_language
        target = settings.target_languages[0]
        options = SummaryOptions(DIGEST_SENTENCES, algorithm=Algorithm(settings.algorithm))
        top: list[DigestEntry] = []
        for item in items[: self.config.digest_top]:
            source = Source("url", str(item["url"]))
            sentences: tuple[str, ...] = ()
            try:
                async with asyncio.timeout(self.service.config.limits.job_timeout_seconds):
                    result, _hit = await self.service.summarize(
                        source.content_key(),
                        functools.partial(self.service.prepare, source, chat),
                        settings.target_languages,
                        options,
                    )
                lines = result.summaries.get(target) or next(iter(result.summaries.values()), [])
                sentences = tuple(lines[:DIGEST_SENTENCES])
            except (BriefbotError, TimeoutError) as exc:
                log.info("Digest article %s not summarized: %r", item["url"], exc)
            top.append(_digest_entry(item, sentences))
        rest = [_digest_entry(item) for item in items[self.config.digest_top :]]
        chunks = [
            top[i : i + DIGEST_TOP_PER_MESSAGE] for i in range(0, len(top), DIGEST_TOP_PER_MESSAGE)
        ]
        chunks += [
            rest[i : i + DIGEST_LINKS_PER_MESSAGE]
            for i in range(0, len(rest), DIGEST_LINKS_PER_MESSAGE)
        ]
        return [
            FeedDigestView(tuple(chunk), len(items), number == 0, ui)
            for number, chunk in enumerate(chunks)
        ]


def _seen_keys(entries: Iterable[FeedEntry]) -> list[str]:
    """What marks articles as known to a chat: their canonical URLs and content hashes."""
    return [key for e in entries for key in (e.url, f"hash:{e.content_hash}")]


def _digest_entry(item: dict[str, object], sentences: tuple[str, ...] = ()) -> DigestEntry:
    return DigestEntry(
        str(item.get("title") or item["url"]),
        str(item["url"]),
        str(item.get("feed_title", "")),
        sentences,
    )
