"""Feed subscriptions in SQLite: feeds with their polling state, who follows them, and which
articles each chat has seen.

``enqueue_articles`` is the dedupe point: in one transaction it records an article as seen
(by canonical URL and by content hash) and creates its durable delivery job, so an article is
queued once per chat however many feeds carry it, and a crash leaves either both or neither.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.core.feed_records import (
    FEED_ARTICLE_JOB,
    FEED_DIGEST_JOB,
    FEED_JOBS,
    DeliveryMode,
    DigestSchedule,
    FeedState,
    NewArticle,
    Subscription,
)
from bot.storage.sql import Database, Session

#: A subscription rests while its chat cannot be reached (``mark_unreachable``).
_REACHABLE = "NOT EXISTS (SELECT 1 FROM feed_unreachable_chats u WHERE u.chat_id = s.chat_id)"
_SUBSCRIPTION_COLUMNS = (
    "s.chat_id, s.feed_id, f.url, f.title, s.mode, s.paused, f.paused AS feed_paused, "
    f"CASE WHEN {_REACHABLE} THEN 0 ELSE 1 END AS unreachable"
)


def _feed(row: Any) -> FeedState:
    return FeedState(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        interval_seconds=row["interval_seconds"],
        next_poll_at=row["next_poll_at"],
        failures=row["failures"],
        paused=bool(row["paused"]),
        last_error=row["last_error"],
    )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        chat_id=row["chat_id"],
        feed_id=row["feed_id"],
        url=row["url"],
        title=row["title"],
        mode=row["mode"],
        paused=bool(row["paused"]),
        feed_paused=bool(row["feed_paused"]),
        unreachable=bool(row["unreachable"]),
    )


class FeedsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- feeds ----------------------------------------------------------------------------------

    async def add_feed(self, url: str, title: str, interval_seconds: float, now: float) -> int:
        """The feed's id, creating it (due after one interval) or un-pausing it when it exists;
        two chats following a new feed at the same moment (two processes) get the same one."""
        async with self._db.transaction() as tx:
            created = await tx.execute(
                "INSERT INTO feeds (url, title, interval_seconds, next_poll_at, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING",
                (url, title, interval_seconds, now + interval_seconds, now, now),
            )
            row = await tx.fetchone("SELECT id FROM feeds WHERE url = ?", (url,))
            assert row is not None  # inserted now, or by the transaction that conflicted
            if not created:
                await tx.execute(
                    "UPDATE feeds SET paused = 0, failures = 0, updated_at = ? WHERE id = ?",
                    (now, row["id"]),
                )
            return int(row["id"])

    async def get_feed(self, feed_id: int) -> FeedState | None:
        row = await self._db.fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return _feed(row) if row is not None else None

    async def due_feeds(self, now: float) -> list[FeedState]:
        """Feeds to poll now: due, not paused, followed by at least one active chat (not
        paused, reachable)."""
        rows = await self._db.fetchall(
            "SELECT * FROM feeds f WHERE f.paused = 0 AND f.next_poll_at <= ? AND EXISTS "
            f"(SELECT 1 FROM feed_subscriptions s WHERE s.feed_id = f.id AND s.paused = 0 "
            f"AND {_REACHABLE}) ORDER BY f.next_poll_at",
            (now,),
        )
        return [_feed(row) for row in rows]

    async def record_poll(
        self,
        feed_id: int,
        *,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
        interval_seconds: float,
        now: float,
    ) -> None:
        """A successful poll: new validators, failures reset, next poll scheduled."""
        await self._db.execute(
            "UPDATE feeds SET etag = ?, last_modified = ?, title = COALESCE(?, title), "
            "interval_seconds = ?, next_poll_at = ?, failures = 0, last_error = NULL, "
            "updated_at = ? WHERE id = ?",
            (etag, last_modified, title, interval_seconds, now + interval_seconds, now, feed_id),
        )

    async def record_failure(
        self, feed_id: int, error: str, retry_at: float, *, max_failures: int, now: float
    ) -> FeedState | None:
        """A failed poll: back off until ``retry_at``; the ``max_failures``-th failure in a row
        pauses the feed. Returns the new state (``paused`` says whether this call paused it)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE feeds SET failures = failures + 1, last_error = ?, next_poll_at = ?, "
                "paused = CASE WHEN failures + 1 >= ? THEN 1 ELSE paused END, updated_at = ? "
                "WHERE id = ?",
                (error[:300], retry_at, max_failures, now, feed_id),
            )
            row = await tx.fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return _feed(row) if row is not None else None

    # -- subscriptions ----------------------------------------------------------------------------

    async def subscribe(self, chat_id: int, feed_id: int, now: float) -> bool:
        """Follow; False when the chat already follows the feed (then it is un-paused)."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE feed_subscriptions SET paused = 0 WHERE chat_id = ? AND feed_id = ?",
                (chat_id, feed_id),
            )
            if changed:
                return False
            inserted = await tx.execute(
                "INSERT INTO feed_subscriptions (chat_id, feed_id, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (chat_id, feed_id) DO NOTHING",
                (chat_id, feed_id, now),
            )
            return inserted > 0

    async def unsubscribe(self, chat_id: int, feed_id: int) -> bool:
        """Stop following; a feed nobody follows any more is forgotten."""
        async with self._db.transaction() as tx:
            removed = await tx.execute(
                "DELETE FROM feed_subscriptions WHERE chat_id = ? AND feed_id = ?",
                (chat_id, feed_id),
            )
            await tx.execute(
                "DELETE FROM feeds WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM feed_subscriptions WHERE feed_id = ?)",
                (feed_id, feed_id),
            )
        return removed > 0

    async def update_subscription(
        self,
        chat_id: int,
        feed_id: int,
        *,
        paused: bool | None = None,
        mode: DeliveryMode | None = None,
    ) -> Subscription | None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE feed_subscriptions SET paused = COALESCE(?, paused), "
                "mode = COALESCE(?, mode) WHERE chat_id = ? AND feed_id = ?",
                (None if paused is None else int(paused), mode, chat_id, feed_id),
            )
            if paused is False:  # the chat wants it back: so does the feed
                await tx.execute(
                    "UPDATE feeds SET paused = 0, failures = 0 WHERE id = ?", (feed_id,)
                )
            row = await tx.fetchone(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s "
                "JOIN feeds f ON f.id = s.feed_id WHERE s.chat_id = ? AND s.feed_id = ?",
                (chat_id, feed_id),
            )
        return _subscription(row) if row is not None else None

    async def subscriptions(self, chat_id: int) -> list[Subscription]:
        rows = await self._db.fetchall(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s "
            "JOIN feeds f ON f.id = s.feed_id WHERE s.chat_id = ? ORDER BY s.created_at, f.id",
            (chat_id,),
        )
        return [_subscription(row) for row in rows]

    async def followers(self, feed_id: int) -> list[Subscription]:
        """Active subscriptions of a feed (not paused by their chat, chat reachable)."""
        rows = await self._db.fetchall(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s "
            "JOIN feeds f ON f.id = s.feed_id WHERE s.feed_id = ? AND s.paused = 0 "
            f"AND {_REACHABLE} ORDER BY s.chat_id",
            (feed_id,),
        )
        return [_subscription(row) for row in rows]

    # -- chats the bot cannot reach --------------------------------------------------------------

    async def mark_unreachable(self, chat_id: int, reason: str, now: float) -> bool:
        """The chat blocked or removed the bot: its subscriptions rest and its waiting feed
        deliveries are dropped (no retry storm). True when the chat was reachable until now."""
        async with self._db.transaction() as tx:
            added = await tx.execute(
                "INSERT INTO feed_unreachable_chats (chat_id, reason, at) VALUES (?, ?, ?) "
                "ON CONFLICT (chat_id) DO NOTHING",
                (chat_id, reason[:300], now),
            )
            await tx.execute(
                "UPDATE jobs SET status = 'failed', error = ?, updated_at = ? WHERE chat_id = ? "
                "AND kind IN (?, ?) AND status IN ('queued', 'running')",
                (f"chat unreachable: {reason}"[:500], now, chat_id, *FEED_JOBS),
            )
        return added > 0

    async def mark_reachable(self, chat_id: int) -> bool:
        """The chat is back; True when it had been marked unreachable."""
        removed = await self._db.execute(
            "DELETE FROM feed_unreachable_chats WHERE chat_id = ?", (chat_id,)
        )
        return removed > 0

    # -- seen articles and deliveries -------------------------------------------------------------

    async def mark_seen(self, chat_id: int, keys: Sequence[str], now: float) -> None:
        """The backlog at the first follow: known, never delivered."""
        async with self._db.transaction() as tx:
            for key in keys:
                await tx.execute(
                    "INSERT INTO feed_seen (chat_id, key, delivered, at) "
                    "VALUES (?, ?, 0, ?) ON CONFLICT DO NOTHING",
                    (chat_id, key, now),
                )

    async def enqueue_articles(
        self,
        chat_id: int,
        articles: Sequence[NewArticle],
        payload: dict[str, Any],
        *,
        daily_limit: int,
        now: float,
        digest: bool = False,
    ) -> list[int]:
        """Queue a delivery job for each article this chat has not seen (by URL or hash), up to
        ``daily_limit`` deliveries in 24 hours; returns the new job ids. Articles past the limit
        are marked seen so they do not arrive late in a burst. With ``digest`` they wait for
        the chat's next digest instead (no job; ``take_digest`` makes one)."""
        jobs: list[int] = []
        async with self._db.transaction() as tx:
            delivered = await _delivered_since(tx, chat_id, now - 86400.0)
            for article in articles:
                keys = (article.url, f"hash:{article.content_hash}")
                if await _seen(tx, chat_id, keys):
                    continue
                send = delivered + len(jobs) < daily_limit
                for key in keys:
                    await tx.execute(
                        "INSERT INTO feed_seen (chat_id, key, delivered, at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (chat_id, key, int(send and key == article.url), now),
                    )
                if send and digest:
                    await tx.execute(
                        "INSERT INTO feed_digest_items (chat_id, url, title, "
                        "feed_title, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (chat_id, article.url, article.title, article.feed_title, now),
                    )
                elif send:
                    job_payload = {
                        **payload,
                        "url": article.url,
                        "title": article.title,
                        "feed_title": article.feed_title,
                    }
                    jobs.append(await _insert_job(tx, chat_id, job_payload, now))
        return jobs

    # -- digests --------------------------------------------------------------------------------

    async def set_digest_schedule(
        self, chat_id: int, hours: Sequence[int], timezone: str, now: float
    ) -> None:
        """Set a chat's digest hours; the next digest comes at the next of them."""
        await self._db.execute(
            "INSERT INTO feed_digest_schedules (chat_id, hours, timezone, last_run_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET hours = excluded.hours, "
            "timezone = excluded.timezone, last_run_at = excluded.last_run_at",
            (chat_id, ",".join(str(h) for h in sorted(set(hours))), timezone, now),
        )

    async def digest_schedule(self, chat_id: int) -> DigestSchedule | None:
        row = await self._db.fetchone(
            "SELECT * FROM feed_digest_schedules WHERE chat_id = ?", (chat_id,)
        )
        return _schedule(row) if row is not None else None

    async def waiting_digests(self) -> list[DigestSchedule]:
        """Schedules of reachable chats that have articles waiting for their digest."""
        rows = await self._db.fetchall(
            "SELECT * FROM feed_digest_schedules d WHERE EXISTS "
            "(SELECT 1 FROM feed_digest_items i WHERE i.chat_id = d.chat_id) AND NOT EXISTS "
            "(SELECT 1 FROM feed_unreachable_chats u WHERE u.chat_id = d.chat_id) "
            "ORDER BY chat_id"
        )
        return [_schedule(row) for row in rows]

    async def take_digest(self, chat_id: int, now: float) -> int | None:
        """Move the waiting articles (newest first) into one digest job; its id, or None."""
        async with self._db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT url, title, feed_title FROM feed_digest_items WHERE chat_id = ? "
                "ORDER BY at DESC, rowid DESC",
                (chat_id,),
            )
            await tx.execute("DELETE FROM feed_digest_items WHERE chat_id = ?", (chat_id,))
            await tx.execute(
                "UPDATE feed_digest_schedules SET last_run_at = ? WHERE chat_id = ?",
                (now, chat_id),
            )
            if not rows:
                return None
            items = [{k: row[k] for k in ("url", "title", "feed_title")} for row in rows]
            return await _insert_job(tx, chat_id, {"items": items}, now, FEED_DIGEST_JOB)


async def move_chat_feeds(tx: Session, old_chat_id: int, new_chat_id: int) -> None:
    """Group → supergroup: subscriptions, seen articles and digests follow the chat (where the
    new chat already has its own, those win)."""
    # table -> the rest of its primary key: a row moves unless the new chat has that key
    tables = {
        "feed_subscriptions": "feed_id",
        "feed_seen": "key",
        "feed_digest_items": "url",
        "feed_digest_schedules": None,
        "feed_unreachable_chats": None,
    }
    for table, rest in tables.items():
        same = f" AND n.{rest} = {table}.{rest}" if rest else ""
        await tx.execute(
            f"UPDATE {table} SET chat_id = ? WHERE chat_id = ? AND NOT EXISTS "
            f"(SELECT 1 FROM {table} n WHERE n.chat_id = ?{same})",
            (new_chat_id, old_chat_id, new_chat_id),
        )
        await tx.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old_chat_id,))


def _schedule(row: Any) -> DigestSchedule:
    hours = tuple(int(h) for h in str(row["hours"]).split(",") if h.strip().isdigit())
    return DigestSchedule(row["chat_id"], hours, row["timezone"], row["last_run_at"])


async def _seen(tx: Session, chat_id: int, keys: Sequence[str]) -> bool:
    marks = ",".join("?" for _ in keys)
    row = await tx.fetchone(
        f"SELECT 1 FROM feed_seen WHERE chat_id = ? AND key IN ({marks}) LIMIT 1",
        (chat_id, *keys),
    )
    return row is not None


async def _delivered_since(tx: Session, chat_id: int, since: float) -> int:
    row = await tx.fetchone(
        "SELECT COUNT(*) FROM feed_seen WHERE chat_id = ? AND delivered = 1 AND at >= ?",
        (chat_id, since),
    )
    return int(row[0]) if row else 0


async def _insert_job(
    tx: Session, chat_id: int, payload: dict[str, Any], now: float, kind: str = FEED_ARTICLE_JOB
) -> int:
    return await tx.insert(
        "INSERT INTO jobs (chat_id, kind, payload, status, attempts, created_at, updated_at) "
        "VALUES (?, ?, ?, 'queued', 0, ?, ?)",
        (chat_id, kind, json.dumps(payload, ensure_ascii=False), now, now),
    )
