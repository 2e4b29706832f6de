"""The scaled mode's workers: procrastinate claims a queued job, the service runs it (the same
``BriefService.resume`` a restart uses) and the answer goes out through ``TelegramChat``.

``briefbot worker`` runs them with a plain Bot (PTB's rate limiter, no Application); ``briefbot
run`` with a PostgreSQL url runs them next to the ingress, on the Application's bot. A job whose
worker died (no heartbeat for ``stalled_after`` seconds) is put back in the queue by any live
worker; its retry edits the progress message the ingress sent, so it never answers twice, and
sends only the parts of a long answer not sent yet (``DeliveredParts``).

Workers publish the models version they serve (``WorkerRegistry``); an ingress keys the results
cache with it, so it answers hits itself, and keeps queued users' places in line up to date.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import procrastinate
from procrastinate.exceptions import ProcrastinateException
from telegram.ext import AIORateLimiter, ExtBot

from bot.bootstrap import Core
from bot.config import Config, ConfigError
from bot.core.errors import StorageError
from bot.core.feeds import FeedService
from bot.core.positions import PositionRefresher
from bot.core.queued import QueuedIntake, current_job
from bot.core.requests import TranslationRequest, request_from_payload
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
from bot.storage.queue_positions import PgWaitingBoard
from bot.storage.scaled_state import DeliveredParts, FullTranslationClaims, WorkerRegistry
from bot.telegram.callback_data import CallbackCodec, derive_secret
from bot.telegram.chat import TelegramChat
from bot.telegram.feed_tasks import register_feed_tasks
from bot.telegram.logging_setup import setup_logging
from bot.telegram.transport import RetryingRequest
from translation import preload_detectors

log = logging.getLogger(__name__)

DEFAULT_STALLED_AFTER = 30.0
JOB_RETRIES = 5
#: How often a worker refreshes its entry (models version, concurrency) in the shared table,
#: and how often an ingress reads it.
PUBLISH_SECONDS = 30.0
FOLLOW_SECONDS = 5.0


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
    db: PostgresDatabase
    workers: asyncio.Task[None] | None = None
    #: Briefbot job ids this process works on now: never "stalled" while this process runs
    #: its sweeper (a late heartbeat on a busy machine is not a dead worker).
    running: set[int] = field(default_factory=set)
    #: The ingress's and the workers' periodic tasks (models version, places in line).
    chores: list[asyncio.Task[None]] = field(default_factory=list)
    #: This process's entry in the workers table (when it runs workers).
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    @property
    def registry(self) -> WorkerRegistry:
        return WorkerRegistry(self.db)

    @contextlib.contextmanager
    def working_on(self, job_id: int) -> Iterator[None]:
        """While this process works on the job (the sweeper leaves it alone)."""
        self.running.add(job_id)
        try:
            yield
        finally:
            self.running.discard(job_id)

    async def close(self) -> None:
        for task in (self.workers, self.depth, *self.chores):
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
    service.intake = QueuedIntake(service, queue, storage.rate_limits, FullTranslationClaims(db))
    service.storage = MeteredStorage(storage)
    depth = asyncio.create_task(watch_queue_depth(queue.waiting), name="briefbot-queue-depth")
    return Scaled(app, queue, storage, depth, db)


def start_ingress(
    scaled: Scaled, service: BriefService, chat: TelegramChat, *, follow_models: bool
) -> None:
    """The ingress's chores: keep queued users' places in line up to date and (without
    models of its own) key the results cache with the version the workers publish."""
    board = PgWaitingBoard(scaled.db)
    refresher = PositionRefresher(board, chat, edit_interval=service.progress_edit_interval)
    scaled.chores.append(asyncio.create_task(refresher.run(), name="briefbot-positions"))
    if follow_models:
        scaled.chores.append(
            asyncio.create_task(_follow_models(scaled, service), name="briefbot-follow-models")
        )


async def _follow_models(scaled: Scaled, service: BriefService) -> None:
    while True:
        try:
            version = await scaled.registry.models_version()
        except StorageError as exc:
            log.warning("Could not read the workers' models version: %s", exc.message)
        else:
            if version is not None and version != service.models_version:
                log.info("Keying the results cache by the workers' models (%s)", version)
                service.use_models_version(version)
        await asyncio.sleep(FOLLOW_SECONDS)


async def _publish_models(scaled: Scaled, service: BriefService, concurrency: int) -> None:
    while True:
        try:
            await scaled.registry.publish(scaled.name, service.models_version, concurrency)
        except StorageError as exc:
            log.warning("Could not publish this worker's models version: %s", exc.message)
        await asyncio.sleep(PUBLISH_SECONDS)


async def _settle_full_translation(
    scaled: Scaled, service: BriefService, job_id: int, payload: dict[str, object]
) -> None:
    """A full translation's job finished: later presses are told it is posted, or (failed)
    may ask again."""
    intake = service.intake
    job = await scaled.storage.jobs.get_job(job_id)
    if intake is None or intake.once is None or job is None or not job.finished:
        return
    with contextlib.suppress(KeyError, TypeError, ValueError):
        request = request_from_payload(payload)
        dest = request.destination
        if isinstance(request, TranslationRequest) and dest.reply_to is not None:
            posted = job.status == "done"
            await intake.once.settle(dest.chat_id, dest.reply_to, request.target, posted=posted)


def register_task(
    scaled: Scaled, service: BriefService, chat: TelegramChat, concurrency: int
) -> None:
    """Run queued jobs here; the workers table says which models this process serves."""
    storage = scaled.storage
    chat.parts = DeliveredParts(scaled.db)
    service.place_taken = PgWaitingBoard(scaled.db).taken
    scaled.chores.append(
        asyncio.create_task(
            _publish_models(scaled, service, concurrency), name="briefbot-publish-models"
        )
    )

    async def run_job(job_id: int) -> None:
        job = await storage.jobs.get_job(job_id)
        if job is None:
            log.warning("Job %s is gone (pruned?); nothing to do", job_id)
            return
        log.info("Working on job %s (attempt %d)", job_id, job.attempts + 1)
        token = current_job.set(job_id)
        try:
            with scaled.working_on(job_id):
                await service.resume(job, chat)
        finally:
            current_job.reset(token)
        if job.kind == "translation":
            try:
                await _settle_full_translation(scaled, service, job_id, job.payload)
            except StorageError as exc:  # the claim stays "running": presses get a pop-up
                log.warning("Could not settle job %s's full translation: %s", job_id, exc.message)

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
    register_task(scaled, service, chat, concurrency)
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
                register_task(scaled, service, chat, concurrency)
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
