"""State only the scaled mode shares between its processes, next to procrastinate's queue (created
with it by ``ensure_queue_schema``, not by the versioned migrations: the embedded mode has none):

- ``briefbot_workers``: the models version each worker serves, so an ingress that loads no
  model keys the results cache as the workers do and answers hits itself;
- ``briefbot_full_translations``: one full translation per message and language, claimed
  atomically by whichever ingress gets the first press;
- ``briefbot_delivered_parts``: the parts of a long answer a job has sent, so a retried job
  (its worker died in the middle) sends only the rest;
- ``briefbot_queue_positions``: the place in line a queued job's progress message shows
  (``bot.storage.queue_positions``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.once import OnceState
from bot.storage.postgres import PostgresDatabase, PostgresSession

#: Worker entries older than this are ignored (a worker refreshes its entry far more often).
WORKER_FRESH_SECONDS = 120.0
#: A press is remembered this long (the embedded mode remembers the newest 4096 in memory).
CLAIM_RETENTION_SECONDS = 7 * 86400.0

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS briefbot_workers (worker TEXT PRIMARY KEY, "
    "models_version TEXT NOT NULL, concurrency INTEGER NOT NULL, "
    "started_at DOUBLE PRECISION NOT NULL, seen_at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS briefbot_full_translations (chat_id BIGINT NOT NULL, "
    "message_id BIGINT NOT NULL, target TEXT NOT NULL, state TEXT NOT NULL "
    "CHECK (state IN ('running', 'posted')), at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (chat_id, message_id, target))",
    "CREATE TABLE IF NOT EXISTS briefbot_delivered_parts (job_id BIGINT NOT NULL, "
    "part INTEGER NOT NULL, message_id BIGINT, at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (job_id, part))",
    "CREATE TABLE IF NOT EXISTS briefbot_queue_positions (job_id BIGINT PRIMARY KEY, "
    "position INTEGER NOT NULL, queued_at DOUBLE PRECISION NOT NULL, "
    "shown_at DOUBLE PRECISION NOT NULL)",
)


async def create_scaled_tables(tx: PostgresSession, now: float) -> None:
    """Create the tables when missing and forget old entries (at every start)."""
    for statement in SCHEMA:
        await tx.execute(statement)
    await tx.execute(
        "DELETE FROM briefbot_full_translations WHERE at < ?", (now - CLAIM_RETENTION_SECONDS,)
    )
    await tx.execute(
        "DELETE FROM briefbot_workers WHERE seen_at < ?", (now - CLAIM_RETENTION_SECONDS,)
    )
    await tx.execute(
        "DELETE FROM briefbot_delivered_parts WHERE at < ?", (now - CLAIM_RETENTION_SECONDS,)
    )


class WorkerRegistry:
    """Which models versions live workers serve, and how many jobs they run at once."""

    def __init__(self, db: PostgresDatabase, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def publish(self, worker: str, models_version: str, concurrency: int) -> None:
        now = self._clock()
        await self._db.execute(
            "INSERT INTO briefbot_workers (worker, models_version, concurrency, started_at, "
            "seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (worker) DO UPDATE SET "
            "models_version = EXCLUDED.models_version, concurrency = EXCLUDED.concurrency, "
            "seen_at = EXCLUDED.seen_at",
            (worker, models_version, concurrency, now, now),
        )

    async def models_version(self) -> str | None:
        """The version the most recently started live worker serves (after an upgrade, the
        new models'), or None when no worker is alive."""
        row = await self._db.fetchone(
            "SELECT models_version FROM briefbot_workers WHERE seen_at >= ? "
            "ORDER BY started_at DESC, worker LIMIT 1",
            (self._clock() - WORKER_FRESH_SECONDS,),
        )
        return str(row[0]) if row is not None else None


class FullTranslationClaims:
    """``OnceLedger`` shared by every ingress: the first press of a message's button for a
    language claims it (one INSERT, atomic across processes); later presses learn its state."""

    def __init__(self, db: PostgresDatabase, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def claim(self, chat_id: int, message_id: int, target: str) -> OnceState | None:
        """None and the claim is now "running"; or the state of the earlier claim."""
        async with self._db.transaction() as tx:
            if await tx.execute(
                "INSERT INTO briefbot_full_translations (chat_id, message_id, target, state, at) "
                "VALUES (?, ?, ?, 'running', ?) ON CONFLICT DO NOTHING",
                (chat_id, message_id, target, self._clock()),
            ):
                return None
            row = await tx.fetchone(
                "SELECT state FROM briefbot_full_translations "
                "WHERE chat_id = ? AND message_id = ? AND target = ?",
                (chat_id, message_id, target),
            )
        # Released between the two statements: the press that released it was refused or
        # failed, so this one may try (a rare race; the next press claims it properly).
        return None if row is None else ("posted" if row[0] == "posted" else "running")

    async def settle(self, chat_id: int, message_id: int, target: str, *, posted: bool) -> None:
        """The claimed work ended: posted (later presses are told so) or not (may be retried)."""
        where = "WHERE chat_id = ? AND message_id = ? AND target = ?"
        if posted:
            await self._db.execute(
                f"UPDATE briefbot_full_translations SET state = 'posted', at = ? {where}",
                (self._clock(), chat_id, message_id, target),
            )
        else:
            await self._db.execute(
                f"DELETE FROM briefbot_full_translations {where} AND state = 'running'",
                (chat_id, message_id, target),
            )


class DeliveredParts:
    """The parts of one job's answer that went out (``bot.core.ports.PartsLedger``)."""

    def __init__(self, db: PostgresDatabase, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def delivered(self, job_id: int) -> dict[int, int | None]:
        rows = await self._db.fetchall(
            "SELECT part, message_id FROM briefbot_delivered_parts WHERE job_id = ?", (job_id,)
        )
        return {int(row[0]): None if row[1] is None else int(row[1]) for row in rows}

    async def record(self, job_id: int, part: int, message_id: int | None) -> None:
        await self._db.execute(
            "INSERT INTO briefbot_delivered_parts (job_id, part, message_id, at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (job_id, part, message_id, self._clock()),
        )
