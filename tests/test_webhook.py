"""Webhook mode under attack (issue 13): forged updates, huge bodies, no secret configured.

The real Application runs in webhook mode against the loopback Bot API server, which delivers
updates by POSTing them with the secret it was given in ``setWebhook``; the attacks are raw
HTTP requests on loopback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.bot_harness import GERMAN_ARTICLE, OWNER_ID, PRIVATE_CHAT, BotEnv, bot_env
from tests.support.postgres import free_port
from translation.models.engine import TranslationEngine

HUGE = 95_000_000  # the size of the POSTs that took the bot from 415 to 967 MB


def _webhook(secret: str | None) -> dict[str, Any]:
    port = free_port()
    section: dict[str, Any] = {
        "mode": "webhook",
        "webhook_url": f"http://127.0.0.1:{port}/briefbot/hook",
        "listen": "127.0.0.1",
        "port": port,
    }
    if secret is not None:
        section["webhook_secret"] = secret
    return section


@pytest.fixture
async def webhook_env(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> AsyncIterator[BotEnv]:
    async with bot_env(
        tmp_path, packages_dir, engine, telegram=_webhook("configured-webhook-secret")
    ) as env:
        yield env


def _forged(chat_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Owner"},
            "chat": {"id": chat_id, "type": "private"},
        },
    }


async def _raw_post(
    url: str, headers: dict[str, str], body: bytes, chunked: bool = False
) -> tuple[bytes, float]:
    """POST ``body`` (often just the start of what Content-Length declares), then read what
    the server answers: a server that waits for the whole declared body never answers."""
    parsed = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
    head = [f"POST {parsed.raw_path.decode()} HTTP/1.1", f"Host: {parsed.host}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    started = time.monotonic()
    try:
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        for start in range(0, len(body), 65_536):
            data = body[start : start + 65_536]
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)
            try:
                await writer.drain()
            except ConnectionError:
                break
        if chunked and not writer.is_closing():
            writer.write(b"0\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(4096), 5.0)
    finally:
        writer.close()
    return answer, time.monotonic() - started


async def test_a_forged_owner_update_without_the_secret_is_refused(webhook_env: BotEnv) -> None:
    url = webhook_env.config.telegram.webhook_url
    assert url is not None
    async with httpx.AsyncClient() as client:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guessed"}):
            refused = await client.post(url, json=_forged(OWNER_ID, "/stats"), headers=headers)
            assert refused.status_code == 403
    await webhook_env.settled()
    assert webhook_env.server.sent_messages(OWNER_ID) == []


@pytest.mark.parametrize(
    ("secret", "status"),
    [(None, b"403"), ("guessed-secret", b"403"), ("configured-webhook-secret", b"413")],
)
async def test_a_huge_body_is_refused_before_it_is_read(
    webhook_env: BotEnv, secret: str | None, status: bytes
) -> None:
    """The secret is checked first (403), then the declared length (413), both after only
    4 kB of the 95 MB were sent: a server that read the body first would never answer."""
    headers = {"Content-Type": "application/json", "Content-Length": str(HUGE)}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    assert webhook_env.config.telegram.webhook_url is not None
    answer, seconds = await _raw_post(webhook_env.config.telegram.webhook_url, headers, b"{" * 4096)
    assert answer.startswith(b"HTTP/1.1 " + status), answer
    assert seconds < 2.0


async def test_a_streamed_body_is_cut_at_one_megabyte(webhook_env: BotEnv) -> None:
    headers = {
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        "X-Telegram-Bot-Api-Secret-Token": "configured-webhook-secret",
    }
    assert webhook_env.config.telegram.webhook_url is not None
    # a real update padded with blanks to 3 MB: read in full, it would be accepted (200)
    update = json.dumps(_forged(OWNER_ID, "/stats")).encode()
    body = update + b" " * (3_000_000 - len(update))
    answer, _ = await _raw_post(webhook_env.config.telegram.webhook_url, headers, body, True)
    assert answer == b"" or answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 413")), answer
    await webhook_env.settled()
    assert webhook_env.server.sent_messages(OWNER_ID) == []


async def test_webhook_mode_without_a_secret_generates_and_registers_one(
    tmp_path: Path,
    packages_dir: Path,
    engine: TranslationEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with bot_env(tmp_path, packages_dir, engine, telegram=_webhook(None)) as env:
        registered = str(env.server.calls("setWebhook")[-1].params["secret_token"])
        assert len(registered) >= 32
        reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)  # Telegram sends the secret
        assert "German" in (reply.text or "")
        url = env.config.telegram.webhook_url
        assert url is not None
        async with httpx.AsyncClient() as client:
            forged = await client.post(url, json=_forged(OWNER_ID, "/stats"))
        assert forged.status_code == 403
        await env.settled()
        assert env.server.sent_messages(OWNER_ID) == []
    assert "generated a random secret for this run and registered it with setWebhook" in (
        caplog.text
    )
    assert registered not in caplog.text
