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
