"""The scaled mode's workers: procrastinate claims a queued job, the service runs it (the same
``BriefService.resume`` a restart uses) and the answer goes out through ``TelegramChat``.

``briefbot worker`` runs them with a plain Bot (PTB's rate limiter, no Application); ``briefbot
run`` with a PostgreSQL url runs them next to the ingress, on the Application's bot. A job whose
worker died (no heartbeat for ``stalled_after`` seconds) is put back in the queue by any live
worker; its retry edits the progress message the ingress sent, so it never answers twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field

import procrastinate
from procrastinate.exceptions import ProcrastinateException
from telegram.ext import AIORateLimiter, ExtBot

from bot.bootstrap import Core
from bot.config import Config, ConfigError
from bot.core.feeds import FeedService
from bot.core.queued import QueuedIntake
from bot.core.service import BriefService
from bot.metrics import RETRIES, MeteredStorage, watch_queue_depth
from bot.storage import Storage
from bot.storage.job_queue import (
    QUEUE_NAME,
    TASK_NAME,
    ProcrastinateQueue,
    ensure_queue_schema,
    make_app,
)
from bot.storage.postgres import PostgresDatabase
from bot.telegram.callback_data import CallbackCodec, derive_secret
from bot.telegram.chat import TelegramChat
from bot.telegram.feed_tasks import register_feed_tasks
from bot.telegram.logging_setup import setup_logging
from bot.telegram.transport import RetryingRequest
from translation import preload_detectors

log = logging.getLogger(__name__)

DEFAULT_STALLED_AFTER = 30.0
JOB_RETRIES = 5


def scaled_storage(service: BriefService) -> tuple[Storage, PostgresDatabase]:
    storage = service.storage
    if not isinstance(storage, Storage) or not isinstance(storage.db, PostgresDatabase):
        raise ConfigError('the ingress and workers need [storage] url = "postgresql://…"')
    return storage, storage.db


@dataclass
class Scaled:
    """This process's part of the scaled mode: the queue, and workers when it runs them."""

    app: procrastinate.App
    queue: ProcrastinateQueue
    storage: Storage
    depth: asyncio.Task[None]
    workers: asyncio.Task[None] | None = None
    #: Briefbot job ids this process works on now: never "stalled" while this process runs
    #: its sweeper (a late heartbeat on a busy machine is not a dead worker).
    running: set[int] = field(default_factory=set)

    @contextlib.contextmanager
    def working_on(self, job_id: int) -> Iterator[None]:
        """While this process works on the job (the sweeper leaves it alone)."""
        self.running.add(job_id)
        try:
            yield
        finally:
            self.running.discard(job_id)

    async def close(self) -> None:
        for task in (self.workers, self.depth):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.app.close_async()


async def open_scaled(service: BriefService, url: str) -> Scaled:
    """Create the queue schema when missing, open procrastinate and route submissions to it;
    the service's statistics are counted for ``/metrics`` from here on."""
    storage, db = scaled_storage(service)
    await ensure_queue_schema(db)
    app = make_app(url)
    await app.open_async()
    queue = ProcrastinateQueue(app, db)
    service.intake = QueuedIntake(service, queue, storage.rate_limits)
    service.storage = MeteredStorage(storage)
    depth = asyncio.create_task(watch_queue_depth(queue.waiting), name="briefbot-queue-depth")
    return Scaled(app, queue, storage, depth)


def register_task(scaled: Scaled, service: BriefService, chat: TelegramChat) -> None:
    storage = scaled.storage

    async def run_job(job_id: int) -> None:
        job = await storage.jobs.get_job(job_id)
        if job is None:
            log.warning("Job %s is gone (pruned?); nothing to do", job_id)
            return
        log.info("Working on job %s (attempt %d)", job_id, job.attempts + 1)
        with scaled.working_on(job_id):
            await service.resume(job, chat)

    # An exception (the database gone for a moment) is retried with a growing wait; the job
    # table's forward-only status keeps a retry from answering twice.
    retry = procrastinate.RetryStrategy(max_attempts=JOB_RETRIES, exponential_wait=2)
    scaled.app.task(name=TASK_NAME, queue=QUEUE_NAME, retry=retry)(run_job)


async def requeue_stalled(scaled: Scaled, stalled_after: float) -> None:
    """Put the jobs of workers without a heartbeat for ``stalled_after`` seconds back in the
    queue, forever (procrastinate finds them; retrying is left to the application)."""
    manager = scaled.app.job_manager
    while True:
        await asyncio.sleep(max(0.5, stalled_after / 3))
        try:
            stalled = await manager.get_stalled_jobs(
                queue=QUEUE_NAME, seconds_since_heartbeat=stalled_after
            )
            for job in stalled:
                if job.task_kwargs.get("job_id") in scaled.running:
                    continue
                with contextlib.suppress(ProcrastinateException):  # another worker was first
                    await manager.retry_job(job)
                    RETRIES.inc()
                    log.warning("Job %s stalled (its worker died); queued it again", job.id)
        except ProcrastinateException as exc:
            log.error("Could not look for stalled jobs: %s", exc)


async def work(scaled: Scaled, *, concurrency: int, stalled_after: float) -> None:
    """Run procrastinate's worker and the stalled-job sweeper until cancelled (or a signal)."""
    sweeper = asyncio.create_task(requeue_stalled(scaled, stalled_after))
    try:
        await scaled.app.run_worker_async(
            queues=[QUEUE_NAME],
            concurrency=concurrency,
            update_heartbeat_interval=max(0.2, stalled_after / 5),
            stalled_worker_timeout=stalled_after,
            fetch_job_polling_interval=1.0,
            delete_jobs="successful",
            install_signal_handlers=False,
        )
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper


def start_workers(
    scaled: Scaled,
    service: BriefService,
    chat: TelegramChat,
    *,
    concurrency: int,
    stalled_after: float = DEFAULT_STALLED_AFTER,
    feeds: FeedService | None = None,
) -> None:
    """Workers inside this process (``briefbot run`` on PostgreSQL: both roles in one)."""
    register_task(scaled, service, chat)
    if feeds is not None:
        register_feed_tasks(scaled, feeds, chat)
    scaled.workers = asyncio.create_task(
        work(scaled, concurrency=concurrency, stalled_after=stalled_after), name="briefbot-workers"
    )


def make_bot(config: Config) -> ExtBot[int]:
    """The answer path of a worker process: PTB's rate limiter and the retrying transport."""
    return ExtBot(
        config.telegram.require_token(),
        base_url=config.telegram.bot_api_url,
        base_file_url=config.telegram.file_api_url,
        request=RetryingRequest(
            connection_pool_size=32,
            read_timeout=15.0,
            write_timeout=20.0,
            budget_seconds=config.telegram.retry_seconds,
        ),
        rate_limiter=AIORateLimiter(max_retries=3),
    )


async def serve_workers(config: Config, *, concurrency: int, stalled_after: float) -> None:
    """``briefbot worker``: load the models, then work on queued jobs until SIGINT/SIGTERM."""
    url = config.storage.url
    if not url:
        raise ConfigError('briefbot worker needs [storage] url = "postgresql://…"')
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with Core(config) as core:
        service = core.service
        storage, _db = scaled_storage(service)
        # Built before the first job, as ``briefbot run`` does, not in the middle of one.
        await loop.run_in_executor(core.executor, preload_detectors)
        bot = make_bot(config)
        async with bot:
            codec = CallbackCodec(derive_secret(config.telegram.require_token()))
            chat = TelegramChat(bot, codec, storage.migrate_chat, config.limits, core.executor)
            chat.owners = frozenset(config.telegram.owners)
            scaled = await open_scaled(service, url)
            try:
                register_task(scaled, service, chat)
                register_feed_tasks(scaled, core.feeds, chat)
                worker = asyncio.create_task(
                    work(scaled, concurrency=concurrency, stalled_after=stalled_after)
                )
                log.info("Worker ready (%d at once) on %s", concurrency, storage.db.location)
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not worker.done():
                    worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            finally:
                await scaled.close()


def run_worker(config: Config, *, concurrency: int, stalled_after: float) -> None:
    token = config.telegram.require_token()
    setup_logging(config.logging.level, [token, config.telegram.webhook_secret or ""])
    asyncio.run(serve_workers(config, concurrency=concurrency, stalled_after=stalled_after))
