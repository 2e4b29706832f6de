"""``briefbot run`` as a real process: configured by a TOML file plus BRIEFBOT_* env, killed
with SIGKILL in the middle of a job (resumed and answered exactly once after a restart, settings
intact), stopped with SIGTERM (clean exit), and never writing the token to its logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.bot_api_server import DEFAULT_TOKEN, BotApiServer
from tests.support.bot_harness import GERMAN_ARTICLE, ArticleServer, german_article_html
from tests.support.postgres import free_port
from tests.support.telegram_html import parse_telegram_html

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHAT, SLOW_CHAT = 6001, 6002


def _write_config(path: Path, api_url: str, packages_dir: Path, storage: Path) -> None:
    path.write_text(
        f"""
[telegram]
api_base_url = {json.dumps(api_url)}
owners = [4242]

[storage]
path = {json.dumps(str(storage))}

[models]
packages_dir = {json.dumps(str(packages_dir))}

[fetch]
allow_private_networks = true
timeout_seconds = 10

[logging]
level = "DEBUG"
""",
        encoding="utf-8",
    )


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BRIEFBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN,
        "BRIEFBOT_LIMITS_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _ensure_stopped(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


def _summary_bullets(server: BotApiServer, chat: int) -> list[int]:
    """Bullets of each final summary (with its buttons: a live answer still being translated
    has none)."""
    return [
        parse_telegram_html(m.text or "").count("• ")
        for m in server.sent_messages(chat)
        if "German (de)" in parse_telegram_html(m.text or "") and m.reply_markup
    ]


async def _eventually(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_briefbot_run_survives_sigkill_and_stops_on_sigterm(
    tmp_path: Path, packages_dir: Path, articles: ArticleServer
) -> None:
    slow_url = articles.add("/langsam", german_article_html(), delay=3.0)
    config, log = tmp_path / "briefbot.toml", tmp_path / "bot.log"
    with BotApiServer() as server:
        _write_config(config, server.base_url, packages_dir, tmp_path / "bot.sqlite3")
        process = _start(config, log)
        try:
            server.push_message(CHAT, "/settings length 2", user_id=CHAT)
            await server.wait_for("sendMessage", lambda c: c.params["chat_id"] == CHAT, 60)
            server.push_message(CHAT, GERMAN_ARTICLE, user_id=CHAT)
            await _eventually(lambda: _summary_bullets(server, CHAT) == [2], 60)

            server.push_message(SLOW_CHAT, slow_url, user_id=SLOW_CHAT)
            await server.wait_for("sendChatAction", lambda c: c.params["chat_id"] == SLOW_CHAT, 30)
            process.kill()  # mid-job: the article is still being fetched
            assert process.wait(10) == -signal.SIGKILL
            assert _summary_bullets(server, SLOW_CHAT) == []

            process = _start(config, log)
            await _eventually(lambda: bool(_summary_bullets(server, SLOW_CHAT)), 60)
            server.push_message(CHAT, GERMAN_ARTICLE, user_id=CHAT)
            await _eventually(lambda: len(_summary_bullets(server, CHAT)) == 2, 60)
            assert _summary_bullets(server, CHAT) == [2, 2], "settings survived the kill"
            assert len(server.sent_messages(SLOW_CHAT)) == 1, "answered exactly once"
            assert _summary_bullets(server, SLOW_CHAT) == [3]
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
        finally:
            _ensure_stopped(process)
    output = log.read_text("utf-8", errors="replace")
    assert "Briefbot ready" in output and "Resuming 1 unfinished job" in output
    assert output.count("Language detectors ready") == 2, "built at start, not on demand"
    assert DEFAULT_TOKEN not in output and DEFAULT_TOKEN.split(":")[1] not in output
    assert "Traceback" not in output


async def test_briefbot_run_in_webhook_mode_without_a_secret(
    tmp_path: Path, packages_dir: Path
) -> None:
    """Issue 13: webhook mode with no [telegram] webhook_secret accepted forged updates; now
    ``briefbot run`` generates a secret, registers it, says so, and serves only Telegram."""
    port = free_port()
    config, log = tmp_path / "briefbot.toml", tmp_path / "bot.log"
    with BotApiServer() as server:
        _write_config(config, server.base_url, packages_dir, tmp_path / "bot.sqlite3")
        hook = f"http://127.0.0.1:{port}/hook"
        text = config.read_text(encoding="utf-8").replace(
            "owners = [4242]\n",
            f'owners = [4242]\nmode = "webhook"\nwebhook_url = "{hook}"\nport = {port}\n'
            'listen = "127.0.0.1"\n',
        )
        config.write_text(text, encoding="utf-8")
        process = _start(config, log)
        try:
            call = await server.wait_for("setWebhook", lambda c: True, 60)
            secret = str(call.params["secret_token"])
            assert len(secret) >= 32 and call.params["url"] == hook
            server.push_message(CHAT, "/start", user_id=CHAT)
            await server.wait_for("sendMessage", lambda c: c.params["chat_id"] == CHAT, 60)
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
        finally:
            _ensure_stopped(process)
    output = log.read_text("utf-8", errors="replace")
    assert "generated a random secret for this run and registered it with setWebhook" in output
    assert secret not in output and DEFAULT_TOKEN not in output
    assert "Traceback" not in output
