"""Durable state: chat settings, results cache, jobs and statistics.

In one SQLite file by default (``Storage.open``), or in a PostgreSQL database shared by several
processes (``Storage.open_postgres``); ``open_storage(config)`` picks by ``[storage]``. Either
way the database is migrated at open and the same stores (written once against ``bot.storage.sql``)
hand out one repository per concern; every failure surfaces as ``StorageError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.storage import sql
from bot.storage.answers_store import AnswersStore
from bot.storage.database import DEFAULT_BUSY_TIMEOUT_MS, Database
from bot.storage.errors import StorageError
from bot.storage.feeds_store import FeedsStore, move_chat_feeds
from bot.storage.jobs_store import MAX_ATTEMPTS, Job, JobsStore, JobStatus, move_unfinished_jobs
from bot.storage.rate_limits import RateLimitStore
from bot.storage.results_cache import ResultsCache, make_cache_key
from bot.storage.settings_store import (
    ChatSettings,
    SettingsDefaults,
    SettingsStore,
    move_chat_settings,
)
from bot.storage.stats_store import StatsStore, StatsSummary, move_chat_requests

if TYPE_CHECKING:
    from bot.config import Config

__all__ = [
    "MAX_ATTEMPTS",
    "AnswersStore",
    "ChatSettings",
    "Database",
    "Job",
    "JobStatus",
    "JobsStore",
    "RateLimitStore",
    "ResultsCache",
    "SettingsDefaults",
    "SettingsStore",
    "StatsStore",
    "StatsSummary",
    "Storage",
    "StorageError",
    "make_cache_key",
    "migrate_storage",
    "open_storage",
]

FINISHED_JOB_RETENTION_SECONDS = 7 * 86400.0


@dataclass(frozen=True)
class Storage:
    db: sql.Database
    settings: SettingsStore
    cache: ResultsCache
    jobs: JobsStore
    stats: StatsStore
    rate_limits: RateLimitStore
    feeds: FeedsStore
    answers: AnswersStore

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        cache_max_entries: int = 5000,
        cache_ttl_seconds: float = 30 * 86400.0,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        answers_window_seconds: float = 48 * 3600.0,
        answers_max_entries: int = 10_000,
    ) -> Storage:
        """Open and migrate the SQLite file, then drop what outlived its retention period."""
        db = await Database.open(path, busy_timeout_ms=busy_timeout_ms)
        return await cls.attach(
            db, cache_max_entries, cache_ttl_seconds, answers_window_seconds, answers_max_entries
        )

    @classmethod
    async def open_postgres(
        cls,
        url: str,
        *,
        cache_max_entries: int = 5000,
        cache_ttl_seconds: float = 30 * 86400.0,
        pool_size: int = 10,
        answers_window_seconds: float = 48 * 3600.0,
        answers_max_entries: int = 10_000,
    ) -> Storage:
        """Connect to and migrate the PostgreSQL database at ``url``, then prune as ``open``."""
        from bot.storage.postgres import PostgresDatabase  # psycopg only when configured

        db = await PostgresDatabase.open(url, pool_size=pool_size)
        return await cls.attach(
            db, cache_max_entries, cache_ttl_seconds, answers_window_seconds, answers_max_entries
        )

    @classmethod
    async def attach(
        cls,
        db: sql.Database,
        cache_max_entries: int,
        cache_ttl_seconds: float,
        answers_window_seconds: float = 48 * 3600.0,
        answers_max_entries: int = 10_000,
    ) -> Storage:
        """The stores over an open database; closes it if the start-up pruning fails."""
        storage = cls(
            db=db,
            settings=SettingsStore(db),
            cache=ResultsCache(db, max_entries=cache_max_entries, ttl_seconds=cache_ttl_seconds),
            jobs=JobsStore(db),
            stats=StatsStore(db),
            rate_limits=RateLimitStore(db),
            feeds=FeedsStore(db),
            answers=AnswersStore(
                db, window_seconds=answers_window_seconds, max_entries=answers_max_entries
            ),
        )
        try:
            await storage.jobs.prune_finished(FINISHED_JOB_RETENTION_SECONDS)
            await storage.stats.prune()
        except BaseException:
            await db.close()
            raise
        return storage

    async def close(self) -> None:
        await self.db.close()

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: settings, pending jobs, statistics and feeds follow it.

        Idempotent (Telegram reports the migration in both chats). If the new chat already has
        settings of its own, those win.
        """
        if old_chat_id == new_chat_id:
            return
        async with self.db.transaction() as tx:
            await move_chat_settings(tx, old_chat_id, new_chat_id)
            await move_unfinished_jobs(tx, old_chat_id, new_chat_id)
            await move_chat_requests(tx, old_chat_id, new_chat_id)
            await move_chat_feeds(tx, old_chat_id, new_chat_id)


async def open_storage(config: Config) -> Storage:
    """Storage as ``[storage]`` and ``[cache]`` configure it: PostgreSQL if a url is set."""
    if config.storage.url:
        return await Storage.open_postgres(
            config.storage.url,
            cache_max_entries=config.cache.max_entries,
            cache_ttl_seconds=config.cache.ttl_seconds,
            pool_size=config.storage.pool_size,
            answers_window_seconds=config.limits.edit_window_hours * 3600.0,
            answers_max_entries=config.limits.edit_window_answers,
        )
    return await Storage.open(
        config.storage.path,
        cache_max_entries=config.cache.max_entries,
        cache_ttl_seconds=config.cache.ttl_seconds,
        answers_window_seconds=config.limits.edit_window_hours * 3600.0,
        answers_max_entries=config.limits.edit_window_answers,
    )


async def migrate_storage(config: Config) -> tuple[str, int]:
    """Bring the configured database's schema up to date (as every start does).

    Returns where it is (without a password) and its schema version.
    """
    storage = await open_storage(config)
    try:
        if config.storage.url:  # the job queue lives in the same database
            from bot.storage.job_queue import ensure_queue_schema
            from bot.storage.postgres import PostgresDatabase

            assert isinstance(storage.db, PostgresDatabase)
            await ensure_queue_schema(storage.db)
        return storage.db.location, await storage.db.schema_version()
    finally:
        await storage.close()
