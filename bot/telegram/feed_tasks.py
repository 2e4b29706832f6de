"""Feeds in the scaled mode: polls and deliveries are procrastinate tasks in the same queue as
the requests, run by whichever worker is free.

- ``feeds_tick`` is a periodic task (every ``[feeds] tick_seconds``; procrastinate defers it
  once per period for all workers): it defers a ``feed_poll`` per due feed, the due digests,
  and a delivery for every feed job queued over a minute ago without a task (one whose defer
  a crash lost; a job whose task waits is not queued twice: the task's queueing lock).
- ``feed_poll`` polls one feed for all its chats and defers their deliveries. Its queueing
  lock (the feed) keeps a feed from waiting in the queue twice, its lock (the feed's host)
  keeps two workers from polling it, or any feed of the same site, at once; a poll that finds
  the feed no longer due (polled meanwhile) does nothing.
- ``feed_delivery`` sends one article (or digest) to one chat: the durable ``jobs`` row says
  whether it went out, so a retry after a worker died mid-delivery sends it once. Deliveries
  of one article share a lock: the first summarizes it, the others read the results cache
  (one fetch and one summary per article, however many chats follow it).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

from bot.core.feed_records import FEED_ARTICLE_JOB, FEED_JOBS
from bot.core.feeds import FeedService
from bot.core.records import Job
from bot.storage.job_queue import QUEUE_NAME
from bot.telegram.chat import TelegramChat
from bot.telegram.feed_chat import FeedChat

if TYPE_CHECKING:
    from bot.telegram.worker import Scaled

log = logging.getLogger(__name__)

TICK_TASK = "briefbot.feeds_tick"
POLL_TASK = "briefbot.feed_poll"
DELIVERY_TASK = "briefbot.feed_delivery"
#: procrastinate runs higher priorities first: people waiting for answers go before feeds,
#: and a poll (cheap, it unlocks deliveries) before the deliveries (summaries) of others.
POLL_PRIORITY = -5
DELIVERY_PRIORITY = -10
FEED_RETRIES = 5
#: A queued feed job older than this without a waiting task lost its defer in a crash.
SWEEP_AFTER_SECONDS = 60.0


def tick_cron(seconds: int) -> str:
    """A cron line (seconds as procrastinate's 6th field) for one tick every ``seconds``."""
    if seconds < 60:
        return f"* * * * * */{max(1, seconds)}"
    minutes = max(1, round(seconds / 60))
    return f"*/{minutes} * * * *" if minutes < 60 else "0 * * * *"


def delivery_lock(job: Job) -> str:
    """Deliveries of one article wait for each other (one summary, then cache hits); a digest
    goes in its chat's order."""
    if job.kind == FEED_ARTICLE_JOB:
        digest = hashlib.sha256(str(job.payload.get("url", "")).encode()).hexdigest()[:20]
        return f"feed-article:{digest}"
    return f"chat:{job.chat_id}"


async def _defer(
    app: procrastinate.App,
    task: str,
    *,
    lock: str,
    queueing_lock: str,
    priority: int = DELIVERY_PRIORITY,
    **kwargs: Any,
) -> bool:
    """Defer ``task`` unless one with the same queueing lock is waiting already."""
    deferrer = app.configure_task(
        task, queue=QUEUE_NAME, lock=lock, queueing_lock=queueing_lock, priority=priority
    )
    try:
        await deferrer.defer_async(**kwargs)
    except AlreadyEnqueued:
        return False
    return True


async def defer_jobs(app: procrastinate.App, jobs: Iterable[Job]) -> int:
    """A delivery task for each feed job; how many were not waiting already."""
    deferred = 0
    for job in jobs:
        lock, key = delivery_lock(job), f"feed-job:{job.id}"
        deferred += await _defer(app, DELIVERY_TASK, lock=lock, queueing_lock=key, job_id=job.id)
    return deferred


async def defer_deliveries(scaled: Scaled, job_ids: Iterable[int]) -> int:
    """Queue the deliveries of freshly recorded feed jobs (the ingress after /follow, a poll)."""
    jobs = [job for i in job_ids if (job := await scaled.storage.jobs.get_job(i)) is not None]
    return await defer_jobs(scaled.app, jobs)


def register_feed_tasks(scaled: Scaled, feeds: FeedService, chat: TelegramChat) -> None:
    """The feed tasks of this worker process (before its worker starts)."""
    app, port = scaled.app, FeedChat(chat)
    retry = procrastinate.RetryStrategy(max_attempts=FEED_RETRIES, exponential_wait=2)

    async def feeds_tick(timestamp: int) -> None:
        due = await feeds.repo.due_feeds(feeds.clock())
        for feed in due:
            host = (urlsplit(feed.url).hostname or "").lower()
            await _defer(
                app,
                POLL_TASK,
                lock=f"feed-host:{host}",
                queueing_lock=f"feed:{feed.id}",
                priority=POLL_PRIORITY,
                feed_id=feed.id,
            )
        digests = await defer_deliveries(scaled, await feeds.take_due_digests())
        # A crash between recording a job and deferring it left it without a task (younger
        # ones have theirs: deferred right after they were recorded).
        before = feeds.clock() - SWEEP_AFTER_SECONDS
        waiting = [
            job
            for job in await scaled.storage.jobs.unfinished_jobs()
            if job.kind in FEED_JOBS and job.status == "queued" and job.created_at < before
        ]
        swept = await defer_jobs(app, waiting)
        if due or digests or swept:
            log.info(
                "Feeds tick: %d due, %d digests, %d deliveries queued", len(due), digests, swept
            )

    async def feed_poll(feed_id: int) -> None:
        feed = await feeds.repo.get_feed(feed_id)
        if feed is None or feed.paused or feed.next_poll_at > feeds.clock():
            return  # unfollowed, paused, or polled since this task was queued
        log.info("Polling feed %s", feed.url)
        jobs = await feeds.poll(feed, port)
        if jobs:
            await defer_deliveries(scaled, jobs)

    async def feed_delivery(job_id: int) -> None:
        job = await scaled.storage.jobs.get_job(job_id)
        if job is None or job.finished:
            return  # delivered by an earlier attempt, or dropped (the chat blocked the bot)
        log.info("Delivering feed job %s (attempt %d)", job_id, job.attempts + 1)
        with scaled.working_on(job_id):
            await feeds.deliver_job(job, port)

    tick = app.task(
        name=TICK_TASK,
        queue=QUEUE_NAME,
        lock=TICK_TASK,
        queueing_lock=TICK_TASK,
        priority=POLL_PRIORITY,
    )(feeds_tick)
    app.periodic(cron=tick_cron(feeds.config.tick_seconds), periodic_id="feeds")(tick)
    app.task(name=POLL_TASK, queue=QUEUE_NAME, retry=retry)(feed_poll)
    app.task(name=DELIVERY_TASK, queue=QUEUE_NAME, retry=retry)(feed_delivery)
