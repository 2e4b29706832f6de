"""Durable jobs: a request is recorded before work starts and marked done after the reply is sent.

At restart, ``unfinished_jobs()`` lists what was accepted but never answered: each is resumed
or apologized for, none silently dropped. ``attempts`` counts starts; a job that was running
when the process died ``MAX_ATTEMPTS`` times is apologized for instead of retried forever.
Status changes only move forward (queued → running → done | failed | apologized), so a job is
never finished twice.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bot.core.records import MAX_ATTEMPTS, UNFINISHED, Job, JobStatus
from bot.storage.sql import Database, Session

__all__ = [
    "MAX_ATTEMPTS",
    "UNFINISHED",
    "Job",
    "JobStatus",
    "JobsStore",
    "insert_job",
    "move_unfinished_jobs",
]

_OPEN = "status IN ('queued', 'running')"
_CLOSED = "status NOT IN ('queued', 'running')"


def _job(row: Any) -> Job:
    return Job(
        id=row["id"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        message_id=row["message_id"],
        reply_to_message_id=row["reply_to_message_id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        status=row["status"],
        attempts=row["attempts"],
        progress_message_id=row["progress_message_id"],
        error=row["error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def move_unfinished_jobs(tx: Session, old_chat_id: int, new_chat_id: int) -> None:
    """Group → supergroup: pending work follows the chat (finished history stays)."""
    await tx.execute(
        f"UPDATE jobs SET chat_id = ?, updated_at = ? WHERE chat_id = ? AND {_OPEN}",
        (new_chat_id, time.time(), old_chat_id),
    )


async def insert_job(
    tx: Session,
    chat_id: int,
    user_id: int | None,
    message_id: int | None,
    kind: str,
    payload: dict[str, Any],
    reply_to_message_id: int | None = None,
    progress_message_id: int | None = None,
) -> int:
    """Record an accepted request (status ``queued``) in ``tx``; returns its id. A queue that
    defers the job in the same transaction records it here."""
    now = time.time()
    return await tx.insert(
        "INSERT INTO jobs (chat_id, user_id, message_id, reply_to_message_id, kind, "
        "payload, status, attempts, progress_message_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
        (
            chat_id,
            user_id,
            message_id,
            reply_to_message_id,
            kind,
            json.dumps(payload, ensure_ascii=False),
            progress_message_id,
            now,
            now,
        ),
    )


class JobsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_job(
        self,
        chat_id: int,
        user_id: int | None,
        message_id: int | None,
        kind: str,
        payload: dict[str, Any],
        reply_to_message_id: int | None = None,
    ) -> int:
        """Record an accepted request (status ``queued``); returns its id."""
        async with self._db.session() as s:
            return await insert_job(
                s, chat_id, user_id, message_id, kind, payload, reply_to_message_id
            )

    async def get_job(self, job_id: int) -> Job | None:
        row = await self._db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return _job(row) if row is not None else None

    async def mark_running(self, job_id: int) -> bool:
        """Work starts (again): counts an attempt. False if the job is already finished."""
        return await self._update(job_id, "status = 'running', attempts = attempts + 1")

    async def claim_job(self, job_id: int) -> bool:
        """Start a queued job; of several workers claiming the same job exactly one gets True."""
        changed = await self._db.execute(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ? "
            "WHERE id = ? AND status = 'queued'",
            (time.time(), job_id),
        )
        return changed > 0

    async def claim_next(self) -> Job | None:
        """Start the oldest queued job, if any; concurrent claimers never get the same one."""
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1"
                f"{tx.dialect.for_update_skip_locked}"
            )
            if row is None:
                return None
            await tx.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ?",
                (time.time(), row["id"]),
            )
            claimed = await tx.fetchone("SELECT * FROM jobs WHERE id = ?", (row["id"],))
        return _job(claimed) if claimed is not None else None

    async def set_progress_message(self, job_id: int, message_id: int) -> bool:
        """Remember the "working…" message, so a restart can edit or delete it."""
        return await self._update(job_id, "progress_message_id = ?", (message_id,))

    async def mark_done(self, job_id: int) -> bool:
        """The reply was sent. False if the job had already finished."""
        return await self._update(job_id, "status = 'done'")

    async def mark_failed(self, job_id: int, error: str) -> bool:
        """The user was told why the request failed."""
        return await self._update(job_id, "status = 'failed', error = ?", (error,))

    async def mark_apologized(self, job_id: int) -> bool:
        """The job was given up (e.g. after a restart) and the user got an apology."""
        return await self._update(job_id, "status = 'apologized'")

    async def unfinished_jobs(self) -> list[Job]:
        """Queued or running jobs, oldest first: what a restart must resume or apologize for."""
        rows = await self._db.fetchall(f"SELECT * FROM jobs WHERE {_OPEN} ORDER BY id")
        return [_job(row) for row in rows]

    async def answering(self, chat_id: int, message_id: int) -> bool:
        """Whether a summary of message ``message_id`` is queued or being made (an edit of
        that message waits for its answer)."""
        row = await self._db.fetchone(
            f"SELECT 1 FROM jobs WHERE {_OPEN} AND chat_id = ? AND message_id = ? "
            "AND kind = 'summary' LIMIT 1",
            (chat_id, message_id),
        )
        return row is not None

    async def count_unfinished(self, chat_id: int | None = None, user_id: int | None = None) -> int:
        sql = f"SELECT COUNT(*) FROM jobs WHERE {_OPEN}"
        params: list[int] = []
        for column, value in (("chat_id", chat_id), ("user_id", user_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        row = await self._db.fetchone(sql, params)
        return int(row[0]) if row else 0

    async def prune_finished(self, older_than_seconds: float) -> int:
        """Delete finished jobs (and the texts in their payloads) past a retention period."""
        return await self._db.execute(
            f"DELETE FROM jobs WHERE {_CLOSED} AND updated_at < ?",
            (time.time() - older_than_seconds,),
        )

    async def _update(self, job_id: int, assignments: str, params: tuple[Any, ...] = ()) -> bool:
        changed = await self._db.execute(
            f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ? AND {_OPEN}",
            (*params, time.time(), job_id),
        )
        return changed > 0
