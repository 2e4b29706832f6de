"""The core's ports: what it needs from a chat front end and from storage, as Protocols.

Adapters implement them (``bot.telegram.chat.TelegramChat``, ``bot.storage.Storage``, the
CLI's local files); the service only ever talks to these, so its rules (limits, jobs, cache)
are testable with in-memory fakes and reusable by any front end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.core.feed_records import (
    DeliveryMode,
    DigestSchedule,
    FeedState,
    NewArticle,
    Subscription,
)
from bot.core.once import OnceState
from bot.core.records import Answer, Job, StatsSummary
from bot.core.requests import QueuedRequest
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

    async def acknowledge(self, chat_id: int, message_id: int) -> None:
        """Show quietly that a request in a group was taken (a reaction on it, where a
        "typing…" status would be noise); failures are ignored."""
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


@runtime_checkable
class InlineMessagePort(Protocol):
    """A front end's messages posted from inline results (Telegram's ``inline_message_id``)."""

    async def edit_inline(
        self, inline_message_id: str, view: View | None, language: str, ui: str
    ) -> bool:
        """Show ``view`` (a summary: its ``language`` part; None: the link expired) in place of
        the inline message; True when it shows it now, also when it already did (a retry),
        False when the message is gone."""
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

    async def answering(self, chat_id: int, message_id: int) -> bool:
        """Whether a summary of message ``message_id`` is queued or being made."""
        ...


class AnswersRepository(Protocol):
    """The bot's recent answers by the message they answer (a bounded window: older or
    surplus entries are forgotten, and an edit of their request is then ignored)."""

    async def remember(
        self, chat_id: int, request_message_id: int, answer_message_id: int, content_key: str
    ) -> None: ...

    async def find(self, chat_id: int, request_message_id: int) -> Answer | None: ...


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

    @property
    def answers(self) -> AnswersRepository: ...

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A chat changed its id (group -> supergroup): settings, jobs, statistics follow."""
        ...

    async def close(self) -> None: ...


class FeedsRepository(Protocol):
    """Feed subscriptions and polling state (``bot.core.feeds``); deliveries are jobs."""

    async def add_feed(self, url: str, title: str, interval_seconds: float, now: float) -> int: ...

    async def get_feed(self, feed_id: int) -> FeedState | None: ...

    async def due_feeds(self, now: float) -> list[FeedState]: ...

    async def record_poll(
        self,
        feed_id: int,
        *,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
        interval_seconds: float,
        now: float,
    ) -> None: ...

    async def record_failure(
        self, feed_id: int, error: str, retry_at: float, *, max_failures: int, now: float
    ) -> FeedState | None: ...

    async def subscribe(self, chat_id: int, feed_id: int, now: float) -> bool: ...

    async def unsubscribe(self, chat_id: int, feed_id: int) -> bool: ...

    async def update_subscription(
        self,
        chat_id: int,
        feed_id: int,
        *,
        paused: bool | None = None,
        mode: DeliveryMode | None = None,
    ) -> Subscription | None: ...

    async def subscriptions(self, chat_id: int) -> list[Subscription]: ...

    async def followers(self, feed_id: int) -> list[Subscription]: ...

    async def mark_unreachable(self, chat_id: int, reason: str, now: float) -> bool: ...

    async def mark_reachable(self, chat_id: int) -> bool: ...

    async def mark_seen(self, chat_id: int, keys: Sequence[str], now: float) -> None: ...

    async def enqueue_articles(
        self,
        chat_id: int,
        articles: Sequence[NewArticle],
        payload: dict[str, Any],
        *,
        daily_limit: int,
        now: float,
        digest: bool = False,
    ) -> list[int]: ...

    async def set_digest_schedule(
        self, chat_id: int, hours: Sequence[int], timezone: str, now: float
    ) -> None: ...

    async def digest_schedule(self, chat_id: int) -> DigestSchedule | None: ...

    async def waiting_digests(self) -> list[DigestSchedule]: ...

    async def take_digest(self, chat_id: int, now: float) -> int | None: ...


@runtime_checkable
class FeedsStoragePort(StoragePort, Protocol):
    """A storage that also keeps feed subscriptions (the SQLite one does)."""

    @property
    def feeds(self) -> FeedsRepository: ...


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
        self,
        request: QueuedRequest,
        *,
        key: str | None,
        progress_message_id: int | None,
        position: int | None = 0,
    ) -> int | None:
        """Record and queue ``request``; None when ``key`` was recorded already (a redelivered
        update), in which case nothing is queued. ``position``: the place in line the progress
        message shows (0: it shows "working"; None: it is an earlier answer, never edited into
        a place in line)."""
        ...

    async def claim_key(self, key: str) -> bool:
        """Record a delivery key answered without a job (a cache hit); False when it was
        recorded already."""
        ...

    async def ahead(self, *, auto: bool) -> int:
        """Queued jobs a new job would wait behind (auto-mode group jobs wait behind asked
        ones, asked ones behind none of them)."""
        ...


class FullTranslationLedger(Protocol):
    """One full translation per message and language, across every process (the scaled
    mode's ``OnceLedger``)."""

    async def claim(self, chat_id: int, message_id: int, target: str) -> OnceState | None:
        """None and the claim is now "running"; or the state of the earlier claim."""
        ...

    async def settle(self, chat_id: int, message_id: int, target: str, *, posted: bool) -> None:
        """The claimed work ended: posted, or not (the claim is released)."""
        ...


class PartsLedger(Protocol):
    """The parts of a job's answer already sent, so a retried job sends only the rest."""

    async def delivered(self, job_id: int) -> dict[int, int | None]:
        """{part index: message id (None for a file)} of the parts sent so far."""
        ...

    async def record(self, job_id: int, part: int, message_id: int | None) -> None: ...


@dataclass(frozen=True)
class WaitingJob:
    """A queued job whose progress message shows its place in line (under a row lock)."""

    job_id: int
    chat_id: int
    message_id: int
    payload: dict[str, Any]
    shown: int


class WaitingBoard(Protocol):
    """The places in line of queued jobs, and their progress messages, for refreshing them."""

    async def positions(self, older_than: float) -> dict[int, int]:
        """{job id: place in line (1 = next)} of jobs queued before ``older_than`` (epoch
        seconds) whose progress message shows another place, last shown before it too."""
        ...

    def hold(self, job_id: int, position: int) -> AbstractAsyncContextManager[WaitingJob | None]:
        """The job while it is still queued, locked so no worker starts it (and edits its
        message) until the block ends; None when it started or another process holds it.
        A block that ends without an exception records ``position`` as shown."""
        ...
