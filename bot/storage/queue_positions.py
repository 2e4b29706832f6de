"""Places in line of the scaled mode's queued jobs (``bot.core.ports.WaitingBoard``).

A place is a job's rank in the order procrastinate takes jobs (highest priority first, then
oldest). ``hold`` locks the job's row while its progress message is edited: a worker that claims
the job meanwhile waits in ``mark_running`` (an UPDATE of that row) until the edit is done, and
a job that is no longer "queued" is never edited, so a place in line never overwrites what a
worker shows.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.core.ports import WaitingJob
from bot.storage.job_queue import QUEUE_NAME
from bot.storage.postgres import PostgresDatabase


class PgWaitingBoard:
    """The queue's places in line on PostgreSQL."""

    def __init__(self, db: PostgresDatabase, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def positions(self, older_than: float) -> dict[int, int]:
        await self._db.execute(  # jobs finished since (a running one's worker forgets its row)
            "DELETE FROM briefbot_queue_positions p USING jobs j "
            "WHERE j.id = p.job_id AND j.status NOT IN ('queued', 'running')"
        )
        rows = await self._db.fetchall(
            "SELECT p.job_id, w.position FROM briefbot_queue_positions p JOIN ("
            "  SELECT (args->>'job_id')::bigint AS job_id,"
            "         row_number() OVER (ORDER BY priority DESC, id) AS position"
            "  FROM procrastinate_jobs WHERE queue_name = ? AND status = 'todo'"
            ") w ON w.job_id = p.job_id "
            "WHERE p.queued_at < ? AND p.shown_at < ? AND p.position <> w.position",
            (QUEUE_NAME, older_than, older_than),
        )
        return {int(row[0]): int(row[1]) for row in rows}

    @asynccontextmanager
    async def hold(self, job_id: int, position: int) -> AsyncIterator[WaitingJob | None]:
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT j.chat_id, j.progress_message_id, j.payload, p.position "
                "FROM jobs j JOIN briefbot_queue_positions p ON p.job_id = j.id "
                "WHERE j.id = ? AND j.status = 'queued' AND j.progress_message_id IS NOT NULL "
                "FOR UPDATE SKIP LOCKED",
                (job_id,),
            )
            if row is None:
                yield None
                return
            yield WaitingJob(job_id, int(row[0]), int(row[1]), json.loads(row[2]), int(row[3]))
            await tx.execute(
                "UPDATE briefbot_queue_positions SET position = ?, shown_at = ? WHERE job_id = ?",
                (position, self._clock(), job_id),
            )

    async def taken(self, job_id: int) -> bool:
        """A worker started the job: forget its place; True when its message showed one
        (the refresher edits only queued jobs, so nothing edits it into a place any more)."""
        row = await self._db.fetchone(
            "DELETE FROM briefbot_queue_positions WHERE job_id = ? RETURNING position", (job_id,)
        )
        return row is not None and int(row[0]) > 0
