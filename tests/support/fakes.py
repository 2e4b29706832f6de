"""In-memory fakes of the core's ports, for unit tests of the service (no HTTP, no PTB).

They follow the contracts in ``bot.core.ports`` (the SQLite adapter's suite checks the real
thing): jobs only move forward, settings changes may be functions of the current value.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.records import UNFINISHED, Answer, Job, JobStatus, StatsSummary
from bot.core.settings import ChatSettings, SettingsDefaults, default_settings
from bot.core.views import View


@dataclass
class Shown:
    """One thing the fake chat was asked to do."""

    action: str  # send | edit | deliver | delete | typing | acknowledge
    chat_id: int
    view: View | None = None
    message_id: int | None = None
    reply_to: int | None = None


class FakeChat:
    """Records every view; message ids count up; ``editable`` False makes edits fail."""

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        self.log: list[Shown] = []
        self.files = dict(files or {})
        self.editable = True
        self._next_id = 100

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def views(self, action: str | None = None) -> list[View]:
        return [s.view for s in self.log if s.view is not None and action in (None, s.action)]

    async def typing(self, chat_id: int) -> None:
        self.log.append(Shown("typing", chat_id))

    async def acknowledge(self, chat_id: int, message_id: int) -> None:
        self.log.append(Shown("acknowledge", chat_id, message_id=message_id))

    async def send(self, chat_id: int, view: View, *, reply_to: int | None = None) -> int:
        message_id = self._new_id()
        self.log.append(Shown("send", chat_id, view, message_id, reply_to))
        return message_id

    async def edit(self, chat_id: int, message_id: int, view: View) -> bool:
        self.log.append(Shown("edit", chat_id, view, message_id))
        return self.editable

    async def deliver(
        self, chat_id: int, view: View, *, reply_to: int | None, replace: int | None
    ) -> int | None:
        message_id = replace if replace is not None and self.editable else self._new_id()
        self.log.append(Shown("deliver", chat_id, view, message_id, reply_to))
        return message_id

    async def delete(self, chat_id: int, message_id: int) -> None:
        self.log.append(Shown("delete", chat_id, None, message_id))

    async def download(self, file_id: str, max_bytes: int) -> bytes:
        return self.files[file_id]


class MemorySettings:
    def __init__(self) -> None:
        self.chosen: dict[int, dict[str, Any]] = {}

    async def get_chat_settings(self, chat_id: int, defaults: SettingsDefaults) -> ChatSettings:
        base = default_settings(chat_id, defaults)
        return dataclasses.replace(base, **self.chosen.get(chat_id, {}))

    async def update_chat_settings(
        self, chat_id: int, defaults: SettingsDefaults, **changes: Any
    ) -> ChatSettings:
        current = await self.get_chat_settings(chat_id, defaults)
        values = {
            name: change(getattr(current, name)) if callable(change) else change
            for name, change in changes.items()
        }
        self.chosen.setdefault(chat_id, {}).update(values)
        return dataclasses.replace(current, **values)


class MemoryResults:
    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.gets: list[str] = []

    async def get(self, key: str) -> dict[str, Any] | None:
        self.gets.append(key)
        found = self.entries.get(key)
        return None if found is None else json.loads(found)

    async def put(self, key: str, value: dict[str, Any]) -> None:
        self.entries[key] = json.dumps(value)  # stored as text, like the real cache


class MemoryJobs:
    def __init__(self) -> None:
        self.jobs: dict[int, Job] = {}

    async def create_job(
        self,
        chat_id: int,
        user_id: int | None,
        message_id: int | None,
        kind: str,
        payload: dict[str, Any],
        reply_to_message_id: int | None = None,
    ) -> int:
        job_id = len(self.jobs) + 1
        now = time.time()
        self.jobs[job_id] = Job(
            job_id, chat_id, user_id, message_id, reply_to_message_id, kind,
            json.loads(json.dumps(payload)), "queued", 0, None, None, now, now,
        )  # fmt: skip
        return job_id

    def _update(self, job_id: int, **changes: Any) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.status not in UNFINISHED:
            return False
        self.jobs[job_id] = dataclasses.replace(job, updated_at=time.time(), **changes)
        return True

    def _status(self, job_id: int, status: JobStatus, **changes: Any) -> bool:
        return self._update(job_id, status=status, **changes)

    async def mark_running(self, job_id: int) -> bool:
        job = self.jobs.get(job_id)
        attempts = job.attempts + 1 if job is not None else 0
        return self._status(job_id, "running", attempts=attempts)

    async def set_progress_message(self, job_id: int, message_id: int) -> bool:
        return self._update(job_id, progress_message_id=message_id)

    async def mark_done(self, job_id: int) -> bool:
        return self._status(job_id, "done")

    async def mark_failed(self, job_id: int, error: str) -> bool:
        return self._status(job_id, "failed", error=error)

    async def mark_apologized(self, job_id: int) -> bool:
        return self._status(job_id, "apologized")

    async def unfinished_jobs(self) -> list[Job]:
        return [job for job in self.jobs.values() if job.status in UNFINISHED]

    async def answering(self, chat_id: int, message_id: int) -> bool:
        return any(
            (job.chat_id, job.message_id, job.kind) == (chat_id, message_id, "summary")
            for job in await self.unfinished_jobs()
        )


@dataclass
class MemoryStats:
    records: list[tuple[int, str, str, bool]] = field(default_factory=list)

    async def record_request(
        self,
        chat_id: int,
        kind: str,
        outcome: str,
        cache_hit: bool,
        timings_ms: Mapping[str, float],
    ) -> None:
        self.records.append((chat_id, kind, outcome, cache_hit))

    async def summary(self, since: float | None = None) -> StatsSummary:
        by_outcome: dict[str, int] = {}
        for _chat, _kind, outcome, _hit in self.records:
            by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
        hits = sum(1 for record in self.records if record[3])
        return StatsSummary(since, len(self.records), by_outcome, cache_hits=hits)


class MemoryAnswers:
    """Recent answers by request message (no window: the SQLite suite tests that)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[int, int], Answer] = {}

    async def remember(
        self, chat_id: int, request_message_id: int, answer_message_id: int, content_key: str
    ) -> None:
        answer = Answer(chat_id, request_message_id, answer_message_id, content_key, time.time())
        self.answers[(chat_id, request_message_id)] = answer

    async def find(self, chat_id: int, request_message_id: int) -> Answer | None:
        return self.answers.get((chat_id, request_message_id))


class MemoryStorage:
    """The StoragePort in memory."""

    def __init__(self) -> None:
        self.settings = MemorySettings()
        self.cache = MemoryResults()
        self.jobs = MemoryJobs()
        self.stats = MemoryStats()
        self.answers = MemoryAnswers()
        self.migrations: list[tuple[int, int]] = []
        self.closed = False

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        self.migrations.append((old_chat_id, new_chat_id))

    async def close(self) -> None:
        self.closed = True
