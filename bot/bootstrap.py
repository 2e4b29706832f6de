"""Builds Briefbot's parts from a Config: executor, engine, pipeline, storage and service.

Every front end starts here (the Telegram application's ``post_init``, the CLI, benchmarks and
tests), so they all behave alike and close what they opened.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

from bot.config import Config
from bot.core.feeds import FeedService
from bot.core.inline_jobs import InlineJobs
from bot.core.ports import FeedsStoragePort, StoragePort
from bot.core.resize_jobs import ResizeJobs
from bot.core.service import BriefService
from bot.storage import open_storage
from bot.storage.pg_translation_memory import PostgresTranslationMemory
from bot.storage.translation_memory import SqliteTranslationMemory
from translation import (
    Pipeline,
    TranslationEngine,
    configure_packages_dir,
)
from translation.models.memory import (
    LayeredTranslationMemory,
    LruTranslationMemory,
    TranslationMemory,
)

log = logging.getLogger(__name__)


def translation_memory(config: Config) -> TranslationMemory:
    """Recently translated sentences in memory, in front of the bot's SQLite file (which it
    never creates: a CLI run without the bot's database gets the in-memory part only), or of
    the PostgreSQL database every worker shares (the scaled mode)."""
    back: TranslationMemory
    if config.storage.url:
        back = PostgresTranslationMemory(config.storage.url)
    else:
        back = SqliteTranslationMemory(config.storage.path)
    return LayeredTranslationMemory(LruTranslationMemory(), back)


def build_engine(config: Config, *, memory: TranslationMemory | None = None) -> TranslationEngine:
    configure_packages_dir(config.models.packages_dir)
    return TranslationEngine(
        config.models.packages_dir,
        config.translation,
        memory=memory if memory is not None else translation_memory(config),
    )


def build_pipeline(
    config: Config,
    executor: ThreadPoolExecutor | None = None,
    engine: TranslationEngine | None = None,
) -> Pipeline:
    return Pipeline(
        engine or build_engine(config),
        fetch_policy=config.fetch,
        limits=config.limits,
        executor=executor,
    )


class Core:
    """The platform-neutral core of one process: built at once (cheap), started in the event
    loop (storage, ``[models] install`` unless ``install_models`` is off: one-shot CLI
    commands), closed at the end. Parts passed in (tests share an
    engine, a pipeline or a storage) are used and left open; parts made here are closed."""

    def __init__(
        self,
        config: Config,
        *,
        engine: TranslationEngine | None = None,
        pipeline: Pipeline | None = None,
        storage: StoragePort | None = None,
        progress_delay: float = 2.0,
        install_models: bool = True,
    ) -> None:
        self.config = config
        self.progress_delay = progress_delay
        self._install_models = install_models
        self.executor = ThreadPoolExecutor(config.limits.workers, thread_name_prefix="briefbot-cpu")
        self._owns_engine = pipeline is None and engine is None
        self.pipeline = pipeline or build_pipeline(config, self.executor, engine)
        self._storage = storage
        self._owns_storage = storage is None
        self._service: BriefService | None = None
        self._feeds: FeedService | None = None

    @property
    def engine(self) -> TranslationEngine:
        return self.pipeline.engine

    @property
    def service(self) -> BriefService:
        if self._service is None:
            raise RuntimeError("the core is not started")
        return self._service

    @property
    def feeds(self) -> FeedService:
        """Feed subscriptions; needs a storage that keeps them (``FeedsStoragePort``)."""
        if self._feeds is None:
            raise RuntimeError("the core is not started or its storage keeps no feeds")
        return self._feeds

    async def start(self) -> BriefService:
        """Open storage, make the service and install ``[models] install`` (failures are
        logged: the bot still starts and says what is missing)."""
        if self._service is not None:
            return self._service
        if self._storage is None:
            self._storage = await open_storage(self.config)
        self._service = BriefService(
            pipeline=self.pipeline,
            storage=self._storage,
            config=self.config,
            executor=self.pipeline.executor or self.executor,
            progress_delay=self.progress_delay,
        )
        InlineJobs(self._service).register()
        ResizeJobs(self._service).register()
        if isinstance(self._storage, FeedsStoragePort):
            policy = dataclasses.replace(
                self.config.fetch, max_bytes=self.config.feeds.max_feed_bytes
            )
            self._feeds = FeedService(self._service, self._storage.feeds, self.config.feeds, policy)
        if self._install_models and self.config.models.install:
            for result in await self._service.install_models(
                self.config.models.install, skip_installed=True
            ):
                if result.error:
                    log.error("Could not install model %s: %s", result.item, result.error)
                elif result.packages:
                    log.info("Installed %s", ", ".join(p.code for p in result.packages))
        return self._service

    async def close(self) -> None:
        if self._service is not None:
            await asyncio.to_thread(self._service.prefetcher.close)
        self._service = None
        self._feeds = None
        if self._owns_storage and self._storage is not None:
            await self._storage.close()
            self._storage = None
        await asyncio.to_thread(self.executor.shutdown, wait=True, cancel_futures=True)
        if self._owns_engine:
            self.pipeline.engine.close()

    async def __aenter__(self) -> Core:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
