"""What the storage ports hand back: durable jobs, recent answers and request statistics.

Plain data shared by the service and every storage backend, so the core never imports an
adapter to read what one returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JobStatus = Literal["queued", "running", "done", "failed", "apologized"]
UNFINISHED: tuple[JobStatus, ...] = ("queued", "running")
MAX_ATTEMPTS = 2


@dataclass(frozen=True)
class Job:
    id: int
    chat_id: int
    user_id: int | None
    message_id: int | None
    reply_to_message_id: int | None
    kind: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    progress_message_id: int | None
    error: str | None
    created_at: float
    updated_at: float

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED

    @property
    def exhausted(self) -> bool:
        """Started ``MAX_ATTEMPTS`` times without finishing: apologize rather than retry."""
        return self.attempts >= MAX_ATTEMPTS


@dataclass(frozen=True)
class StatsSummary:
    since: float | None
    total: int
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    cache_hits: int = 0
    last_24h: int = 0
    median_ms: dict[str, float] = field(default_factory=dict)
    p95_ms: dict[str, float] = field(default_factory=dict)

    @property
    def cache_hit_rate(self) -> float | None:
        return self.cache_hits / self.total if self.total else None


@dataclass(frozen=True)
class Answer:
    """The bot's answer to a chat message, remembered so an edit of the message can update it.

    ``content_key`` identifies what was answered (``Source.content_key``): an edit that leaves
    it unchanged needs no new work.
    """

    chat_id: int
    request_message_id: int
    answer_message_id: int
    content_key: str
    created_at: float
