"""The bot's recent answers by the message they answer, so an edited request updates its answer.

A bounded window: entries older than ``window_seconds`` are never found and are deleted as new
ones arrive, and at most ``max_entries`` are kept (the oldest go first), so the table stays
small however busy the bot is.
"""

from __future__ import annotations

import time
from typing import Any

from bot.core.records import Answer
from bot.storage.sql import Database


def _answer(row: Any) -> Answer:
    return Answer(
        chat_id=row["chat_id"],
        request_message_id=row["request_message_id"],
        answer_message_id=row["answer_message_id"],
        content_key=row["content_key"],
        created_at=row["created_at"],
    )


class AnswersStore:
    def __init__(self, db: Database, *, window_seconds: float, max_entries: int) -> None:
        self._db = db
        self.window_seconds = window_seconds
        self.max_entries = max_entries

    async def remember(
        self, chat_id: int, request_message_id: int, answer_message_id: int, content_key: str
    ) -> None:
        """Record (or replace) the answer to a message and forget what left the window."""
        now = time.time()
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO answers (chat_id, request_message_id, answer_message_id, "
                "content_key, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (chat_id, request_message_id) DO UPDATE SET "
                "answer_message_id = excluded.answer_message_id, "
                "content_key = excluded.content_key, created_at = excluded.created_at",
                (chat_id, request_message_id, answer_message_id, content_key, now),
            )
            await tx.execute(
                "DELETE FROM answers WHERE created_at < ?", (now - self.window_seconds,)
            )
            await tx.execute(
                "DELETE FROM answers WHERE rowid NOT IN "
                "(SELECT rowid FROM answers ORDER BY created_at DESC, rowid DESC LIMIT ?)",
                (self.max_entries,),
            )

    async def find(self, chat_id: int, request_message_id: int) -> Answer | None:
        """The answer to that message, if it is still inside the window."""
        row = await self._db.fetchone(
            "SELECT * FROM answers WHERE chat_id = ? AND request_message_id = ? "
            "AND created_at >= ?",
            (chat_id, request_message_id, time.time() - self.window_seconds),
        )
        return _answer(row) if row is not None else None
