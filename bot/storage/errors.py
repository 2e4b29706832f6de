"""One error type for every storage failure, so the bot can answer politely and keep running."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from translation.errors import BriefbotError

Reason = Literal[
    "locked", "full", "readonly", "corrupt", "cannot-open", "io", "newer-schema", "other"
]

# SQLite primary result codes (extended codes carry them in the low byte).
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = (
    3, 5, 6, 8, 10, 11, 13, 14, 26,
)  # fmt: skip

_REASONS: dict[int, Reason] = {
    _BUSY: "locked",
    _LOCKED: "locked",
    _FULL: "full",
    _READONLY: "readonly",
    _CORRUPT: "corrupt",
    _NOTADB: "corrupt",
    _CANTOPEN: "cannot-open",
    _PERM: "cannot-open",
    _IOERR: "io",
}


class StorageError(BriefbotError):
    """The database cannot be used right now; ``reason`` says why (locked, full, corrupt, ...)."""

    exit_code = 5  # briefbot run: the database is corrupt, read-only, locked or too new
    kind = "storage"

    def __init__(self, message: str, reason: Reason = "other") -> None:
        super().__init__(message)
        self.reason: Reason = reason


def storage_error(exc: sqlite3.Error, path: Path) -> StorageError:
    """A clear one-line StorageError for a raw sqlite3 error on the file at ``path``."""
    code = getattr(exc, "sqlite_errorcode", None)
    reason = _REASONS.get(code & 0xFF, "other") if isinstance(code, int) else "other"
    detail = str(exc) or type(exc).__name__
    message = {
        "locked": f"the database {path} is locked by another connection ({detail})",
        "full": f"the disk holding {path} is full, or the database reached its size limit",
        "readonly": f"the database {path} is read-only ({detail})",
        "corrupt": f"the database {path} is corrupt ({detail}); restore a backup or move it away",
        "cannot-open": f"cannot open the database {path} ({detail})",
        "io": f"disk I/O error on the database {path} ({detail})",
    }.get(reason, f"database error on {path}: {detail}")
    return StorageError(message, reason)
