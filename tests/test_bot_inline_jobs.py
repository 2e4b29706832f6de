"""Chosen inline placeholders as durable jobs: a placeholder chosen just before the bot was
killed is edited into the summary, exactly once, after the restart; in the scaled mode the
ingress admits a chosen placeholder with the shared limits and queues it, and a real worker
edits the inline message (a summary cached meanwhile is put in at the ingress), also as
separate ``briefbot ingress`` and ``briefbot worker`` processes."""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.bot_api_server import BotApiServer
from tests.support.bot_harness import (
    LOOPBACK_ARTICLES,
    USER_ID,
    ArticleServer,
    BotEnv,
    bot_env,
    german_article_html,
)
from tests.support.postgres import free_port
from tests.support.telegram_html import parse_telegram_html
from tests.test_bot_scaled_edits import _until
from tests.test_bot_subprocess import _eventually, _start, _write_config
from tests.test_cluster import _logged
from tests.test_cluster import _start as _start_role
from tests.test_cluster import _write_config as _write_cluster_config
from translation.models.engine import TranslationEngine


def _placeholders(server: BotApiServer, query_id: str) -> list[dict[str, Any]]:
    answer = server.inline_answer(query_id)
    assert answer is not None, "every inline query is answered"
    results: list[dict[str, Any]] = answer["results"]
    assert results and all(r["id"].startswith("p_") for r in results), results
    return results


def _choose(server: BotApiServer, result: dict[str, Any], url: str) -> str:
    """Post ``result`` (a placeholder: an editable inline message); returns its id."""
    return str(server.push_chosen_inline_result(USER_ID, result["id"], url)["inline_message_id"])


def _edits(server: BotApiServer, inline_id: str) -> int:
    message = server.inline_message(inline_id)
    assert message is not None
    return int(message["edits"])


def _text(server: BotApiServer, inline_id: str) -> str:
    message = server.inline_message(inline_id)
    assert message is not None
    return parse_telegram_html(message["text"])


def _is_summary(text: str) -> bool:
    return text.startswith("Neues Verkehrskonzept | Stadtanzeiger") and "\nEnglish\n" in text


async def test_a_placeholder_chosen_before_a_restart_is_edited_once_after_it(
    tmp_path: Path, packages_dir: Path, articles: ArticleServer
) -> None:
    """``briefbot run`` killed with SIGKILL while a chosen placeholder's article is fetched."""
    slow_url = articles.add("/langsam", german_article_html(), delay=3.0)
    config, log, db = tmp_path / "briefbot.toml", tmp_path / "bot.log", tmp_path / "bot.sqlite3"
    with BotApiServer() as server:
        _write_config(config, server.base_url, packages_dir, db)
        process = _start(config, log)
        try:
            query = server.push_inline_query(USER_ID, slow_url)
            await server.wait_for("answerInlineQuery", None, 60)
            [placeholder] = _placeholders(server, query["id"])
            inline_id = _choose(server, placeholder, slow_url)
            await _eventually(lambda: articles.hits["/langsam"] == 1, 30)
            process.kill()  # mid-job: the article is still being fetched
            assert process.wait(10) == -signal.SIGKILL
            assert _edits(server, inline_id) == 0, "still the placeholder"

            process = _start(config, log)
            await _eventually(lambda: _edits(server, inline_id) > 0, 60)
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        assert _edits(server, inline_id) == 1
        assert _is_summary(_text(server, inline_id)), _text(server, inline_id)
    assert articles.hits["/langsam"] == 2, "fetched once per start"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT kind, status, attempts, payload FROM jobs").fetchall()
    [(kind, status, attempts, payload)] = rows
    assert (kind, status, attempts) == ("inline", "done", 2)
    assert json.loads(payload)["inline_message_id"] == inline_id
    assert "Resuming 1 unfinished job(s)" in log.read_text("utf-8", errors="replace")


def _inline_jobs(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT status, payload FROM jobs WHERE kind = 'inline' ORDER BY id")
        return [(status, json.loads(payload)["inline_message_id"]) for status, payload in rows]


async def test_the_scaled_ingress_queues_a_chosen_placeholder_and_a_worker_edits_it(
    tmp_path: Path,
    packages_dir: Path,
    engine: TranslationEngine,
    articles: ArticleServer,
    postgres_url: str,
) -> None:
    storage = {"url": postgres_url}
    # Counted in the database for the inline query and the chosen placeholders.
    limits = {"per_user_per_minute": 3}
    async with bot_env(
        tmp_path, packages_dir, engine, storage=storage, limits=limits, fetch=LOOPBACK_ARTICLES
    ) as env:
        server = env.server
        url = articles.add("/politik/verkehr.html", german_article_html())
        query = server.push_inline_query(USER_ID, url)
        await env.settled()
        [placeholder] = _placeholders(server, query["id"])
        assert placeholder["title"] == "Summarize in English"
        assert articles.hits == {}, "the ingress never does the work"

        first = _choose(server, placeholder, url)
        await env.settled()
        await _until(
            lambda: _inline_jobs(postgres_url) == [("done", first)], "the worker's job", 60
        )
        assert _edits(server, first) == 1 and _is_summary(_text(server, first))
        assert articles.hits == {"/politik/verkehr.html": 1}

        # Cached now: the same placeholder posted again is answered by the ingress, no job.
        again = _choose(server, placeholder, url)
        await env.settled()
        assert _edits(server, again) == 1 and _is_summary(_text(server, again))
        assert _inline_jobs(postgres_url) == [("done", first)]

        # The shared per-user limit (3 a minute: the query, two placeholders) is spent: the
        # third placeholder is refused in its message.
        third = _choose(server, placeholder, url)
        await env.settled()
        assert "too fast" in _text(server, third).lower(), _text(server, third)
        assert _inline_jobs(postgres_url) == [("done", first)]
        assert articles.hits == {"/politik/verkehr.html": 1}
        stats = await env.runtime.service.stats()
        assert stats.by_outcome.get("inline:done") == 2
        assert stats.by_outcome.get("refused:error.rate_limited_user") == 1


async def test_an_ingress_process_queues_the_placeholder_and_a_worker_process_edits_it(
    tmp_path: Path, packages_dir: Path, articles: ArticleServer, postgres_url: str
) -> None:
    """``briefbot ingress`` and ``briefbot worker`` as separate processes."""
    url = articles.add("/politik/verkehr.html", german_article_html())
    config = tmp_path / "briefbot.toml"
    logs = {role: tmp_path / f"{role}.log" for role in ("ingress", "worker")}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    with BotApiServer() as server:
        _write_cluster_config(config, server.base_url, postgres_url, packages_dir, free_port())
        try:
            for role, ready in (("ingress", "Briefbot ready"), ("worker", "Worker ready")):
                processes[role] = _start_role([role], config, logs[role])
                await _until(_logged(logs[role], ready), f"{role} started", 60)
            query = server.push_inline_query(USER_ID, url)
            await server.wait_for("answerInlineQuery", None, 60)
            [placeholder] = _placeholders(server, query["id"])
            inline_id = _choose(server, placeholder, url)
            await _until(lambda: _edits(server, inline_id) > 0, "the worker edited it", 60)
            await _until(
                lambda: _inline_jobs(postgres_url) == [("done", inline_id)], "job done", 60
            )
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait(10)
        assert _edits(server, inline_id) == 1
        assert _is_summary(_text(server, inline_id)), _text(server, inline_id)
    assert "Queued inline job" in logs["ingress"].read_text("utf-8", errors="replace")
    assert "Working on job" in logs["worker"].read_text("utf-8", errors="replace")


async def test_an_inline_job_run_again_after_its_edit_went_out_changes_nothing(
    web_env: BotEnv, articles: ArticleServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The process died between the edit and marking the job done: the retry's edit is
    "message is not modified", which counts as success."""
    env, server = web_env, web_env.server
    url = articles.add("/politik/verkehr.html", german_article_html())
    query = server.push_inline_query(USER_ID, url)
    await env.settled()
    [placeholder] = _placeholders(server, query["id"])
    inline_id = _choose(server, placeholder, url)
    await env.settled()
    assert _edits(server, inline_id) == 1 and _is_summary(_text(server, inline_id))
    assert await env.storage.jobs.unfinished_jobs() == [], "the job is done"
    await env.storage.db.execute("UPDATE jobs SET status = 'running' WHERE kind = 'inline'")

    calls = len(server.calls("editMessageText"))
    caplog.set_level(logging.INFO)
    service = env.runtime.service
    assert await service.resume_unfinished(env.runtime.chat) == 1
    await service.idle()
    assert len(server.calls("editMessageText")) == calls + 1, "the edit was tried again"
    assert _edits(server, inline_id) == 1, "and changed nothing"
    gone = [r.getMessage() for r in caplog.records if "inline message" in r.getMessage().lower()]
    assert gone == [], "not modified is a success, not a message gone"
    assert await env.storage.jobs.unfinished_jobs() == [], "the job is done again"
    assert articles.hits == {"/politik/verkehr.html": 1}, "from the cache"
