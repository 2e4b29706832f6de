"""The PostgreSQL backend (psycopg 3, async, with a connection pool) behind the stores' SQL port.

Several processes share one database here, so a ``transaction()`` is a real PostgreSQL
transaction on a pooled connection (READ COMMITTED); stores lock the rows they read-modify-write
(``Dialect.for_update``). Stores write ``?`` placeholders; they become psycopg's ``%s`` here.
Every psycopg error leaves this module as a ``StorageError`` that never shows the password.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.storage.errors import Reason, StorageError, check_schema_version
from bot.storage.pg_migrations import (
    MIGRATION_LOCK_KEY,
    PG_LATEST_VERSION,
    PG_MIGRATIONS,
    VERSION_TABLE,
)
from bot.storage.sql import POSTGRES, Params

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_POOL_SIZE = 10
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_LOCK_TIMEOUT_MS = 5000

# SQLSTATE codes and classes (first two characters) that have a reason of their own.
_REASONS: dict[str, Reason] = {
    "53100": "full",  # disk_full
    "25006": "readonly",  # read_only_sql_transaction
    "55P03": "locked",  # lock_not_available
    "40P01": "locked",  # deadlock_detected
    "40001": "locked",  # serialization_failure
    "53300": "locked",  # too_many_connections
    "XX001": "corrupt",  # data_corrupted
    "XX002": "corrupt",  # index_corrupted
    "08": "io",  # connection exceptions
    "28": "cannot-open",  # invalid authorization
    "3D": "cannot-open",  # invalid catalog name (no such database)
}


class PgRow:
    """A row readable by column name and by position, like ``sqlite3.Row``."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._index[key] if isinstance(key, str) else key]

    def __len__(self) -> int:
        return len(self._values)


def _row_factory(cursor: psycopg.AsyncCursor[Any]) -> RowMaker[PgRow]:
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return functools.partial(PgRow, index=index)


@functools.lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders (outside quoted literals) as ``%s``; a literal ``%`` as ``%%``."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


def describe_url(url: str) -> str:
    """``postgresql://user@host:port/dbname`` without the password, for messages and logs."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable url)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def pg_storage_error(exc: BaseException, location: str, *, opening: bool = False) -> StorageError:
    """A one-line StorageError for a psycopg (or pool) error on the database at ``location``."""
    if isinstance(exc, PoolTimeout):
        return StorageError(f"no free connection to the database {location} in time", "locked")
    code = getattr(exc, "sqlstate", None) or ""
    reason: Reason = _REASONS.get(code) or _REASONS.get(code[:2]) or "other"
    if opening and (reason in ("io", "other") and isinstance(exc, psycopg.OperationalError)):
        reason = "cannot-open"
    detail = " ".join(str(exc).split()) or type(exc).__name__
    message = {
        "locked": f"the database {location} is busy ({detail})",
        "full": f"the disk of the database server {location} is full ({detail})",
        "readonly": f"the database {location} is read-only ({detail})",
        "corrupt": f"the database {location} is corrupt ({detail})",
        "cannot-open": f"cannot open the database {location} ({detail})",
        "io": f"lost the connection to the database {location} ({detail})",
    }.get(reason, f"database error on {location}: {detail}")
    return StorageError(message, reason)


class PostgresSession:
    """Statements on one pooled connection (inside a transaction, or each committing alone)."""

    dialect = POSTGRES

    def __init__(self, db: PostgresDatabase, conn: psycopg.AsyncConnection[PgRow]) -> None:
        self._db = db
        self._conn = conn

    @property
    def connection(self) -> psycopg.AsyncConnection[PgRow]:
        """The session's connection, for a library that joins the transaction (procrastinate
        defers a job on it, so recording and queueing commit together)."""
        return self._conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._db._guard(self._conn.execute(to_pyformat(sql), _args(params)))
        return max(cursor.rowcount, 0)

    async def insert(self, sql: str, params: Params = ()) -> int:
        row = await self.fetchone(f"{sql} RETURNING id", params)
        assert row is not None
        return int(row[0])

    async def fetchone(self, sql: str, params: Params = ()) -> PgRow | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[PgRow]:
        cursor = await self._db._guard(self._conn.execute(to_pyformat(sql), _args(params)))
        return await self._db._guard(cursor.fetchall())


def _args(params: Params) -> Sequence[Any] | dict[str, Any]:
    return params if isinstance(params, dict) else tuple(params)


class PostgresDatabase:
    """A pool of connections to a migrated PostgreSQL database."""

    dialect = POSTGRES

    def __init__(self, pool: AsyncConnectionPool[Any], location: str) -> None:
        self._pool = pool
        self.location = location
        self._closed = False
        self._active: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"pg-session-{id(self)}", default=False
        )

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS,
    ) -> PostgresDatabase:
        """Connect, migrate to ``PG_LATEST_VERSION``, then open the pool for the stores.

        ``lock_timeout_ms`` bounds waiting for a row another process holds, as SQLite's busy
        timeout does: the caller gets a "locked" StorageError instead of hanging.
        """
        location = describe_url(url)
        await migrate(url, location, connect_timeout)

        async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
            await conn.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")

        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max(1, pool_size),
            open=False,
            timeout=connect_timeout,
            kwargs={"autocommit": True, "row_factory": _row_factory},
            configure=configure,
            name=location,
        )
        try:
            await pool.open(wait=True, timeout=connect_timeout)
        except (psycopg.Error, PoolTimeout) as exc:
            await pool.close()
            raise pg_storage_error(exc, location, opening=True) from exc
        return cls(pool, location)

    async def close(self) -> None:
        """Close every pooled connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._pool.close()

    async def schema_version(self) -> int:
        row = await self.fetchone(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}")
        assert row is not None
        return int(row[0])

    # -- units of work -----------------------------------------------------------------------

    @asynccontextmanager
    async def session(self) -> AsyncIterator[PostgresSession]:
        """One pooled connection, each statement committing on its own."""
        async with self._connection() as conn:
            yield PostgresSession(self, conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresSession]:
        """``BEGIN`` … ``COMMIT`` on one connection; rolled back when the block raises."""
        async with self._connection() as conn:
            try:
                async with conn.transaction():
                    yield PostgresSession(self, conn)
            except psycopg.Error as exc:  # raised by COMMIT itself (e.g. a deferred check)
                raise pg_storage_error(exc, self.location) from exc

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.session() as session:
            return await session.execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> PgRow | None:
        async with self.session() as session:
            return await session.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[PgRow]:
        async with self.session() as session:
            return await session.fetchall(sql, params)

    # -- internals ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[PgRow]]:
        if self._active.get():
            raise RuntimeError("nested database use: run statements on the open transaction")
        if self._closed:
            raise StorageError(f"the database {self.location} is closed", "other")
        token = self._active.set(True)
        try:
            async with self._pool.connection() as conn:
                yield conn
        except (psycopg.Error, PoolTimeout) as exc:
            raise pg_storage_error(exc, self.location) from exc
        finally:
            self._active.reset(token)

    async def _guard(self, awaitable: Awaitable[T]) -> T:
        try:
            return await awaitable
        except psycopg.Error as exc:
            raise pg_storage_error(exc, self.location) from exc


async def migrate(url: str, location: str, connect_timeout: float) -> int:
    """Apply missing migrations in one transaction under an advisory lock; returns the version.

    Concurrent starts queue on the lock, and each sees what the one before it applied.
    """
    try:
        conn = await psycopg.AsyncConnection.connect(
            url, autocommit=True, connect_timeout=max(1, round(connect_timeout))
        )
    except psycopg.Error as exc:
        raise pg_storage_error(exc, location, opening=True) from exc
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER PRIMARY KEY, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            cursor = await conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}")
            row = await cursor.fetchone()
            current = check_schema_version(int(row[0]) if row else 0, PG_LATEST_VERSION, location)
            for version, script in PG_MIGRATIONS:
                if version > current:
                    await conn.execute(script)
                    await conn.execute(
                        f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (version,)
                    )
                    log.info("%s: migrated schema to version %d", location, version)
                    current = version
        return current
    except psycopg.Error as exc:
        raise pg_storage_error(exc, location) from exc
    finally:
        await conn.close()
