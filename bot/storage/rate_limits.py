"""Sliding-window rate limits kept in the database, so several ingress processes share them.

The same rule as ``bot.core.admission.SlidingWindowLimiter`` (at most ``limit`` events per key in
any ``window`` seconds), but counted in a table: the key's row is locked while its events are
counted, so concurrent processes never let more through than the limit. Times are wall-clock
epoch seconds (monotonic clocks mean nothing across machines). Old events are pruned as new ones
arrive, so the tables stay bounded by the active keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.storage.sql import Database, lock_row

PRUNE_EVERY = 512


class RateLimitStore:
    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._since_prune = 0
        self._longest_window = 0.0

    async def acquire(self, key: str, limit: int, window: float = 60.0) -> float | None:
        """Count an event and return None, or return the seconds until one would be allowed.

        ``limit`` <= 0 means unlimited. A refused event is not counted.
        """
        if limit <= 0:
            return None
        self._longest_window = max(self._longest_window, window)
        async with self._db.transaction() as tx:
            await lock_row(tx, "rate_limit_keys", "key", key, last_at=self._clock())
            now = self._clock()  # read under the lock, so events are recorded in time order
            await tx.execute(
                "DELETE FROM rate_limit_events WHERE key = ? AND at <= ?", (key, now - window)
            )
            row = await tx.fetchone(
                "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM rate_limit_events WHERE key = ?",
                (key,),
            )
            assert row is not None
            if int(row["n"]) >= limit:
                return max(0.0, float(row["oldest"]) + window - now)
            await tx.execute("INSERT INTO rate_limit_events (key, at) VALUES (?, ?)", (key, now))
            await tx.execute("UPDATE rate_limit_keys SET last_at = ? WHERE key = ?", (now, key))
        self._since_prune += 1
        if self._since_prune >= PRUNE_EVERY:
            await self.prune(self._longest_window)
        return None

    async def prune(self, older_than_seconds: float) -> int:
        """Forget keys idle for ``older_than_seconds`` (and old events); returns how many keys."""
        self._since_prune = 0
        cutoff = self._clock() - older_than_seconds
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM rate_limit_events WHERE at <= ?", (cutoff,))
            return await tx.execute("DELETE FROM rate_limit_keys WHERE last_at <= ?", (cutoff,))
