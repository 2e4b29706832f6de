"""The scaled mode's job queue: procrastinate in the same PostgreSQL database as Briefbot's tables.

Recording a job (``jobs``), remembering its delivery key and deferring the procrastinate task
happen in one transaction, so a crash never leaves a recorded job unqueued or a queued job
unrecorded. Jobs of one chat share a procrastinate ``lock`` (answered in order); auto-mode group
jobs have a lower priority than requests somebody asked for.
"""

from __future__ import annotations

import logging
import time

import procrastinate
from procrastinate.exceptions import ProcrastinateException
from procrastinate.schema import SchemaManager

from bot.core.requests import QueuedRequest, request_to_payload
from bot.storage.errors import StorageError
from bot.storage.jobs_store import insert_job
from bot.storage.postgres import PostgresDatabase, PostgresSession
from bot.storage.scaled_state import create_scaled_tables

log = logging.getLogger(__name__)

TASK_NAME = "briefbot.run_job"
QUEUE_NAME = "briefbot"
#: procrastinate runs higher priorities first.
ASKED_PRIORITY = 10
AUTO_PRIORITY = 0
#: ``pg_advisory_xact_lock`` key held while the queue schema is created ("bbqueue" in ASCII).
QUEUE_SCHEMA_LOCK_KEY = 0x62627175657565
KEYS_TABLE = "briefbot_delivery_keys"
#: Telegram redelivers an unconfirmed update for at most a day; keys are kept a week.
KEY_RETENTION_SECONDS = 7 * 86400.0


def make_app(url: str, pool_size: int = 4) -> procrastinate.App:
    """A procrastinate App on the database at ``url`` (opened by the caller)."""
    connector = procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=pool_size)
    return procrastinate.App(connector=connector)


async def ensure_queue_schema(db: PostgresDatabase) -> bool:
    """Create procrastinate's schema and the delivery-key table when missing (once, under an
    advisory lock, as concurrent starts do); True when it was created now."""
    async with db.transaction() as tx:
        await tx.execute("SELECT pg_advisory_xact_lock(?)", (QUEUE_SCHEMA_LOCK_KEY,))
        row = await tx.fetchone("SELECT to_regclass('procrastinate_jobs') IS NULL")
        created = bool(row is not None and row[0])
        if created:
            # Run as is (no parameters): procrastinate's SQL is not written for placeholders.
            await tx.connection.execute(SchemaManager.get_schema().encode())
            log.info("%s: created procrastinate's job queue schema", db.location)
        await tx.execute(
            f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (key TEXT PRIMARY KEY, "
            "job_id BIGINT, at DOUBLE PRECISION NOT NULL)"
        )
        await tx.execute(
            f"DELETE FROM {KEYS_TABLE} WHERE at < ?", (time.time() - KEY_RETENTION_SECONDS,)
        )
        await create_scaled_tables(tx, time.time())
    return created


class ProcrastinateQueue:
    """The core's ``JobQueue`` on procrastinate."""

    def __init__(self, app: procrastinate.App, db: PostgresDatabase) -> None:
        self.app = app
        self._db = db

    async def waiting(self) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM procrastinate_jobs WHERE queue_name = ? AND status = 'todo'",
            (QUEUE_NAME,),
        )
        return int(row[0]) if row is not None else 0

    async def seen(self, key: str) -> bool:
        row = await self._db.fetchone(f"SELECT 1 FROM {KEYS_TABLE} WHERE key = ?", (key,))
        return row is not None

    async def claim_key(self, key: str) -> bool:
        return bool(
            await self._db.execute(
                f"INSERT INTO {KEYS_TABLE} (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, time.time()),
            )
        )

    async def ahead(self, *, auto: bool) -> int:
        """Queued jobs of this or a higher priority: procrastinate takes the highest priority
        first, and the oldest of one priority (ids grow)."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM procrastinate_jobs "
            "WHERE queue_name = ? AND status = 'todo' AND priority >= ?",
            (QUEUE_NAME, AUTO_PRIORITY if auto else ASKED_PRIORITY),
        )
        return int(row[0]) if row is not None else 0

    async def enqueue(
        self,
        request: QueuedRequest,
        *,
        key: str | None,
        progress_message_id: int | None,
        position: int | None = 0,
    ) -> int | None:
        dest = request.destination
        async with self._db.transaction() as tx:
            if key is not None and not await tx.execute(
                f"INSERT INTO {KEYS_TABLE} (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, time.time()),
            ):
                return None  # the same update, recorded by this or another ingress
            job_id = await insert_job(
                tx,
                dest.chat_id,
                dest.user_id,
                dest.reply_to,
                request.kind,
                request_to_payload(request),
                reply_to_message_id=dest.reply_to,
                progress_message_id=progress_message_id,
            )
            if key is not None:
                await tx.execute(f"UPDATE {KEYS_TABLE} SET job_id = ? WHERE key = ?", (job_id, key))
            if progress_message_id is not None and position is not None:  # kept up to date
                now = time.time()
                await tx.execute(
                    "INSERT INTO briefbot_queue_positions (job_id, position, queued_at, shown_at) "
                    "VALUES (?, ?, ?, ?)",
                    (job_id, position, now, now),
                )
            await self._defer(tx, job_id, dest.chat_id, request.origin == "auto")
        return job_id

    async def _defer(self, tx: PostgresSession, job_id: int, chat_id: int, auto: bool) -> None:
        deferrer = self.app.configure_task(
            TASK_NAME,
            queue=QUEUE_NAME,
            lock=f"chat:{chat_id}",
            priority=AUTO_PRIORITY if auto else ASKED_PRIORITY,
            connection=tx.connection,
        )
        try:
            await deferrer.defer_async(job_id=job_id)
        except ProcrastinateException as exc:
            message = f"cannot queue a job on {self._db.location} ({exc})"
            raise StorageError(message, "other") from exc
