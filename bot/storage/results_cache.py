"""Finished results keyed by content + options, so a link or text seen again is answered at once.

Bounded two ways: entries older than the TTL are never returned (and are deleted), and past
``max_entries`` the least recently used entries are evicted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from bot.core.cache_keys import make_cache_key, normalize_content
from bot.storage.sql import Database

__all__ = ["ResultsCache", "make_cache_key", "normalize_content"]


class ResultsCache:
    """JSON results in the database; ``hits``/``misses`` count lookups since start for /stats."""

    def __init__(
        self,
        db: Database,
        *,
        max_entries: int = 5000,
        ttl_seconds: float = 30 * 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_entries < 1 or ttl_seconds <= 0:
            raise ValueError("max_entries and ttl_seconds must be positive")
        self._db = db
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self.hits = 0
        self.misses = 0

    @property
    def hit_rate(self) -> float | None:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else None

    async def get(self, key: str) -> dict[str, Any] | None:
        now = self._clock()
        async with self._db.session() as s:
            row = await s.fetchone(
                "SELECT value, created_at FROM results_cache WHERE key = ?", (key,)
            )
            if row is not None and row["created_at"] < now - self.ttl_seconds:
                await s.execute("DELETE FROM results_cache WHERE key = ?", (key,))
                row = None
            if row is not None:
                await s.execute("UPDATE results_cache SET last_used = ? WHERE key = ?", (now, key))
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        value: dict[str, Any] = json.loads(row["value"])
        return value

    async def put(self, key: str, value: dict[str, Any]) -> None:
        encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        now = self._clock()
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO results_cache (key, value, created_at, last_used) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "created_at = excluded.created_at, last_used = excluded.last_used",
                (key, encoded, now, now),
            )
            await tx.execute(
                "DELETE FROM results_cache WHERE created_at < ?", (now - self.ttl_seconds,)
            )
            row = await tx.fetchone("SELECT COUNT(*) FROM results_cache")
            excess = int(row[0]) - self.max_entries if row else 0
            if excess > 0:
                await tx.execute(
                    "DELETE FROM results_cache WHERE key IN (SELECT key FROM results_cache "
                    "WHERE key != ? ORDER BY last_used, created_at, key LIMIT ?)",
                    (key, excess),
                )

    async def size(self) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) FROM results_cache")
        return int(row[0]) if row else 0

    async def clear(self) -> None:
        """Drop every entry, e.g. after installing models (answers may now differ)."""
        await self._db.execute("DELETE FROM results_cache")
