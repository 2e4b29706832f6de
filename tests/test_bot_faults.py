"""Faults and load: Bot API errors, limits and the bounded queue, restarts with unfinished jobs,
storage and model failures, model installation at start, and the token kept out of logs."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from bot.storage import Storage
from bot.telegram.callback_data import CallbackPayload
from bot.telegram.logging_setup import install_redaction
from tests.support.bot_api_server import DEFAULT_TOKEN, BotApiServer
from tests.support.bot_harness import (
    GERMAN_ARTICLE,
    GROUP_CHAT,
    LOOPBACK_ARTICLES,
    PRIVATE_CHAT,
    ArticleServer,
    BotEnv,
    bot_config,
    bot_env,
    german_article_html,
)
from tests.support.postgres import free_port
from tests.support.telegram_html import parse_telegram_html
from translation.models.argos_packages import install_from_path
from translation.models.engine import TranslationEngine


def _visible(text: str | None) -> str:
    return parse_telegram_html(text or "")


async def test_429_and_5xx_and_dropped_connections_are_retried(env: BotEnv) -> None:
    env.server.fail_next("sendMessage", 429, retry_after=1)
    reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    assert "German (de)" in _visible(reply.text)
    statuses = [c.status for c in env.server.calls("sendMessage")]
    assert statuses == [429, 200]

    env.server.fail_next("sendMessage", 502)
    env.server.drop_connection_next("sendMessage")
    reply = await env.ask_one(PRIVATE_CHAT, "/help")
    assert "Send me" in _visible(reply.text)
    assert [c.status for c in env.server.calls("sendMessage")][2:] == [502, 0, 200]


async def test_a_chat_that_blocked_the_bot_closes_its_job(env: BotEnv) -> None:
    # The live answer's first message, the answer, then the error report.
    env.server.fail_next("sendMessage", 403, times=3)
    assert await env.ask(PRIVATE_CHAT, GERMAN_ARTICLE) == []
    assert await env.storage.jobs.count_unfinished() == 0
    reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    assert "German (de)" in _visible(reply.text)


async def test_a_slow_chat_does_not_stall_others(web_env: BotEnv, articles: ArticleServer) -> None:
    slow = articles.add("/slow", german_article_html(), delay=1.2)
    web_env.server.push_message(PRIVATE_CHAT, slow)
    await asyncio.sleep(0.3)
    other = web_env.server.push_message(2020, "/help", user_id=2020)
    call = await web_env.server.wait_for("sendMessage", lambda c: c.params["chat_id"] == 2020)
    assert not web_env.server.sent_messages(PRIVATE_CHAT), "the slow chat is still working"
    assert other["message_id"] and call.status == 200
    await web_env.settled()
    assert len(web_env.server.sent_messages(PRIVATE_CHAT)) == 1


async def test_rate_limits_and_busy_queue(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, articles: ArticleServer
) -> None:
    limits = {"per_user_per_minute": 2, "per_chat_per_minute": 3, "queue_size": 1}
    async with bot_env(
        tmp_path, packages_dir, engine, limits=limits, fetch=LOOPBACK_ARTICLES
    ) as env:
        for _ in range(2):
            assert "German (de)" in _visible((await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)).text)
        too_fast = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
        assert "You're sending too fast" in _visible(too_fast.text)

        for user in (11, 12, 13):
            await env.ask_one(GROUP_CHAT, f"/summarize {GERMAN_ARTICLE}", user_id=user)
        chat_limited = await env.ask_one(GROUP_CHAT, f"/summarize {GERMAN_ARTICLE}", user_id=14)
        assert "This chat is sending too fast" in _visible(chat_limited.text)

        slow = articles.add("/slow", german_article_html(), delay=1.0)
        env.server.push_message(3001, slow, user_id=3001)
        await asyncio.sleep(0.5)
        uncached = GERMAN_ARTICLE.replace("Dienstagabend", "Mittwochabend")
        busy = await env.ask_one(3002, uncached, user_id=3002)
        assert "I'm busy right now" in _visible(busy.text)
        hit = await env.ask_one(3003, GERMAN_ARTICLE, user_id=3003)  # a cache hit needs no room
        assert "German (de)" in _visible(hit.text)
        await env.settled()
        assert "German (de)" in _visible(env.server.sent_messages(3001)[-1].text)
        outcomes = (await env.storage.stats.summary()).by_outcome
        assert outcomes["refused:error.busy"] == 1
        assert outcomes["refused:error.rate_limited_user"] == 1


def _payload(chat_id: int, text: str) -> dict[str, object]:
    return {
        "kind": "summary",
        "destination": {"chat_id": chat_id, "reply_to": 7, "user_id": chat_id},
        "source": {"kind": "text", "value": text},
        "ui": "en",
        "origin": "private",
    }


async def test_restart_resumes_or_apologizes_for_every_unfinished_job(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with BotApiServer() as server:
        config = bot_config(tmp_path, server.base_url, packages_dir)
        storage = await Storage.open(config.storage.path)
        jobs = storage.jobs
        queued = await jobs.create_job(501, 501, 7, "summary", _payload(501, GERMAN_ARTICLE))
        running = await jobs.create_job(502, 502, 7, "summary", _payload(502, GERMAN_ARTICLE))
        await jobs.mark_running(running)  # the process died once while working on it
        exhausted = await jobs.create_job(503, 503, 7, "summary", _payload(503, GERMAN_ARTICLE))
        for _ in range(2):
            await jobs.mark_running(exhausted)
        garbage = await jobs.create_job(504, 504, 7, "summary", {"kind": "nonsense"})
        done = await jobs.create_job(505, 505, 7, "summary", _payload(505, GERMAN_ARTICLE))
        await jobs.mark_done(done)
        await storage.close()
        for chat in range(501, 506):
            server.add_chat(chat)

        env = BotEnv(server, config, engine)
        async with env.running():
            await env.settled()
            for chat in (501, 502):
                sent = server.sent_messages(chat)
                assert len(sent) == 1 and "German (de)" in _visible(sent[0].text)
            for chat in (503, 504):
                sent = server.sent_messages(chat)
                assert len(sent) == 1 and "I was restarted" in _visible(sent[0].text)
            assert server.sent_messages(505) == []
            statuses = {}
            for job_id in (queued, running, exhausted, garbage):
                job = await env.storage.jobs.get_job(job_id)
                statuses[job_id] = job.status if job else None
            assert statuses == {
                queued: "done",
                running: "done",
                exhausted: "apologized",
                garbage: "apologized",
            }
        count = len(server.sent_messages())
        async with env.running():
            await env.settled()
        assert len(server.sent_messages()) == count, "each job answered exactly once"


async def test_graceful_stop_finishes_work_in_progress(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, articles: ArticleServer
) -> None:
    slow = articles.add("/slow", german_article_html(), delay=1.0)
    async with BotApiServer() as server:
        config = bot_config(tmp_path, server.base_url, packages_dir, fetch=LOOPBACK_ARTICLES)
        env = BotEnv(server, config, engine)
        async with env.running():
            server.push_message(PRIVATE_CHAT, slow)
            await server.wait_for("sendChatAction")
        # Stopping waited for the job: it was answered, and nothing is left for a restart.
        assert len(server.sent_messages(PRIVATE_CHAT)) == 1
        async with env.running():
            assert await env.storage.jobs.count_unfinished() == 0


@asynccontextmanager
async def _impatient_storage(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> AsyncIterator[tuple[BotEnv, Path]]:
    """A running bot whose database gives up on a lock after 100 ms."""
    async with BotApiServer() as server:
        config = bot_config(tmp_path, server.base_url, packages_dir)
        storage = await Storage.open(config.storage.path, busy_timeout_ms=100)
        env = BotEnv(server, config, engine)
        try:
            async with env.running(storage=storage):
                yield env, config.storage.path
        finally:
            await storage.close()


async def test_locked_database_gets_a_polite_reply(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with _impatient_storage(tmp_path, packages_dir, engine) as (env, path):
        blocker = sqlite3.connect(path, timeout=0.1)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
        finally:
            blocker.rollback()
            blocker.close()
        assert "I can't save anything right now" in _visible(reply.text)
        healthy = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
        assert "German (de)" in _visible(healthy.text)


async def test_broken_database_gets_a_polite_reply_for_commands_and_buttons(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with _impatient_storage(tmp_path, packages_dir, engine) as (env, path):
        damage = sqlite3.connect(path)
        damage.execute("DROP TABLE chat_settings")  # the bot can no longer read settings
        damage.commit()
        damage.close()
        reply = await env.ask_one(PRIVATE_CHAT, "/settings")
        assert "I can't save anything right now" in _visible(reply.text)
        data = env.runtime.codec.encode(CallbackPayload("src", ()), PRIVATE_CHAT)
        answer = await env.press(PRIVATE_CHAT, PRIVATE_CHAT, data, reply.message_id)
        assert answer["show_alert"] is True and "can't save" in answer["text"]


async def test_job_timeout_is_explained(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, articles: ArticleServer
) -> None:
    slow = articles.add("/slow", german_article_html(), delay=2.0)
    limits = {"job_timeout_seconds": 1}
    async with bot_env(
        tmp_path, packages_dir, engine, limits=limits, fetch=LOOPBACK_ARTICLES
    ) as env:
        reply = await env.ask_one(PRIVATE_CHAT, slow)
        assert "this took too long" in _visible(reply.text)


async def test_corrupt_model_gets_a_polite_reply(
    tmp_path: Path, test_package_files: dict[tuple[str, str], Path]
) -> None:
    packages = tmp_path / "packages"
    (installed,) = install_from_path(test_package_files[("de", "en")], packages_dir=packages)
    (installed.path / "model" / "model.bin").write_bytes(b"not a model")
    broken = TranslationEngine(packages)
    async with bot_env(tmp_path, packages, broken) as env:
        reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
        assert "A translation model is broken" in _visible(reply.text)
        assert "/help" in _visible((await env.ask_one(PRIVATE_CHAT, "/start")).text)
    broken.close()


async def test_configured_models_are_installed_at_start(
    tmp_path: Path,
    test_package_files: dict[tuple[str, str], Path],
    articles: ArticleServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", articles.base_url + "/index.json")  # 404
    packages = tmp_path / "packages"
    packages.mkdir()
    upload = tmp_path / "de_en.argosmodel"
    shutil.copy(test_package_files[("de", "en")], upload)
    engine = TranslationEngine(packages)
    install = {"install": (str(upload), "en-fr")}
    with caplog.at_level(logging.ERROR):
        async with bot_env(tmp_path, packages, engine, models=install) as env:
            assert engine.pairs() == {("de", "en")}
            reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
            assert "German (de)" in _visible(reply.text)
    assert any("Could not install model en-fr" in r.getMessage() for r in caplog.records)
    engine.close()


async def test_token_never_reaches_the_logs(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, caplog: pytest.LogCaptureFixture
) -> None:
    uninstall = install_redaction([DEFAULT_TOKEN])
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG):
            async with bot_env(tmp_path, packages_dir, engine) as env:
                env.server.fail_next("sendMessage", 502)
                await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    finally:
        uninstall()
        logging.getLogger("httpx").setLevel(logging.WARNING)
    text = "\n".join(caplog.text.splitlines())
    assert "/bot<redacted>/getUpdates" in text, "request URLs were logged, redacted"
    assert DEFAULT_TOKEN not in text
    assert DEFAULT_TOKEN.split(":")[1] not in text


async def test_webhook_mode_with_secret_token(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    port = free_port()
    secret = "loopback-webhook-secret"
    telegram = {
        "mode": "webhook",
        "webhook_url": f"http://127.0.0.1:{port}/briefbot/hook",
        "webhook_secret": secret,
        "listen": "127.0.0.1",
        "port": port,
    }
    async with bot_env(tmp_path, packages_dir, engine, telegram=telegram) as env:
        reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
        assert "German (de)" in _visible(reply.text)
        assert env.server.calls("setWebhook")[-1].params["secret_token"] == secret
        forged = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/start",
                "chat": {"id": 77, "type": "private"},
            },
        }
        async with httpx.AsyncClient() as client:
            refused = await client.post(str(telegram["webhook_url"]), json=forged)
        assert refused.status_code == 403
        await env.settled()
        assert env.server.sent_messages(77) == []
