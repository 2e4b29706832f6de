"""Run the real PTB Application in-process against the loopback BotApiServer.

Each test gets its own Bot API server, SQLite file and Application; the tiny CTranslate2 test
packages and the TranslationEngine over them are shared by the session (loading is the slow
part). ``BotEnv.settled()`` waits until every pushed update has been fetched and fully handled,
so tests assert on what the bot actually sent, without sleeps.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.config import (
    Config,
    DefaultsConfig,
    LimitsConfig,
    ModelsConfig,
    StorageConfig,
    TelegramConfig,
)
from bot.storage import Storage
from bot.telegram.app import build_application, running
from bot.telegram.runtime import BriefApplication, Runtime
from tests.support.bot_api_server import DEFAULT_TOKEN, BotApiServer, SentMessage
from tests.support.telegram_html import assert_valid_telegram_html
from translation.models.engine import TranslationEngine

OWNER_ID = 4242
USER_ID = 1001
PRIVATE_CHAT = USER_ID
GROUP_CHAT = -100777


#: The ``fetch`` section for a bot that reads the test's own loopback ``ArticleServer``. Only
#: tests that serve articles pass it (fixture ``web_env``): every other bot keeps the shipped
#: fetch policy, which refuses loopback and private networks, as a production bot does.
LOOPBACK_ARTICLES: dict[str, Any] = {"allow_private_networks": True, "timeout_seconds": 5.0}


def bot_config(
    tmp_path: Path, api_url: str, packages_dir: Path, **sections: dict[str, Any]
) -> Config:
    """A test Config: loopback Bot API, owner OWNER_ID, the default fetch policy (pass
    ``fetch=LOOPBACK_ARTICLES`` to read loopback articles), generous limits unless a test
    overrides a section's fields."""
    base: dict[str, Any] = {
        "telegram": TelegramConfig(token=DEFAULT_TOKEN, api_base_url=api_url, owners=(OWNER_ID,)),
        "storage": StorageConfig(path=tmp_path / "briefbot.sqlite3"),
        "models": ModelsConfig(packages_dir=packages_dir),
        "defaults": DefaultsConfig(target_languages=("en",), group_mode="mention"),
        "limits": LimitsConfig(per_user_per_minute=1000, per_chat_per_minute=1000),
    }
    for name, changes in sections.items():
        current = base.get(name) or getattr(Config(), name)
        base[name] = dataclasses.replace(current, **changes)
    return Config(**base)


class BotEnv:
    """One test's bot: the server it talks to, its config, and the running Application."""

    def __init__(
        self,
        server: BotApiServer,
        config: Config,
        engine: TranslationEngine,
        progress_delay: float = 30.0,
    ) -> None:
        self.server = server
        self.config = config
        self.engine = engine
        self.progress_delay = progress_delay
        self.app: BriefApplication | None = None

    @property
    def runtime(self) -> Runtime:
        assert self.app is not None, "the bot is not running"
        return self.app.bot_data.runtime

    @property
    def storage(self) -> Storage:
        """The SQLite storage the running bot uses (tests read its tables)."""
        storage = self.runtime.service.storage
        assert isinstance(storage, Storage)
        return storage

    @asynccontextmanager
    async def running(self, **build: Any) -> AsyncIterator[BotEnv]:
        """Start the Application (post_init included) and stop it cleanly afterwards."""
        options = {"engine": self.engine, "progress_delay": self.progress_delay, **build}
        application = build_application(self.config, **options)
        async with running(application, poll_timeout=1.0):
            self.app = application
            try:
                yield self
            finally:
                self.app = None
        leaked = [t.name for t in threading.enumerate() if t.name.startswith("briefbot-cpu")]
        assert not leaked, f"worker threads survived shutdown: {leaked}"

    async def settled(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Every pushed update fetched and handled, and the service's own tasks done."""
        assert self.app is not None
        deadline = time.monotonic() + timeout
        while self.server.pending_updates():
            if time.monotonic() > deadline:
                raise AssertionError(f"updates not fetched: {self.server.pending_updates()}")
            await asyncio.sleep(0.02)
        remaining = max(0.1, deadline - time.monotonic())
        await asyncio.wait_for(self.app.update_queue.join(), remaining)
        tasks = set(self.runtime.service._tasks)
        if tasks:
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), remaining)

    async def ask(self, chat_id: int, text: str | None = None, **kwargs: Any) -> list[SentMessage]:
        """Push a message, wait until it is handled, return the bot's new messages there."""
        before = {m.message_id for m in self.server.sent_messages(chat_id, include_deleted=True)}
        self.server.push_message(chat_id, text, **kwargs)
        await self.settled()
        return [m for m in self.server.sent_messages(chat_id) if m.message_id not in before]

    async def ask_one(self, chat_id: int, text: str | None = None, **kwargs: Any) -> SentMessage:
        """Like ``ask`` but expects exactly one reply, valid Telegram HTML."""
        replies = await self.ask(chat_id, text, **kwargs)
        assert len(replies) == 1, [r.text for r in replies]
        reply = replies[0]
        if reply.text is not None and reply.parse_mode == "HTML":
            assert_valid_telegram_html(reply.text)
        return reply

    async def press(
        self, chat_id: int, user_id: int, data: str, message_id: int, **kwargs: Any
    ) -> dict[str, Any]:
        """Press a button; returns the answerCallbackQuery parameters."""
        query = self.server.push_callback_query(chat_id, user_id, data, message_id, **kwargs)
        await self.settled()
        answers = [
            c.params
            for c in self.server.calls("answerCallbackQuery")
            if c.params.get("callback_query_id") == query["id"]
        ]
        assert len(answers) == 1, answers
        return answers[0]


def buttons(message: SentMessage) -> dict[str, str]:
    """Button label -> callback data of a bot message's inline keyboard."""
    markup = message.reply_markup or {}
    return {
        button["text"]: button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    }


@asynccontextmanager
async def bot_env(
    tmp_path: Path,
    packages_dir: Path,
    engine: TranslationEngine,
    *,
    progress_delay: float = 30.0,
    **sections: dict[str, Any],
) -> AsyncIterator[BotEnv]:
    """A BotApiServer in this loop plus a running bot configured by ``sections``."""
    async with BotApiServer() as server:
        config = bot_config(tmp_path, server.base_url, packages_dir, **sections)
        env = BotEnv(server, config, engine, progress_delay)
        async with env.running():
            yield env


GERMAN_ARTICLE = """Stadtrat beschließt neues Verkehrskonzept für die Innenstadt

Der Stadtrat hat am Dienstagabend mit großer Mehrheit ein neues Verkehrskonzept für die \
Innenstadt beschlossen. Künftig sollen Busse und Straßenbahnen in der Hauptverkehrszeit \
alle fünf Minuten fahren. Die Kosten für das Vorhaben schätzt die Verwaltung auf rund \
zwölf Millionen Euro pro Jahr.

Bürgermeisterin Petra Schneider sprach von einem wichtigen Schritt für den Klimaschutz in \
der Region. Die Opposition kritisierte dagegen, dass die Finanzierung noch nicht gesichert \
sei. Vor allem die Einzelhändler in der Altstadt befürchten weniger Kundschaft, wenn Parkplätze \
wegfallen.

Nach Angaben der Verwaltung sollen bis zum Herbst zusätzliche Radwege entstehen. Außerdem \
plant die Stadt drei neue Parkhäuser am Rand des Zentrums, von denen Pendler mit dem Bus \
weiterfahren können. Die Verkehrsbetriebe wollen dafür zwanzig neue Fahrzeuge anschaffen und \
mehr Personal einstellen.

Eine Bürgerbefragung im Frühjahr hatte ergeben, dass eine Mehrheit der Bewohner den Ausbau \
des Nahverkehrs unterstützt. Viele Befragte wünschten sich allerdings günstigere Fahrkarten \
für Familien und Senioren. Der Stadtrat will über die Preise im kommenden Monat beraten.
"""

GERMAN_ARTICLE_HTML = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Neues Verkehrskonzept | Stadtanzeiger</title></head><body>
<nav><a href="/">Startseite</a> <a href="/politik">Politik</a></nav>
<article><h1>Stadtrat beschließt neues Verkehrskonzept für die Innenstadt</h1>
{paragraphs}
</article><footer>Impressum · Datenschutz · Cookies</footer></body></html>"""


def german_article_html() -> str:
    """The article as a news page (navigation and footer around the text)."""
    body = GERMAN_ARTICLE.split("\n\n")[1:]
    paragraphs = "\n".join(f"<p>{p.strip()}</p>" for p in body)
    return GERMAN_ARTICLE_HTML.format(paragraphs=paragraphs)


class ArticleServer:
    """Loopback pages for link tests: ``add(path, body, content_type, status, delay)``."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes, float]] = {}
        self.requested: list[str] = []  # paths asked for, in order
        self.base_url = ""
        self._runner: Any = None

    def add(
        self,
        path: str,
        body: str | bytes,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        delay: float = 0.0,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, content_type, data, delay)
        return self.base_url + path

    @property
    def hits(self) -> Counter[str]:
        """How often each path was asked for."""
        return Counter(self.requested)

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        self.requested.append(request.path)
        status, content_type, data, delay = self.routes.get(
            request.path, (404, "text/plain", b"not found", 0.0)
        )
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=status, body=data, headers={"Content-Type": content_type})

    async def __aenter__(self) -> ArticleServer:
        from aiohttp import web

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()
