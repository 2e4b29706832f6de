"""Errors the core's ports may raise, whatever adapter is behind them."""

from __future__ import annotations

from typing import Literal

from translation import BriefbotError

Reason = Literal[
    "locked", "full", "readonly", "corrupt", "cannot-open", "io", "newer-schema", "other"
]


class StorageError(BriefbotError):
    """The database cannot be used right now; ``reason`` says why (locked, full, corrupt, ...)."""

    kind = "storage"
    exit_code = 5

    def __init__(self, message: str, reason: Reason = "other") -> None:
        super().__init__(message)
        self.reason: Reason = reason


class ChatUnreachable(Exception):
    """A chat front end cannot post to the chat any more (the user blocked the bot, it was
    removed from the group or channel, the chat is gone); ``reason`` is the front end's word."""

    def __init__(self, chat_id: int, reason: str) -> None:
        super().__init__(f"chat {chat_id} unreachable: {reason}")
        self.chat_id = chat_id
        self.reason = reason
