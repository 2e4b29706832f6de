"""The translation memory in the bot's SQLite file, so remembered sentences survive restarts.

The engine decodes in worker threads, not on the event loop, so this adapter uses its own
synchronous ``sqlite3`` connection to the file the bot's ``Database`` opened and migrated (WAL
lets both work at once). It never creates the file: until the bot has opened it (or if it is
unusable) every lookup is a miss, since the memory only saves work and must never cost an
answer. Least recently used entries are evicted past ``max_entries``.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from translation.models.memory import Remembered

log = logging.getLogger(__name__)

T = TypeVar("T")

#: SQLite's default limit on ``?`` parameters is 999 on old builds.
_CHUNK = 400
#: Counting rows costs a table scan: check the bound after this many new entries.
_CHECK_EVERY = 256
#: After a failed open, wait this long before trying again.
_RETRY_SECONDS = 5.0


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)
#: One memory entry as stored: model id, source, target, output tokens, last used.
Row = tuple[str, str, str, int, float]


class GuardedConnection(Generic[C]):
    """One connection of the adapter's own, shared by the engine's decoding threads under a
    lock. The memory only saves work, so a failure of the store is a miss, never an error:
    subclasses open the connection (``_connection``, None while there is none) and log the
    failure (``_failed``); both backends' adapters share this."""

    #: The store's errors, each counted as a miss.
    _errors: tuple[type[Exception], ...]

    def __init__(self, clock: Callable[[], float], max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: C | None = None
        self._next_try = 0.0
        self._unchecked = 0
        self._warned = False

    def remember(self, model: str, entries: Mapping[str, Remembered]) -> None:
        key = model_id(model)
        now = self._clock()
        rows = [(key, source, entry.text, entry.tokens, now) for source, entry in entries.items()]
        if rows:
            self._with_connection(lambda conn: self._store(conn, rows), None)

    def count(self) -> int:
        """Rows stored (0 while the store is unavailable)."""
        return self._with_connection(self._count, 0)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _with_connection(self, work: Callable[[C], T], otherwise: T) -> T:
        """``work`` on the connection under the lock; ``otherwise`` when there is none or the
        store fails."""
        with self._lock:
            conn = self._connection()
            if conn is None:
                return otherwise
            try:
                return work(conn)
            except self._errors as exc:
                self._failed(exc)
                return otherwise

    def _added(self, conn: C, rows: int) -> None:
        """Enforce ``max_entries`` every ``_CHECK_EVERY`` new entries (counting costs a scan)."""
        self._unchecked += rows
        if self._unchecked >= _CHECK_EVERY:
            self._unchecked = 0
            self._evict(conn)

    def _store(self, conn: C, rows: list[Row]) -> None:
        """Insert or replace ``rows`` (model, source, target, tokens, last used), then
        ``_added``."""
        raise NotImplementedError

    def _count(self, conn: C) -> int:
        raise NotImplementedError

    def _evict(self, conn: C) -> None:
        raise NotImplementedError

    def _connection(self) -> C | None:
        raise NotImplementedError

    def _failed(self, exc: Exception) -> None:
        raise NotImplementedError


class SqliteTranslationMemory(GuardedConnection[sqlite3.Connection]):
    """``TranslationMemory`` on the ``translation_memory`` table (migration 2)."""

    _errors = (sqlite3.Error,)

    def __init__(
        self,
        path: Path,
        *,
        max_entries: int = 200_000,
        busy_timeout_ms: int = 5000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock, max_entries)
        self.path = Path(path)
        self._timeout = busy_timeout_ms / 1000

    def recall(self, model: str, sources: Iterable[str]) -> dict[str, Remembered]:
        wanted = list(dict.fromkeys(sources))
        key = model_id(model)

        def lookup(conn: sqlite3.Connection) -> dict[str, Remembered]:
            found: dict[str, Remembered] = {}
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT source, target, tokens FROM translation_memory "
                    f"WHERE model = ? AND source IN ({marks})",
                    (key, *chunk),
                ).fetchall()
                found.update((row[0], Remembered(row[1], int(row[2]))) for row in rows)
            if found:
                self._touch(conn, key, list(found))
            return found

        return self._with_connection(lookup, {}) if wanted else {}

    def _store(self, conn: sqlite3.Connection, rows: list[Row]) -> None:
        with _transaction(conn):
            conn.executemany(
                "INSERT OR REPLACE INTO translation_memory "
                "(model, source, target, tokens, last_used) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            self._added(conn, len(rows))

    def _count(self, conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT COUNT(*) FROM translation_memory").fetchone()[0])

    def evict(self) -> None:
        """Enforce ``max_entries`` now (``remember`` does it every few hundred entries)."""
        with self._lock:
            conn = self._connection()
            if conn is not None:
                with _transaction(conn):
                    self._evict(conn)

    def _evict(self, conn: sqlite3.Connection) -> None:
        total = self._count(conn)
        if total > self.max_entries:
            conn.execute(
                "DELETE FROM translation_memory WHERE rowid IN (SELECT rowid FROM "
                "translation_memory ORDER BY last_used, rowid LIMIT ?)",
                (total - self.max_entries,),
            )

    def _touch(self, conn: sqlite3.Connection, key: str, sources: list[str]) -> None:
        now = self._clock()
        with _transaction(conn):
            conn.executemany(
                "UPDATE translation_memory SET last_used = ? WHERE model = ? AND source = ?",
                [(now, key, source) for source in sources],
            )

    def _connection(self) -> sqlite3.Connection | None:
        """Called with the lock held: the open connection, or None while the file is missing."""
        if self._conn is not None or self._clock() < self._next_try:
            return self._conn
        try:
            conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=rw",
                uri=True,
                timeout=self._timeout,
                check_same_thread=False,
                isolation_level=None,
            )
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable enough for a cache
            conn.execute("SELECT 1 FROM translation_memory LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            self._next_try = self._clock() + _RETRY_SECONDS
            log.debug("Translation memory at %s not available yet: %s", self.path, exc)
            return None
        self._conn = conn
        return conn

    def _failed(self, exc: Exception) -> None:
        if not self._warned:
            log.warning("Translation memory at %s failed (treated as a miss): %s", self.path, exc)
            self._warned = True


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (the connection is in autocommit mode)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def model_id(model: str) -> str:
    """A short fixed-size stand-in for the long model key, stored once per row."""
    return hashlib.sha256(model.encode("utf-8")).hexdigest()[:32]
