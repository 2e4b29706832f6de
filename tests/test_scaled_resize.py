"""The "Shorter"/"Longer"/"Original summary" buttons in the scaled mode (issue 11): an ingress
without a loaded model admits the press with the shared limits and queues a job, a real
``briefbot worker`` process edits the summary message in place; a size already in the results
cache is edited in by the ingress at once, with no job; a retried job edits the same message
again and posts nothing new. Real PostgreSQL, procrastinate, the PTB Application and the
loopback Bot API server."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import procrastinate
import psycopg

from bot.storage.job_queue import QUEUE_NAME, TASK_NAME
from tests.support.bot_api_server import BotApiServer, SentMessage
from tests.support.bot_harness import GERMAN_ARTICLE, BotEnv, bot_config, buttons
from tests.support.postgres import free_port
from tests.support.telegram_html import parse_telegram_html
from tests.test_cluster import _logged, _start, _write_config
from translation.models.engine import TranslationEngine

CHAT = 4701


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


async def _until(condition: Callable[[], object], what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not in time: {what}"
        await asyncio.sleep(0.05)


def _bullets(server: BotApiServer, message_id: int) -> int:
    """Sentences the summary shows now (0 while it is not a finished summary)."""
    [message] = [m for m in server.sent_messages(CHAT) if m.message_id == message_id]
    text = parse_telegram_html(message.text or "")
    return text.count("• ") if "German (de)" in text and buttons(message) else 0


def _summary(server: BotApiServer) -> SentMessage:
    [message] = server.sent_messages(CHAT)
    return message


def _edits(server: BotApiServer, message_id: int) -> int:
    return sum(1 for c in server.calls("editMessageText") if c.params["message_id"] == message_id)


async def _requeue(url: str, job_id: int) -> None:
    """What the stalled-job sweeper does for a worker that died after its edit, before it
    marked the job done: the job is running again and its task is queued once more."""
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE jobs SET status = 'running' WHERE id = %s", (job_id,))
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
    async with app.open_async():
        deferrer = app.configure_task(TASK_NAME, queue=QUEUE_NAME, lock=f"chat:{CHAT}")
        await deferrer.defer_async(job_id=job_id)


async def test_a_worker_resizes_the_summary_the_ingress_queued(
    tmp_path: Path, packages_dir: Path, postgres_url: str
) -> None:
    config = tmp_path / "worker.toml"
    log = tmp_path / "worker.log"
    worker: subprocess.Popen[bytes] | None = None
    async with BotApiServer() as server:
        _write_config(config, server.base_url, postgres_url, packages_dir, free_port())
        try:
            worker = _start(["worker"], config, log)
            await _until(_logged(log, "Worker ready"), "the worker started")
            # The ingress could load the same models, but must not: it only follows the
            # workers' models version.
            ingress_config = bot_config(
                tmp_path / "in", server.base_url, packages_dir, storage={"url": postgres_url}
            )
            ingress = BotEnv(server, ingress_config, TranslationEngine(packages_dir))
            async with ingress.running(role="ingress"):
                server.push_message(CHAT, GERMAN_ARTICLE, user_id=CHAT)
                await _until(lambda: server.sent_messages(CHAT), "the progress message")
                [summary] = server.sent_messages(CHAT)
                at = summary.message_id
                await _until(lambda: _bullets(server, at), "the worker's summary")
                full = _bullets(server, at)
                assert full == 3, "the default length"

                pressed = await ingress.press(CHAT, CHAT, buttons(_summary(server))["Shorter"], at)
                assert not pressed.get("show_alert"), pressed
                await _until(lambda: _bullets(server, at) == full - 1, "the shorter summary")
                await _until(
                    lambda: (
                        _rows(postgres_url, "SELECT status FROM jobs WHERE kind = 'resize'")
                        == [("done",)]
                    ),
                    "the resize job done",
                )

                # The resize job retried after its worker died past the edit: the same
                # message is edited once more ("not modified"), nothing is posted, done.
                [(job_id,)] = _rows(postgres_url, "SELECT id FROM jobs WHERE kind = 'resize'")
                edits = _edits(server, at)
                await _requeue(postgres_url, int(str(job_id)))
                await _until(lambda: _edits(server, at) > edits, "the retry's edit")
                await _until(
                    lambda: (
                        _rows(postgres_url, f"SELECT status FROM jobs WHERE id = {job_id}")
                        == [("done",)]
                    ),
                    "the retry done",
                )
                assert _bullets(server, at) == full - 1

                # Back to the first length: in the results cache, so the ingress edits it in
                # at once (no job, no wait for a worker).
                pressed = await ingress.press(CHAT, CHAT, buttons(_summary(server))["Longer"], at)
                assert not pressed.get("show_alert"), pressed
                assert _bullets(server, at) == full, "edited before the press was answered"
                kinds = _rows(postgres_url, "SELECT kind FROM jobs ORDER BY id")
                assert kinds == [("summary",), ("resize",)], "the cached size made no job"
                assert ingress.engine.loaded_count() == 0, "the ingress loaded a model"
        finally:
            if worker is not None and worker.poll() is None:
                worker.kill()
                worker.wait(10)
    assert [m.message_id for m in server.sent_messages(CHAT)] == [at], "one message, edited"
    [(attempts,)] = _rows(postgres_url, "SELECT attempts FROM jobs WHERE kind = 'resize'")
    assert attempts == 2
