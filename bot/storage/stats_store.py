"""Request statistics for owners' /stats: counts, cache hit rate, latency per stage.

Rows older than the retention period are pruned as new ones arrive, so the table stays bounded.
Medians and 95th percentiles are computed in SQL with window functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from bot.core.records import StatsSummary
from bot.storage.sql import Database, Session

__all__ = ["StatsStore", "StatsSummary", "move_chat_requests"]

DAY = 86400.0
PRUNE_EVERY = 256


async def move_chat_requests(tx: Session, old_chat_id: int, new_chat_id: int) -> None:
    await tx.execute(
        "UPDATE requests SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
    )


class StatsStore:
    def __init__(
        self,
        db: Database,
        *,
        retention_days: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self.retention_seconds = retention_days * DAY
        self._clock = clock
        self._since_prune = 0

    async def record_request(
        self,
        chat_id: int,
        kind: str,
        outcome: str,
        cache_hit: bool,
        timings_ms: Mapping[str, float],
    ) -> None:
        """One answered (or refused, or failed) request with its per-stage timings."""
        now = self._clock()
        async with self._db.transaction() as tx:
            request_id = await tx.insert(
                "INSERT INTO requests (at, chat_id, kind, outcome, cache_hit) "
                "VALUES (?, ?, ?, ?, ?)",
                (now, chat_id, kind, outcome, int(cache_hit)),
            )
            for stage, ms in timings_ms.items():
                await tx.execute(
                    "INSERT INTO request_timings (request_id, at, stage, ms) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (request_id, stage) "
                    "DO UPDATE SET at = excluded.at, ms = excluded.ms",
                    (request_id, now, stage, float(ms)),
                )
        self._since_prune += 1
        if self._since_prune >= PRUNE_EVERY:
            await self.prune()

    async def prune(self) -> int:
        """Delete requests past the retention period; returns how many."""
        self._since_prune = 0
        cutoff = self._clock() - self.retention_seconds
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM request_timings WHERE at < ?", (cutoff,))
            return await tx.execute("DELETE FROM requests WHERE at < ?", (cutoff,))

    async def summary(self, since: float | None = None) -> StatsSummary:
        """Figures over requests at or after ``since`` (epoch seconds; None = everything kept)."""
        start = since if since is not None else float("-inf")
        day_ago = self._clock() - DAY
        async with self._db.session() as s:
            groups = await s.fetchall(
                "SELECT kind, outcome, COUNT(*) AS n, SUM(cache_hit) AS hits "
                "FROM requests WHERE at >= ? GROUP BY kind, outcome",
                (start,),
            )
            recent = await s.fetchone("SELECT COUNT(*) FROM requests WHERE at >= ?", (day_ago,))
            percentiles = await s.fetchall(
                "WITH ranked AS (SELECT stage, ms, "
                "ROW_NUMBER() OVER (PARTITION BY stage ORDER BY ms) AS rn, "
                "COUNT(*) OVER (PARTITION BY stage) AS n FROM request_timings WHERE at >= ?) "
                "SELECT stage, "
                "AVG(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN ms END) AS median, "
                # nearest rank: the ceil(0.95 n)-th smallest value
                "MAX(CASE WHEN rn = (95 * n + 99) / 100 THEN ms END) AS p95 "
                "FROM ranked GROUP BY stage ORDER BY stage",
                (start,),
            )
        by_outcome: dict[str, int] = {}
        by_kind: dict[str, int] = {}
        for row in groups:
            by_outcome[row["outcome"]] = by_outcome.get(row["outcome"], 0) + row["n"]
            by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["n"]
        return StatsSummary(
            since=since,
            total=sum(row["n"] for row in groups),
            by_outcome=by_outcome,
            by_kind=by_kind,
            cache_hits=sum(row["hits"] for row in groups),
            last_24h=int(recent[0]) if recent else 0,
            median_ms={row["stage"]: row["median"] for row in percentiles},
            p95_ms={row["stage"]: row["p95"] for row in percentiles},
        )
