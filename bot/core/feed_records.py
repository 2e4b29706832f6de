"""What the feed storage port hands back: feeds, their polling state and subscriptions.

Plain data shared by the feed logic (``bot.core.feeds``) and every storage backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DeliveryMode = Literal["each", "digest"]
DELIVERY_MODES: tuple[DeliveryMode, ...] = ("each", "digest")
#: The job kind of one article delivered to one chat (the durable jobs table).
FEED_ARTICLE_JOB = "feed_article"
#: The job kind of one digest (several articles) delivered to one chat.
FEED_DIGEST_JOB = "feed_digest"
FEED_JOBS = (FEED_ARTICLE_JOB, FEED_DIGEST_JOB)


@dataclass(frozen=True)
class FeedState:
    """One feed as polled: shared by every chat that follows it."""

    id: int
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    interval_seconds: float
    next_poll_at: float
    failures: int
    paused: bool
    last_error: str | None


@dataclass(frozen=True)
class Subscription:
    """A chat following a feed."""

    chat_id: int
    feed_id: int
    url: str
    title: str
    mode: DeliveryMode
    paused: bool
    feed_paused: bool
    #: The bot could not post to the chat (blocked, removed): resting until it comes back.
    unreachable: bool = False


@dataclass(frozen=True)
class NewArticle:
    """An article to deliver to one chat unless it saw it already (by URL or by text)."""

    url: str
    content_hash: str
    title: str
    feed_title: str


@dataclass(frozen=True)
class DigestSchedule:
    """When a chat gets its digest: full ``hours`` in ``timezone``."""

    chat_id: int
    hours: tuple[int, ...]
    timezone: str
    last_run_at: float
