"""The service layer's view of a chat: what it may do, with no Telegram types in sight.

``bot.telegram.chat.TelegramChat`` implements it on the Bot API; the service only ever talks
to this protocol, so the rules (limits, jobs, cache) stay testable and readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ResultMenu:
    """The buttons under a summary: enough to redo or extend it from the cached document."""

    doc_key: str
    source_language: str
    targets: tuple[str, ...]
    sentences: int
    show_source: bool
    can_shorter: bool
    can_longer: bool
    ui: str = "en"


class ChatPort(Protocol):
    async def typing(self, chat_id: int) -> None:
        """Show "typing…"; failures are ignored (it is only a hint)."""

    async def send(
        self,
        chat_id: int,
        html: str,
        *,
        reply_to: int | None = None,
        menu: ResultMenu | None = None,
    ) -> int:
        """Send an HTML message; returns its message id."""

    async def edit(
        self, chat_id: int, message_id: int, html: str, *, menu: ResultMenu | None = None
    ) -> bool:
        """Replace a message's text; False when the message can no longer be edited."""

    async def delete(self, chat_id: int, message_id: int) -> None:
        """Delete a message; failures are ignored."""

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, *, caption: str, reply_to: int | None
    ) -> int:
        """Send a file with an HTML caption; returns its message id."""

    async def download(self, file_id: str, max_bytes: int) -> bytes:
        """The bytes of a Telegram file (refused past ``max_bytes``)."""
