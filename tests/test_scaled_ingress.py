"""The scaled mode's ingress through the real PTB Application, the loopback Bot API and a real
PostgreSQL with procrastinate workers: cache hits answered at the ingress with no job (keyed by
the models version the workers publish), places in line shown and kept up to date without ever
overwriting a worker's edit, and one full translation per message and language."""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from tests.support.bot_api_server import BOT_USERNAME, BotApiServer
from tests.support.bot_harness import (
    GERMAN_ARTICLE,
    GROUP_CHAT,
    LOOPBACK_ARTICLES,
    ArticleServer,
    BotEnv,
    bot_config,
    bot_env,
    buttons,
    german_article_html,
)
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import TranslationEngine

REQUESTER, OTHER = 5101, 5102
FULL = "Full translation: English"


async def _until(condition: Callable[[], object], what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not in time: {what}"
        await asyncio.sleep(0.05)


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _answered(server: BotApiServer, chat: int) -> bool:
    """The chat shows a finished summary (it carries its buttons; a live answer does not)."""
    return any(
        "German (de)" in parse_telegram_html(m.text or "") and bool(buttons(m))
        for m in server.sent_messages(chat)
    )


async def test_a_workers_result_is_answered_by_another_ingress_with_no_job(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, postgres_url: str
) -> None:
    storage = {"url": postgres_url}
    chat, other_chat = 5001, 5002
    async with bot_env(tmp_path / "run", packages_dir, engine, storage=storage) as worker_env:
        worker_env.server.push_message(chat, GERMAN_ARTICLE, user_id=chat)
        await _until(lambda: _answered(worker_env.server, chat), "the worker's answer")
        await _until(
            lambda: _rows(postgres_url, "SELECT status FROM jobs") == [("done",)], "job done"
        )
        version = worker_env.runtime.service.models_version

    # Another ingress on its own Telegram, with no models of its own (its own cache key would
    # differ): it keys the cache with the version the worker published (the entry stays
    # fresh for a while after the worker stopped; no worker is needed for a hit).
    no_models = tmp_path / "no-models"
    no_models.mkdir()
    async with BotApiServer() as server:
        # Update ids are the delivery keys: this Telegram's must not repeat the other's.
        server._update_ids = itertools.count(1000)
        config = bot_config(tmp_path / "in", server.base_url, no_models, storage=storage)
        ingress = BotEnv(server, config, TranslationEngine(no_models))
        async with ingress.running(role="ingress"):
            service = ingress.runtime.service
            await _until(lambda: service.models_version == version, "the workers' version")
            (reply,) = await ingress.ask(other_chat, GERMAN_ARTICLE, user_id=other_chat)
            text = parse_telegram_html(reply.text or "")
            assert "German (de)" in text and buttons(reply), "the summary, at once"
            assert reply.edits == 0, "no progress message: the answer itself"
            # A miss is queued as before (the progress message first, then a job).
            (progress,) = await ingress.ask(other_chat, "Ein ganz anderer Text. " * 5)
            assert "Working on it" in parse_telegram_html(progress.text or "")
    assert len(server.sent_messages(other_chat)) == 2
    jobs = _rows(postgres_url, "SELECT chat_id, status FROM jobs ORDER BY id")
    assert jobs == [(chat, "done"), (other_chat, "queued")], "the hit made no job"


def _texts(server: BotApiServer, chat: int) -> list[str]:
    """What the chat's one message showed, in order: as sent, then each edit."""
    sent = [c for c in server.calls("sendMessage") if c.params["chat_id"] == chat]
    edits = [c for c in server.calls("editMessageText") if c.params["chat_id"] == chat]
    return [parse_telegram_html(c.params["text"]) for c in [*sent, *edits]]


async def test_waiting_users_see_their_place_in_line_and_it_moves(
    tmp_path: Path,
    packages_dir: Path,
    engine: TranslationEngine,
    postgres_url: str,
    articles: ArticleServer,
) -> None:
    # Two slow links: the one worker is busy with the first while the others wait, and
    # with the second (the first in line) while the places behind it move.
    slow = [articles.add(f"/langsam/{n}", german_article_html(), delay=9.0) for n in range(2)]
    busy, waiting = 5010, (5011, 5012, 5013)
    async with bot_env(
        tmp_path,
        packages_dir,
        engine,
        storage={"url": postgres_url},
        limits={"workers": 1},
        fetch={**LOOPBACK_ARTICLES, "timeout_seconds": 30.0},
    ) as env:
        server = env.server
        server.push_message(busy, slow[0], user_id=busy)
        await _until(lambda: articles.hits.get("/langsam/0", 0) >= 1, "the one worker is busy")
        texts = [slow[1], *(f"{GERMAN_ARTICLE}\n\nNachtrag {n}." for n in range(2))]
        for chat, text in zip(waiting, texts, strict=True):
            server.push_message(chat, text, user_id=chat)
            await _until(functools.partial(server.sent_messages, chat), "progress shown")
        await _until(
            lambda: all(_answered(server, c) for c in (busy, *waiting)), "every answer", 120
        )
    first, second, third = (_texts(server, chat) for chat in waiting)
    assert first[0] == "Working on it…", "nobody waited ahead of it when it was queued"
    assert second[0] == "Waiting in line (position 2)…"
    assert third[0] == "Waiting in line (position 3)…"
    assert "Waiting in line (position 1)…" in first, "its place was shown once it waited"
    assert "Waiting in line (position 2)…" in third[1:], "the place moved (during the 2nd)"
    for chat in waiting:
        texts = _texts(server, chat)
        places = [i for i, text in enumerate(texts) if text.startswith("Waiting in line")]
        worker = [i for i, text in enumerate(texts) if i and not text.startswith("Waiting")]
        assert max(places, default=0) < min(worker), f"a place overwrote the worker: {texts}"
        # A worker that takes a job showing a place says so at once, not after the usual
        # delay (30 s here, longer than the whole job).
        assert texts[max(places) + 1] == "Working on it…", texts
        assert len(server.sent_messages(chat)) == 1, "one message, edited into the answer"


async def test_one_full_translation_per_message_and_language_across_the_queue(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, postgres_url: str
) -> None:
    async with bot_env(tmp_path, packages_dir, engine, storage={"url": postgres_url}) as env:
        server = env.server
        server.push_message(GROUP_CHAT, f"@{BOT_USERNAME} {GERMAN_ARTICLE}", user_id=REQUESTER)
        await _until(lambda: _answered(server, GROUP_CHAT), "the summary")
        (summary,) = server.sent_messages(GROUP_CHAT)
        data = buttons(summary)[FULL]
        queries = [
            server.push_callback_query(GROUP_CHAT, user, data, summary.message_id)
            for user in (REQUESTER, REQUESTER, OTHER)
        ]
        await env.settled()
        answers = [
            c.params
            for c in server.calls("answerCallbackQuery")
            if c.params["callback_query_id"] in {q["id"] for q in queries}
        ]
        assert len(answers) == 3, "every press is answered"
        pop_ups = [a for a in answers if a.get("show_alert")]
        assert len(pop_ups) == 2 and all("on its way" in a["text"] for a in pop_ups)
        await _until(
            lambda: (
                _rows(postgres_url, "SELECT state FROM briefbot_full_translations") == [("posted",)]
            ),
            "the translation posted",
        )
        posted = len(server.sent_messages(GROUP_CHAT))
        later = await env.press(GROUP_CHAT, OTHER, data, summary.message_id)
        assert later.get("show_alert") and "already in the chat" in later["text"]
    assert len(server.sent_messages(GROUP_CHAT)) == posted
    replies = [
        c
        for c in [*server.calls("sendMessage"), *server.calls("sendDocument")]
        if (c.params.get("reply_parameters") or {}).get("message_id") == summary.message_id
    ]
    assert len(replies) == 1, "one translation"
    kinds = _rows(postgres_url, "SELECT kind FROM jobs ORDER BY id")
    assert kinds == [("summary",), ("translation",)], "one job for three presses"
