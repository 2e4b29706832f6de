"""What the service hands to a front end: data, never markup.

Each front end renders these its own way (Telegram HTML with buttons, plain text in the CLI);
the service decides *what* to say, the adapter decides *how* it looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from translation import FullTranslation, PipelineResult

#: The steps a user may see while a request is worked on.
Stage = Literal[
    "queued",
    "working",
    "fetching",
    "reading_file",
    "detecting",
    "summarizing",
    "translating",
    "translating_full",
]
#: Why a request was not admitted.
RefusalReason = Literal["rate_limited_user", "rate_limited_chat", "busy"]


@dataclass(frozen=True)
class ProgressView:
    """A stage of the work; ``languages`` are the targets being translated into; ``position``
    is the place in the waiting line while ``queued`` (1 = next)."""

    stage: Stage
    ui: str
    languages: tuple[str, ...] = ()
    position: int = 0


@dataclass(frozen=True)
class ResultMenu:
    """The actions under a summary: enough to redo or extend it from the cached document."""

    doc_key: str
    source_language: str
    targets: tuple[str, ...]
    sentences: int
    show_source: bool
    can_shorter: bool
    can_longer: bool
    ui: str = "en"


@dataclass(frozen=True)
class SummaryView:
    """A summary in the chat's languages with its actions; ``cache_hit``/``timings_ms`` are
    for statistics, not for display."""

    result: PipelineResult
    targets: tuple[str, ...]
    show_source: bool
    menu: ResultMenu
    ui: str
    cache_hit: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveSummaryView:
    """A summary still being translated (private chats): the languages ready so far, in
    ``shown`` order (the source language first), and those still to come; the final
    ``SummaryView`` replaces it in the same message."""

    result: PipelineResult
    shown: tuple[str, ...]
    pending: tuple[str, ...]
    ui: str


@dataclass(frozen=True)
class TranslationView:
    """A whole document translated into one language."""

    translation: FullTranslation
    ui: str


@dataclass(frozen=True)
class Refusal:
    """A request that was not admitted, and why."""

    reason: RefusalReason
    ui: str


@dataclass(frozen=True)
class Failure:
    """A request that failed; the front end explains ``error`` in the user's language."""

    error: BaseException
    ui: str


@dataclass(frozen=True)
class RestartApology:
    """A job that could not be finished across restarts."""

    ui: str


@dataclass(frozen=True)
class FeedArticleView:
    """A new article of a followed feed: its linked title, the source, and its summary in the
    chat's languages (None when the article could not be summarized: title and link only)."""

    title: str
    url: str
    feed_title: str
    summary: SummaryView | None
    ui: str


@dataclass(frozen=True)
class FeedPausedView:
    """A feed failed too often in a row and is no longer polled until a chat resumes it."""

    feed_title: str
    url: str
    error: BaseException
    ui: str


@dataclass(frozen=True)
class DigestEntry:
    """One article of a digest: with its first translated sentences, or as a link only."""

    title: str
    url: str
    feed_title: str
    sentences: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedDigestView:
    """One message of a digest; ``total`` counts the articles of the whole digest, and only
    its first part (``first``) carries the heading."""

    entries: tuple[DigestEntry, ...]
    total: int
    first: bool
    ui: str


View = (
    ProgressView
    | SummaryView
    | LiveSummaryView
    | TranslationView
    | Refusal
    | Failure
    | RestartApology
    | FeedArticleView
    | FeedPausedView
    | FeedDigestView
)
