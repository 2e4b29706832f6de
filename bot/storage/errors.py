"""One error type for every storage failure, so the bot can answer politely and keep running."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.core.errors import Reason, StorageError

__all__ = ["Reason", "StorageError", "check_schema_version", "storage_error"]

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


def check_schema_version(version: int, latest: int, location: str) -> int:
    """``version`` if this Briefbot understands it; a database from a newer release is refused."""
    if version > latest:
        raise StorageError(
            f"the database {location} has schema version {version}, newer than this "
            f"Briefbot supports ({latest}): upgrade Briefbot or use another database",
            "newer-schema",
        )
    return version
