"""The core's ports: what it needs from a chat front end and from storage, as Protocols.

Adapters implement them (``bot.telegram.chat.TelegramChat``, ``bot.storage.Storage``, the
CLI's local files); the service only ever talks to these, so its rules (limits, jobs, cache)
are testable with in-memory fakes and reusable by any front end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bot.core.records import Job, StatsSummary
from bot.core.requests import Request
from bot.core.settings import ChatSettings, SettingsDefaults
from bot.core.views import View


class FilePort(Protocol):
    async def download(self, file_id: str, max_bytes: int) -> bytes:
        """The bytes of a file a user sent (LimitExceededError past ``max_bytes``)."""
        ...


class ChatPort(FilePort, Protocol):
    """A chat front end: shows views, replaces them, and fetches the files users send."""

    async def typing(self, chat_id: int) -> None:
        """Show that the bot is working; failures are ignored (it is only a hint)."""
        ...

    async def send(self, chat_id: int, view: View, *, reply_to: int | None = None) -> int:
        """Show ``view`` as a new message; returns its id."""
        ...

    async def edit(self, chat_id: int, message_id: int, view: View) -> bool:
        """Show ``view`` in place of a message; False when it can no longer be edited."""
        ...

    async def deliver(
        self, chat_id: int, view: View, *, reply_to: int | None, replace: int | None
    ) -> int | None:
        """The final answer: shown in place of message ``replace`` (the progress message) where
        possible, else sent as a reply to ``reply_to``. Returns the id of the message that now
        shows it, or None when the answer went out in a form that cannot be referred to."""
        ...

    async def delete(self, chat_id: int, message_id: int) -> None:
        """Remove a message; failures are ignored."""
        ...


class SettingsRepository(Protocol):
    async def get_chat_settings(self, chat_id: int, defaults: SettingsDefaults) -> ChatSettings: ...

    async def update_chat_settings(
        self, chat_id: int, defaults: SettingsDefaults, **changes: Any
    ) -> ChatSettings:
        """Apply ``changes`` atomically; a value may be a function of the current value."""
        ...


class ResultsRepository(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...

    async def put(self, key: str, value: dict[str, Any]) -> None: ...


class JobsRepository(Protocol):
    async def create_job(
        self,
        chat_id: int,
        user_id: int | None,
        message_id: int | None,
        kind: str,
        payload: dict[str, Any],
        reply_to_message_id: int | None = None,
    ) -> int: ...

    async def mark_running(self, job_id: int) -> bool: ...

    async def set_progress_message(self, job_id: int, message_id: int) -> bool: ...

    async def mark_done(self, job_id: int) -> bool: ...

    async def mark_failed(self, job_id: int, error: str) -> bool: ...

    async def mark_apologized(self, job_id: int) -> bool: ...

    async def unfinished_jobs(self) -> list[Job]: ...


class StatsRepository(Protocol):
    async def record_request(
        self,
        chat_id: int,
        kind: str,
        outcome: str,
        cache_hit: bool,
        timings_ms: Mapping[str, float],
    ) -> None: ...

    async def summary(self, since: float | None = None) -> StatsSummary: ...


class StoragePort(Protocol):
    """Everything durable the service keeps; every failure surfaces as ``StorageError``."""

    @property
    def settings(self) -> SettingsRepository: ...

    @property
    def cache(self) -> ResultsRepository: ...

    @property
    def jobs(self) -> JobsRepository: ...

    @property
    def stats(self) -> StatsRepository: ...

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A chat changed its id (group -> supergroup): settings, jobs, statistics follow."""
        ...

    async def close(self) -> None: ...


class RateCounter(Protocol):
    """Sliding-window counters shared by every process (``bot.storage.RateLimitStore``)."""

    async def acquire(self, key: str, limit: int, window: float = 60.0) -> float | None:
        """Count an event and return None, or the seconds until one would be allowed."""
        ...


class JobQueue(Protocol):
    """Where a recorded job goes when it is not run in this process (the scaled mode).

    The embedded default has no queue: the service runs each job in process, as before.
    ``enqueue`` records the job and hands it to the workers as one unit, so a job is never
    recorded without being queued, nor queued without being recorded.
    """

    async def waiting(self) -> int:
        """Jobs queued and not yet claimed by a worker (backpressure)."""
        ...

    async def seen(self, key: str) -> bool:
        """True when a request with this delivery key (a Telegram ``update_id``) is recorded."""
        ...

    async def enqueue(
        self, request: Request, *, key: str | None, progress_message_id: int | None
    ) -> int | None:
        """Record and queue ``request``; None when ``key`` was recorded already (a redelivered
        update), in which case nothing is queued."""
        ...
