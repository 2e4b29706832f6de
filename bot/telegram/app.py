"""Wires the PTB Application: transport, rate limiter, handlers, and the lifecycle hooks that
open storage, install models, register commands and resume unfinished jobs.

``run_bot`` is what ``briefbot run`` calls; ``running`` runs the same lifecycle inside an
existing event loop (tests, embedding) in the order ``run_polling`` uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from typing import Any, cast
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder, CallbackContext, ContextTypes
from telegram.request import HTTPXRequest

from bot.bootstrap import Core
from bot.config import Config, ConfigError
from bot.core.ports import StoragePort
from bot.telegram.callback_data import CallbackCodec, derive_secret
from bot.telegram.chat import TelegramChat
from bot.telegram.handlers import register_handlers
from bot.telegram.i18n import SUPPORTED_UI, t
from bot.telegram.logging_setup import setup_logging
from bot.telegram.loop_monitor import LoopLagMonitor
from bot.telegram.runtime import BotData, BriefApplication, Runtime
from bot.telegram.transport import RetryingRequest
from translation import BriefbotError, Pipeline, TranslationEngine, preload_detectors

log = logging.getLogger(__name__)


class BotApiUnreachableError(BriefbotError):
    """The Bot API cannot be reached at start: the CLI says so in one line."""

    exit_code = 4
    kind = "bot-api"


PUBLIC_COMMANDS = ("start", "help", "settings", "summarize", "translate", "languages")
OWNER_COMMANDS = ("stats", "models")
#: Attempts to reach the Bot API at start (with backoff, ~40 s in all) before giving up.
BOOTSTRAP_RETRIES = 5
#: How long shutdown waits for resumed jobs before leaving them to the next start.
SHUTDOWN_GRACE_SECONDS = 10.0


def build_application(
    config: Config,
    *,
    pipeline: Pipeline | None = None,
    engine: TranslationEngine | None = None,
    storage: StoragePort | None = None,
    progress_delay: float = 2.0,
    resume_jobs: bool = True,
) -> BriefApplication:
    """The configured Application over a core built by ``bot.bootstrap``. ``pipeline``/
    ``engine``/``storage`` may be shared (tests); what is passed in is not closed at shutdown,
    what is made here is."""
    token = config.telegram.require_token()
    core = Core(
        config, engine=engine, pipeline=pipeline, storage=storage, progress_delay=progress_delay
    )
    updates_timeout = 30.0
    built = (
        ApplicationBuilder()
        .token(token)
        .base_url(config.telegram.bot_api_url)
        .base_file_url(config.telegram.file_api_url)
        .context_types(ContextTypes(context=CallbackContext, bot_data=BotData))
        .request(RetryingRequest(connection_pool_size=64, read_timeout=15.0, write_timeout=20.0))
        .get_updates_request(HTTPXRequest(read_timeout=updates_timeout + 10.0))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(config.limits.queue_size + 16)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application = cast(BriefApplication, built)  # the builder's generics lose the types above
    application.bot_data.core = core
    application.bot_data.resume_jobs = resume_jobs
    register_handlers(application)
    return application


def _core(application: BriefApplication) -> Core:
    core = application.bot_data.core
    assert core is not None, "build_application sets the core"
    return core


# -- lifecycle hooks ---------------------------------------------------------------------------


async def _post_init(application: BriefApplication) -> None:
    data = application.bot_data
    data.monitor = data.monitor or LoopLagMonitor()
    data.monitor.start()
    core = _core(application)
    # The detectors build in a worker while storage opens, models install, commands register.
    warm_up = asyncio.ensure_future(_warm_up_detection(core.executor))
    try:
        service = await core.start()
        codec = CallbackCodec(derive_secret(core.config.telegram.require_token()))
        chat = TelegramChat(
            application.bot, codec, service.storage.migrate_chat, core.config.limits, core.executor
        )
        chat.owners = frozenset(core.config.telegram.owners)
        data.runtime_or_none = Runtime(
            core=core, codec=codec, chat=chat, owners=frozenset(core.config.telegram.owners)
        )
        await register_commands(application, core.config)
    finally:
        await warm_up  # never left pending, even when the start fails
    if data.resume_jobs:
        await service.resume_unfinished(chat)
    log.info("Briefbot ready as @%s", application.bot.username)


async def _warm_up_detection(executor: Executor) -> None:
    """Build the language detectors (1-3 s) now, in a worker, so the first user's request
    does not wait for them and the event loop is not stalled in the middle of a request."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        await loop.run_in_executor(executor, preload_detectors)
    except Exception:  # the first request builds them again and reports what fails
        log.exception("Preloading the language detectors failed")
    else:
        log.info("Language detectors ready in %.1f s", loop.time() - started)


async def _post_stop(application: BriefApplication) -> None:
    rt = application.bot_data.runtime_or_none
    if rt is not None:
        await rt.service.drain(SHUTDOWN_GRACE_SECONDS)


async def _post_shutdown(application: BriefApplication) -> None:
    data = application.bot_data
    if data.monitor is not None:
        log.info("Event loop: %s", (await data.monitor.stop()).describe())
    data.runtime_or_none = None
    await _core(application).close()


def _commands(names: tuple[str, ...], ui: str) -> list[BotCommand]:
    return [BotCommand(name, t(f"command.{name}", ui)) for name in names]


async def register_commands(application: BriefApplication, config: Config) -> None:
    """setMyCommands per language; owners additionally see the owner commands in their chat."""
    bot = application.bot
    try:
        for ui in SUPPORTED_UI:
            code = "" if ui == "en" else ui
            await bot.set_my_commands(_commands(PUBLIC_COMMANDS, ui), language_code=code or None)
            for owner in config.telegram.owners:
                await bot.set_my_commands(
                    _commands(PUBLIC_COMMANDS + OWNER_COMMANDS, ui),
                    scope=BotCommandScopeChat(owner),
                    language_code=code or None,
                )
    except TelegramError as exc:
        log.warning("Could not register the command list: %s", exc)


# -- running -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running(
    application: BriefApplication,
    *,
    poll_timeout: float = 10.0,
    poll_interval: float = 0.0,
) -> AsyncIterator[BriefApplication]:
    """Run the bot inside the current loop (polling, or the webhook when configured), with
    ``run_polling``'s order of hooks."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None
        config = _core(application).config
        if config.telegram.mode == "webhook":
            await application.updater.start_webhook(
                **_webhook_kwargs(config),
                drop_pending_updates=False,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            await application.updater.start_polling(
                poll_interval=poll_interval,
                timeout=int(poll_timeout),
                drop_pending_updates=False,
                allowed_updates=Update.ALL_TYPES,
            )
        await application.start()
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def _webhook_kwargs(config: Config) -> dict[str, Any]:
    tg = config.telegram
    assert tg.webhook_url is not None
    return {
        "listen": tg.listen,
        "port": tg.port,
        "url_path": urlsplit(tg.webhook_url).path.lstrip("/"),
        "webhook_url": tg.webhook_url,
        "secret_token": tg.webhook_secret,
    }


def run_bot(config: Config) -> None:
    """``briefbot run``: log safely, build, then poll or serve the webhook until SIGINT/SIGTERM."""
    token = config.telegram.require_token()
    setup_logging(config.logging.level, [token, config.telegram.webhook_secret or ""])
    application = build_application(config)
    # PTB runs on the current event loop and closes it when done: give each run a fresh one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    common: dict[str, Any] = {
        "drop_pending_updates": False,
        "allowed_updates": Update.ALL_TYPES,
        "bootstrap_retries": BOOTSTRAP_RETRIES,
    }
    try:
        if config.telegram.mode == "webhook":
            application.run_webhook(**_webhook_kwargs(config), **common)
        else:
            application.run_polling(**common)
    except InvalidToken as exc:
        raise ConfigError(
            "Telegram rejected the bot token: check [telegram] token or BRIEFBOT_TELEGRAM_TOKEN"
        ) from exc
    except NetworkError as exc:  # TimedOut included; only after the bootstrap retries
        raise BotApiUnreachableError(
            f"Cannot reach the Telegram Bot API at {config.telegram.api_base_url} ({exc.message}); "
            "check the network and [telegram] api_base_url"
        ) from exc
