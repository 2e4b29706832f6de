"""Finishing a job that answers by editing one message (inline placeholders, resized
summaries): the status is only logged when storage fails, as the answer is out already."""

from __future__ import annotations

import logging

from bot.core.errors import StorageError
from bot.core.ports import JobsRepository

log = logging.getLogger(__name__)


async def mark_job(jobs: JobsRepository, job_id: int, status: str, error: str = "") -> None:
    """Set job ``job_id`` done, failed (with ``error``) or apologized."""
    try:
        if status == "done":
            await jobs.mark_done(job_id)
        elif status == "failed":
            await jobs.mark_failed(job_id, error[:500])
        else:
            await jobs.mark_apologized(job_id)
    except StorageError as exc:
        log.error("Could not mark job %s %s: %s", job_id, status, exc.message)
