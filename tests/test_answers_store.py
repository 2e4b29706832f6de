"""The recent-answers store on a real SQLite file: found by request message, replaced on a new
answer, forgotten past its time window or its size, and kept across a reopen."""

from __future__ import annotations

from pathlib import Path

from bot.storage import Storage


async def test_answers_are_found_replaced_and_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    try:
        await storage.answers.remember(-5, 10, 11, "aaaa")
        await storage.answers.remember(-5, 10, 12, "bbbb")  # the request was answered anew
        assert await storage.answers.find(-6, 10) is None
        assert await storage.answers.find(-5, 11) is None
    finally:
        await storage.close()
    reopened = await Storage.open(path)
    try:
        answer = await reopened.answers.find(-5, 10)
        assert answer is not None
        assert (answer.answer_message_id, answer.content_key) == (12, "bbbb")
    finally:
        await reopened.close()


async def test_answers_leave_the_window_by_age_and_by_count(tmp_path: Path) -> None:
    storage = await Storage.open(
        tmp_path / "bot.sqlite3", answers_window_seconds=3600.0, answers_max_entries=2
    )
    try:
        for request in (1, 2, 3):
            await storage.answers.remember(7, request, request + 100, f"k{request}")
        assert await storage.answers.find(7, 1) is None, "only the two newest are kept"
        assert await storage.answers.find(7, 3) is not None
        await storage.db.execute(
            "UPDATE answers SET created_at = created_at - 7200 WHERE request_message_id = 2"
        )
        assert await storage.answers.find(7, 2) is None, "older than the window"
        await storage.answers.remember(7, 4, 104, "k4")
        rows = await storage.db.fetchall("SELECT request_message_id FROM answers ORDER BY 1")
        assert [row[0] for row in rows] == [3, 4], "expired entries are deleted, not just hidden"
    finally:
        await storage.close()
