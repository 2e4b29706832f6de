"""What a chat asked for, independent of Telegram objects, and how it is stored in a durable job.

A request carries everything needed to do the work again after a restart: the text, the URL or
the Telegram ``file_id`` (not the downloaded bytes), where to reply and in which UI language.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from bot.core.cache_keys import normalize_content
from translation import InputError

SourceKind = Literal["text", "url", "file"]
#: ``private``: a private chat; ``asked``: a command or mention in a group (errors are
#: answered briefly); ``auto``: unasked, in a group's auto mode (errors stay silent).
Origin = Literal["private", "asked", "auto"]
JobKind = Literal["summary", "translation"]
#: The job kinds this module's requests are stored as (feed deliveries are jobs too).
REQUEST_KINDS: tuple[JobKind, ...] = get_args(JobKind)


class EmptyMessage(InputError):
    """Nothing visible to work on (whitespace, zero-width or control characters only)."""


class UnsupportedContent(InputError):
    """A sticker, photo without caption, or other content we cannot read."""


class NotATextFile(InputError):
    """A document whose name says it is not a text, HTML or Markdown file."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.file_kind = kind


@dataclass(frozen=True)
class Source:
    """A text, a link or a file; ``value`` is the text, the URL or the Telegram file_id."""

    kind: SourceKind
    value: str
    filename: str | None = None
    file_size: int | None = None
    file_unique_id: str | None = None

    def identity(self) -> str:
        """What makes two sources the same content: normalized text, the URL, the file."""
        if self.kind == "text":
            return normalize_content(self.value)
        if self.kind == "url":
            return self.value.strip()
        return self.file_unique_id or self.value

    def content_key(self) -> str:
        """A short stable hash of the content, used in cache keys and button payloads."""
        digest = hashlib.sha256(f"{self.kind}\0{self.identity()}".encode()).hexdigest()
        return digest[:16]


@dataclass(frozen=True)
class Destination:
    """Where the answer goes: the chat, the message it answers, and who asked."""

    chat_id: int
    reply_to: int | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class SummaryRequest:
    destination: Destination
    source: Source
    ui: str = "en"
    origin: Origin = "private"
    #: Whose settings (languages, length) apply when not the destination's: a channel's, for
    #: its posts answered in the linked discussion group.
    settings_chat: int | None = None

    kind: JobKind = "summary"


@dataclass(frozen=True)
class TranslationRequest:
    """A full translation, either of a source or of a document already prepared (``doc_key``)."""

    destination: Destination
    target: str
    ui: str = "en"
    source: Source | None = None
    doc_key: str | None = None
    origin: Origin = "private"

    kind: JobKind = "translation"


Request = SummaryRequest | TranslationRequest

#: The job kind of a chosen inline placeholder (``InlineRequest``).
INLINE_JOB = "inline"


@dataclass(frozen=True)
class InlineRequest:
    """A chosen "Summarizing…" placeholder: ``source`` summarized in the settings of the user's
    private chat (``destination``, never sent to), its ``language`` part shown in the inline
    message ``inline_message_id``, the job's only answer (so a restart can still edit it)."""

    destination: Destination
    source: Source
    inline_message_id: str
    language: str
    ui: str = "en"
    origin: Origin = "private"

    kind: Literal["inline"] = "inline"


#: The job kind of a "Shorter"/"Longer"/"Original summary" press in the scaled mode.
RESIZE_JOB = "resize"


@dataclass(frozen=True)
class ResizeRequest:
    """A press of a resizing button: document ``doc_key`` summarized again in ``sentences``
    (the original shown or not), edited into the summary message ``destination.reply_to``."""

    destination: Destination
    doc_key: str
    sentences: int
    show_source: bool
    ui: str = "en"
    origin: Origin = "private"

    kind: Literal["resize"] = "resize"


#: Whatever the scaled mode's ingress records as a job for a worker.
QueuedRequest = Request | InlineRequest | ResizeRequest


def resize_request_from_payload(payload: dict[str, Any]) -> ResizeRequest:
    """The inverse of :func:`request_to_payload` for resize jobs; KeyError/TypeError when bad."""
    data = dict(payload)
    destination = Destination(**data.pop("destination"))
    if data.pop("kind") != RESIZE_JOB or destination.reply_to is None:
        raise TypeError("not a resize job")
    return ResizeRequest(destination=destination, **data)


def inline_request_from_payload(payload: dict[str, Any]) -> InlineRequest:
    """The inverse of :func:`request_to_payload` for inline jobs; KeyError/TypeError when bad."""
    data = dict(payload)
    destination = Destination(**data.pop("destination"))
    source = Source(**data.pop("source"))
    if data.pop("kind") != INLINE_JOB:
        raise TypeError("not an inline job")
    return InlineRequest(destination=destination, source=source, **data)


def request_to_payload(request: QueuedRequest) -> dict[str, Any]:
    """A JSON-ready dict for the durable job table."""
    return asdict(request)


def request_from_payload(payload: dict[str, Any]) -> Request:
    """The inverse of :func:`request_to_payload`; raises KeyError/TypeError on a bad payload."""
    data = dict(payload)
    destination = Destination(**data.pop("destination"))
    raw_source = data.pop("source", None)
    source = Source(**raw_source) if raw_source else None
    kind = data.pop("kind")
    if kind == "summary":
        if source is None:
            raise TypeError("a summary job needs a source")
        return SummaryRequest(destination=destination, source=source, **data)
    if kind == "translation":
        return TranslationRequest(destination=destination, source=source, **data)
    raise TypeError(f"unknown job kind {kind!r}")
