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
from typing import Any, Literal, cast

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackContext,
    ContextTypes,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from bot.bootstrap import Core
from bot.config import Config, ConfigError
from bot.core.ports import StoragePort
from bot.core.queued import delivery_key
from bot.telegram.callback_data import CallbackCodec, derive_secret
from bot.telegram.chat import TelegramChat
from bot.telegram.handlers import register_handlers
from bot.telegram.i18n import SUPPORTED_UI, t
from bot.telegram.logging_setup import Redactor, bot_secrets, setup_logging
from bot.telegram.loop_monitor import LoopLagMonitor
from bot.telegram.runtime import BotData, BriefApplication, Runtime
from bot.telegram.startup_errors import describe, refused_at_start
from bot.telegram.transport import RetryingRequest
from bot.telegram.webhook import serve_until_stopped, start_webhook, stop_webhook
from bot.telegram.worker import open_scaled, start_ingress, start_workers
from translation import BriefbotError, Pipeline, TranslationEngine, preload_detectors

log = logging.getLogger(__name__)


class BotApiUnreachableError(BriefbotError):
    """The Bot API cannot be reached at start: the CLI says so in one line."""

    exit_code = 4
    kind = "bot-api"


PUBLIC_COMMANDS = (
    "start",
    "help",
    "settings",
    "summarize",
    "translate",
    "languages",
    "follow",
    "feeds",
    "unfollow",
    "channel",
)
OWNER_COMMANDS = ("stats", "models")
#: PTB's own start-up retries: off, the transport retries within ``[telegram] retry_seconds``
#: (one loop, one line per attempt, a bounded sequence).
BOOTSTRAP_RETRIES = 0
#: The handler group that records each update's delivery key (before the migration handler's
#: group -1 and the default group 0).
DELIVERY_KEY_GROUP = -100
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
    role: Literal["run", "ingress"] = "run",
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
        .request(
            RetryingRequest(
                connection_pool_size=64,
                read_timeout=15.0,
                write_timeout=20.0,
                budget_seconds=config.telegram.retry_seconds,
            )
        )
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
    application.bot_data.role = role
    # A group of its own, before every other: one handler per group handles an update.
    application.add_handler(TypeHandler(Update, _remember_delivery_key), group=DELIVERY_KEY_GROUP)
    register_handlers(application)
    return application


async def _remember_delivery_key(update: Update, context: Any) -> None:
    """The update's id, for the handlers that run next in this update's task: a queued job is
    recorded under it, so a redelivered update creates no second job."""
    delivery_key.set(f"update:{update.update_id}")


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
    # The detectors build in a worker while storage opens, models install, commands register
    # (not in an ingress: it never detects a language, its workers do).
    warm_up = asyncio.ensure_future(
        _warm_up_detection(core.executor) if data.role == "run" else asyncio.sleep(0)
    )
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
    _warn_about_missing_models(core)
    url = core.config.storage.url
    if url:  # the scaled mode: jobs go through the queue, workers resume stalled ones
        data.scaled = await open_scaled(service, url)
        start_ingress(data.scaled, service, chat, follow_models=data.role == "ingress")
        if data.role == "run":
            start_workers(
                data.scaled,
                service,
                chat,
                concurrency=core.config.limits.workers,
                feeds=core.feeds,
            )
    elif data.resume_jobs:
        await service.resume_unfinished(chat)
    log.info("Briefbot ready as @%s", application.bot.username)


def _warn_about_missing_models(core: Core) -> None:
    """First run: say in one line which models the configured languages still need and how to
    install them, instead of answering every user with "no translation model"."""
    targets = core.config.defaults.target_languages
    needed = core.service.missing_packages(targets)
    if needed:
        log.warning(
            "No translation model yet for German articles into %s: summaries stay in the "
            "article's language. Install with: briefbot models install %s (online), or "
            "briefbot models install PATH/*.argosmodel (offline); models dir: %s",
            ", ".join(targets),
            " ".join(needed),
            core.config.models.packages_dir,
        )


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
    if data.scaled is not None:
        await data.scaled.close()
        data.scaled = None
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
            await start_webhook(application, config)
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
            await stop_webhook(application)
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


def run_bot(config: Config, role: Literal["run", "ingress"] = "run") -> None:
    """``briefbot run`` (or ``ingress``): log safely, build, then poll or serve the webhook
    until SIGINT/SIGTERM."""
    token = config.telegram.require_token()
    secrets = bot_secrets(token, config.telegram.webhook_secret)
    setup_logging(config.logging.level, secrets)
    redact = Redactor(secrets)
    if role == "ingress" and not config.storage.url:
        raise ConfigError('briefbot ingress needs [storage] url = "postgresql://…"')
    application = build_application(config, role=role)
    # PTB runs on the current event loop and closes it when done: give each run a fresh one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    common: dict[str, Any] = {
        "drop_pending_updates": False,
        "allowed_updates": Update.ALL_TYPES,
        "bootstrap_retries": BOOTSTRAP_RETRIES,
    }
    try:
        if config.telegram.mode == "webhook":
            serve_until_stopped(running(application))
        else:
            application.run_polling(**common)
    except InvalidToken as exc:
        raise ConfigError(
            "Telegram rejected the bot token: check [telegram] token or BRIEFBOT_TELEGRAM_TOKEN"
        ) from exc
    except (Conflict, BadRequest) as exc:  # BadRequest is a NetworkError to PTB
        raise refused_at_start(exc, config.telegram.api_base_url, redact) from exc
    except NetworkError as exc:  # TimedOut included; only after the bootstrap retries
        raise BotApiUnreachableError(
            f"Cannot reach the Telegram Bot API at {config.telegram.api_base_url} "
            f"({describe(exc, redact)}); check the network and [telegram] api_base_url"
        ) from exc
    except TelegramError as exc:
        raise refused_at_start(exc, config.telegram.api_base_url, redact) from exc
