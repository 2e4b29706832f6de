"""The translation memory in PostgreSQL, shared by every worker of the scaled mode: a sentence one
worker decoded is never decoded again by another (the ``translation_memory`` table of PG
migration 4, the same columns and model key as the SQLite adapter).

The engine asks from its decoding threads, so this adapter keeps one synchronous psycopg
connection of its own behind a lock. The memory only saves work: while the server is unreachable
every lookup is a miss (retried after a pause), never a failed answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import psycopg

from bot.storage.postgres import describe_url
from bot.storage.translation_memory import GuardedConnection, Row, model_id
from translation.models.memory import Remembered

log = logging.getLogger(__name__)

Connection = psycopg.Connection[tuple[object, ...]]

#: After a failed connection, wait this long before trying again.
_RETRY_SECONDS = 5.0


class PostgresTranslationMemory(GuardedConnection[Connection]):
    """``TranslationMemory`` on PostgreSQL; least recently used entries go past ``max_entries``."""

    _errors = (psycopg.Error,)

    def __init__(
        self,
        url: str,
        *,
        max_entries: int = 200_000,
        connect_timeout: int = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock, max_entries)
        self._url = url
        self.location = describe_url(url)
        self._connect_timeout = connect_timeout

    def recall(self, model: str, sources: Iterable[str]) -> dict[str, Remembered]:
        wanted = list(dict.fromkeys(sources))
        key = model_id(model)

        def lookup(conn: Connection) -> dict[str, Remembered]:
            with conn.transaction():  # found entries become the most recently used
                rows = conn.execute(
                    "UPDATE translation_memory SET last_used = %s "
                    "WHERE model = %s AND source = ANY(%s) RETURNING source, target, tokens",
                    (self._clock(), key, wanted),
                ).fetchall()
            return {str(row[0]): Remembered(str(row[1]), int(str(row[2]))) for row in rows}

        return self._with_connection(lookup, {}) if wanted else {}

    def _store(self, conn: Connection, rows: list[Row]) -> None:
        with conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO translation_memory (model, source, target, tokens, last_used) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (model, source) DO UPDATE SET "
                "target = EXCLUDED.target, tokens = EXCLUDED.tokens, "
                "last_used = EXCLUDED.last_used",
                rows,
            )
        self._added(conn, len(rows))

    def _count(self, conn: Connection) -> int:
        row = conn.execute("SELECT COUNT(*) FROM translation_memory").fetchone()
        return int(str(row[0])) if row is not None else 0

    def evict(self) -> None:
        """Enforce ``max_entries`` now (``remember`` does it every few hundred entries)."""
        self._with_connection(self._evict, None)

    def _evict(self, conn: Connection) -> None:
        surplus = self._count(conn) - self.max_entries
        if surplus > 0:
            conn.execute(
                "DELETE FROM translation_memory WHERE ctid IN (SELECT ctid FROM "
                "translation_memory ORDER BY last_used LIMIT %s)",
                (surplus,),
            )

    def _connection(self) -> Connection | None:
        """Called with the lock held: the open connection, or None while there is none."""
        if self._conn is not None and self._conn.closed:
            self._conn = None  # the server went away: reconnect (after the pause)
        if self._conn is not None or self._clock() < self._next_try:
            return self._conn
        try:
            self._conn = psycopg.connect(
                self._url, autocommit=True, connect_timeout=self._connect_timeout
            )
        except psycopg.Error as exc:
            self._next_try = self._clock() + _RETRY_SECONDS
            self._failed(exc)
        return self._conn

    def _failed(self, exc: Exception) -> None:
        if self._conn is not None and self._conn.broken:
            self._conn.close()
            self._conn = None
            self._next_try = self._clock() + _RETRY_SECONDS
        if not self._warned:
            detail = " ".join(str(exc).split())
            log.warning(
                "Translation memory at %s failed (treated as a miss): %s", self.location, detail
            )
            self._warned = True
