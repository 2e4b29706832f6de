"""Edited requests in the scaled mode (PostgreSQL, procrastinate): the ingress turns an edit of
a recently answered message into a job, and a real worker edits the bot's answer in place; an
edit that changes nothing relevant, or of a message the bot never answered, queues nothing.
Once with ``briefbot run`` on PostgreSQL (both roles in one process), once as separate
``briefbot ingress`` and ``briefbot worker`` processes."""

from __future__ import annotations

import asyncio
import html
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from tests.support.bot_api_server import BotApiServer
from tests.support.bot_harness import (
    GERMAN_ARTICLE,
    LOOPBACK_ARTICLES,
    ArticleServer,
    bot_env,
    buttons,
    german_article_html,
)
from tests.support.postgres import free_port
from tests.support.telegram_html import parse_telegram_html
from tests.test_cluster import _logged, _start, _write_config
from translation.models.engine import TranslationEngine

CHAT = 4601
#: The same article's second half: a text whose summary differs from the whole article's.
OTHER_ARTICLE = "\n\n".join(GERMAN_ARTICLE.split("\n\n")[2:])


def _jobs(url: str) -> list[tuple[str, int | None]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT status, progress_message_id FROM jobs ORDER BY id").fetchall()
    return [(status, progress) for status, progress in rows]


async def _until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


def _final(server: BotApiServer, message_id: int, needle: str) -> Callable[[], bool]:
    """The answer shows ``needle`` and carries its buttons (a live answer does not yet)."""

    def done() -> bool:
        [message] = [m for m in server.sent_messages(CHAT) if m.message_id == message_id]
        return needle in parse_telegram_html(message.text or "") and bool(buttons(message))

    return done


async def test_an_edited_request_becomes_a_job_that_edits_the_answer_in_place(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, postgres_url: str
) -> None:
    async with bot_env(tmp_path, packages_dir, engine, storage={"url": postgres_url}) as env:
        request = env.server.push_message(CHAT, GERMAN_ARTICLE, user_id=CHAT)
        await env.settled()
        [answer] = env.server.sent_messages(CHAT)
        await _until(_final(env.server, answer.message_id, "Stadtrat"), "the worker answered")
        await _until(lambda: _jobs(postgres_url) == [("done", answer.message_id)], "job done")

        env.server.push_edit(CHAT, request["message_id"], OTHER_ARTICLE)
        await env.settled()
        await _until(
            lambda: len(_jobs(postgres_url)) == 2 and _jobs(postgres_url)[1][0] == "done",
            "the edit's job ran",
        )
        assert _jobs(postgres_url)[1] == ("done", answer.message_id), "it edits the answer"
        assert [m.message_id for m in env.server.sent_messages(CHAT)] == [answer.message_id]
        text = parse_telegram_html(env.server.message_text(CHAT, answer.message_id) or "")
        assert "Stadtrat" not in text and "German (de)" in text, text

        calls = len(env.server.calls())
        env.server.push_edit(CHAT, request["message_id"], OTHER_ARTICLE + "  ")  # nothing new
        env.server.push_edit(CHAT, 999, GERMAN_ARTICLE)  # a message the bot never answered
        await env.settled()
        assert len(_jobs(postgres_url)) == 2, "no job for an edit that changes nothing"
        new_calls = [c.method for c in env.server.calls()[calls:] if c.method != "getUpdates"]
        assert new_calls == [], new_calls


async def test_an_edit_made_while_the_worker_reads_the_link_waits_for_its_answer(
    tmp_path: Path,
    packages_dir: Path,
    engine: TranslationEngine,
    postgres_url: str,
    articles: ArticleServer,
) -> None:
    """The edit comes while the first job runs (no answer recorded yet): the ingress waits
    for that answer, then queues the edit, and the worker replaces the answer in place."""
    storage = {"url": postgres_url}
    async with bot_env(
        tmp_path, packages_dir, engine, storage=storage, fetch=LOOPBACK_ARTICLES
    ) as env:
        slow = articles.add("/langsam.html", german_article_html(), delay=1.5)
        request = env.server.push_message(CHAT, f"Lies das: {slow}", user_id=CHAT)
        await _until(lambda: articles.hits["/langsam.html"] > 0, "the worker fetches the link")
        assert [status for status, _ in _jobs(postgres_url)] == ["running"]
        env.server.push_edit(CHAT, request["message_id"], OTHER_ARTICLE)
        await env.settled()
        await _until(
            lambda: [status for status, _ in _jobs(postgres_url)] == ["done", "done"],
            "the edit's job ran after the first one",
        )
        [answer] = env.server.sent_messages(CHAT)
        assert _jobs(postgres_url)[1] == ("done", answer.message_id), "it edits the answer"
        await _until(_final(env.server, answer.message_id, "German (de)"), "edited")
        raw = env.server.message_text(CHAT, answer.message_id) or ""
        assert html.escape(slow) not in raw, "still the answer to the first link"


async def test_an_ingress_queues_the_edit_and_a_worker_process_edits_the_answer(
    tmp_path: Path, packages_dir: Path, postgres_url: str
) -> None:
    config = tmp_path / "briefbot.toml"
    logs = {role: tmp_path / f"{role}.log" for role in ("ingress", "worker")}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    with BotApiServer() as server:
        _write_config(config, server.base_url, postgres_url, packages_dir, free_port())
        try:
            for role, ready in (("ingress", "Briefbot ready"), ("worker", "Worker ready")):
                processes[role] = _start([role], config, logs[role])
                await _until(_logged(logs[role], ready), f"{role} started", 60)
            request = server.push_message(CHAT, GERMAN_ARTICLE, user_id=CHAT)
            await _until(lambda: len(server.sent_messages(CHAT)) == 1, "progress message")
            [answer] = server.sent_messages(CHAT)
            await _until(_final(server, answer.message_id, "Stadtrat"), "answered", 60)
            # The edit of an answered message (an edit during the job: the test above).
            await _until(
                lambda: _jobs(postgres_url) == [("done", answer.message_id)], "job done", 60
            )

            server.push_edit(CHAT, request["message_id"], OTHER_ARTICLE)
            await _until(
                lambda: [status for status, _ in _jobs(postgres_url)] == ["done", "done"],
                "the edit's job ran",
                60,
            )
            await _until(_final(server, answer.message_id, "German (de)"), "edited", 60)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait(10)
    assert _jobs(postgres_url) == [("done", answer.message_id)] * 2
    assert [m.message_id for m in server.sent_messages(CHAT)] == [answer.message_id]
    text = parse_telegram_html(server.message_text(CHAT, answer.message_id) or "")
    assert "Stadtrat" not in text and "German (de)" in text, text
    assert "updating the answer" in logs["ingress"].read_text("utf-8", errors="replace")
