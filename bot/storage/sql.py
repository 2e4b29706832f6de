"""What stores need from a SQL backend, so each is written once for SQLite and PostgreSQL.

Stores write portable SQL: ``?`` placeholders, ``INSERT … ON CONFLICT … DO UPDATE`` upserts, JSON
as text, rows read by column name or position. What cannot be portable is a ``Dialect`` field
(row locks exist only where several connections write at once). Both backends serialize a
``transaction()`` against concurrent writers of the same rows and turn driver errors into
``StorageError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

Params = Iterable[Any] | dict[str, Any]


class Row(Protocol):
    """A result row: ``row["column"]`` or ``row[0]``."""

    def __getitem__(self, key: Any, /) -> Any: ...


@dataclass(frozen=True)
class Dialect:
    """SQL that differs between backends, appended by stores where it matters."""

    name: str
    #: Lock the selected rows until the transaction ends (empty where the whole file is locked).
    for_update: str
    #: The same, skipping rows another transaction holds (claim one of many without waiting).
    for_update_skip_locked: str


SQLITE = Dialect("sqlite", for_update="", for_update_skip_locked="")
POSTGRES = Dialect(
    "postgresql", for_update=" FOR UPDATE", for_update_skip_locked=" FOR UPDATE SKIP LOCKED"
)


class Session(Protocol):
    """Statements inside one unit of work (a transaction, or autocommitting statements)."""

    dialect: Dialect

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        ...

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT into a table with an ``id`` key; returns the new row's id."""
        ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Params = ()) -> Sequence[Row]: ...


class Database(Protocol):
    """An open, migrated database; ``location`` names it in messages (never with a password)."""

    dialect: Dialect
    location: str

    def session(self) -> AbstractAsyncContextManager[Session]: ...

    def transaction(self) -> AbstractAsyncContextManager[Session]: ...

    async def execute(self, sql: str, params: Params = ()) -> int: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Params = ()) -> Sequence[Row]: ...

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...


async def lock_row(tx: Session, table: str, key_column: str, key: Any, **columns: Any) -> None:
    """Create the row keyed ``key`` if missing (with ``columns``), then lock it to the transaction.

    A read-modify-write of a row that may not exist yet needs something to lock: without it two
    PostgreSQL transactions could both read "nothing" and the second write would lose the first.
    (SQLite's ``transaction()`` holds the whole file, where the lock clause is empty.)
    """
    names = [key_column, *columns]
    await tx.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) "
        f"ON CONFLICT ({key_column}) DO NOTHING",
        (key, *columns.values()),
    )
    await tx.fetchone(
        f"SELECT {key_column} FROM {table} WHERE {key_column} = ?{tx.dialect.for_update}", (key,)
    )
