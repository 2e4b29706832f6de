"""The one SQLite connection (aiosqlite, WAL): pragmas, migrations, serialized transactions.

aiosqlite runs every statement of a connection on one thread, but coroutines still interleave
between statements; an ``asyncio.Lock`` therefore serializes whole units of work, so a
read-modify-write inside ``transaction()`` (``BEGIN IMMEDIATE``) is atomic both against other
coroutines and against other processes. Every ``sqlite3`` error leaves this module as a
``StorageError``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.errors import StorageError, check_schema_version, storage_error
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, split_statements
from bot.storage.sql import SQLITE, Params

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BUSY_TIMEOUT_MS = 5000
# Permission checks with the effective ids (and capabilities), as SQLite's open() will see them.
_EFFECTIVE_IDS = os.access in os.supports_effective_ids


class Session:
    """Runs statements on the connection; only handed out while the caller holds the lock."""

    dialect = SQLITE

    def __init__(self, db: Database) -> None:
        self._db = db

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        return await self._db._guard(self._rowcount(sql, params))

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; returns the new row's id."""
        row = await self._db._guard(self._db._conn.execute_insert(sql, params))
        assert row is not None
        return int(row[0])

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._db._guard(self._db._conn.execute_fetchall(sql, params)))

    async def _rowcount(self, sql: str, params: Params) -> int:
        cursor = await self._db._conn.execute(sql, params)
        try:
            return cursor.rowcount
        finally:
            await cursor.close()


class Database:
    """An open SQLite file with its schema migrated to ``LATEST_VERSION``."""

    dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self.location = str(path)
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._closed = False

    @classmethod
    async def open(cls, path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Database:
        """Open (creating it and its directory if needed) and migrate the database at ``path``."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the directory of the database {path}: {exc.strerror}",
                "cannot-open",
            ) from exc
        _check_writable(path)
        connecting = aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
        try:
            conn = await connecting
        except sqlite3.Error as exc:
            # aiosqlite stops its worker thread on a failed connect; let it finish while the
            # loop still runs, or it dies with "Event loop is closed" on stderr at exit.
            await asyncio.to_thread(connecting._thread.join, 5.0)
            raise storage_error(exc, path) from exc
        db = cls(conn, path)
        try:
            conn.row_factory = sqlite3.Row
            await db._configure(busy_timeout_ms)
            await db._check_integrity()
            await db._migrate()
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        """Close the connection (idempotent); SQLite checkpoints the WAL on the last close."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            try:
                await self._conn.close()
            except sqlite3.Error as exc:
                log.warning("closing %s: %s", self.path, exc)

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        assert row is not None
        return int(row[0])

    # -- units of work -----------------------------------------------------------------------

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        """Exclusive use of the connection, each statement committing on its own."""
        if self._owner is not None and self._owner is asyncio.current_task():
            raise RuntimeError("nested database use: run statements on the open transaction")
        async with self._lock:
            if self._closed:
                raise StorageError(f"the database {self.path} is closed", "other")
            self._owner = asyncio.current_task()
            try:
                yield Session(self)
            finally:
                self._owner = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: all or nothing, holding SQLite's write lock."""
        async with self.session() as session:
            await session.execute("BEGIN IMMEDIATE")
            try:
                yield session
                await session.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.session() as session:
            return await session.execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self.session() as session:
            return await session.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self.session() as session:
            return await session.fetchall(sql, params)

    # -- internals ---------------------------------------------------------------------------

    async def _guard(self, awaitable: Awaitable[T]) -> T:
        try:
            return await awaitable
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from exc
        except ValueError as exc:  # aiosqlite: "Connection closed"
            raise StorageError(f"the database {self.path} is closed ({exc})") from exc

    async def _rollback(self) -> None:
        """Undo an open transaction; queued after any statement still running, never raises."""
        try:
            await self._conn.execute("ROLLBACK")
        except (sqlite3.Error, ValueError) as exc:
            log.debug("rollback on %s: %s", self.path, exc)

    async def _configure(self, busy_timeout_ms: int) -> None:
        async with self.session() as s:
            await s.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await s.execute("PRAGMA foreign_keys = ON")
            row = await s.fetchone("PRAGMA journal_mode = WAL")
            if row is None or str(row[0]).lower() != "wal":
                log.warning("%s: WAL journal mode unavailable (got %s)", self.path, row and row[0])
            await s.execute("PRAGMA synchronous = NORMAL")

    async def _check_integrity(self) -> None:
        """``PRAGMA quick_check`` (O(size), no index cross-check): a file with a few damaged
        pages opens and answers most queries, then fails on some chat's row or silently loses
        its cache; refuse it at start instead, when the operator is watching."""
        rows = await self.fetchall("PRAGMA quick_check(5)")
        problems = [str(row[0]) for row in rows if str(row[0]) != "ok"]
        if problems:
            raise StorageError(
                f"the database {self.path} is corrupt (quick_check: {problems[0]}); "
                "restore a backup or move it away",
                "corrupt",
            )

    async def _migrate(self) -> None:
        """Apply missing migrations in one transaction; refuse files from a newer Briefbot."""
        if self._check_version(await self.schema_version()) == LATEST_VERSION:
            return
        async with self.transaction() as tx:
            row = await tx.fetchone("PRAGMA user_version")  # another process may have migrated
            current = self._check_version(int(row[0]) if row else 0)
            for version, script in MIGRATIONS:
                if version > current:
                    for statement in split_statements(script):
                        await tx.execute(statement)
                    await tx.execute(f"PRAGMA user_version = {int(version)}")
                    log.info("%s: migrated schema to version %d", self.path, version)

    def _check_version(self, version: int) -> int:
        return check_schema_version(version, LATEST_VERSION, str(self.path))


def _check_writable(path: Path) -> None:
    """Say "read-only" before SQLite says "unable to open database file": the file, or the
    directory where SQLite must create its ``-wal`` and ``-shm`` files, cannot be written."""
    if path.exists() and not os.access(path, os.W_OK, effective_ids=_EFFECTIVE_IDS):
        raise StorageError(
            f"the database {path} is read-only (no write permission, or a read-only file "
            "system); the bot must be able to write it",
            "readonly",
        )
    if not os.access(path.parent, os.W_OK | os.X_OK, effective_ids=_EFFECTIVE_IDS):
        raise StorageError(
            f"the directory {path.parent} of the database is read-only; SQLite needs to "
            f"create {path.name}-wal and {path.name}-shm next to the database",
            "readonly",
        )
