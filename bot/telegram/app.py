"""Wires the PTB Application: transport, rate limiter, handlers, and the lifecycle hooks that
open storage, install models, register commands and resume unfinished jobs.

``run_bot`` is what ``briefbot run`` calls; ``running`` runs the same lifecycle inside an
existing event loop (tests, embedding) in the order ``run_polling`` uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.bootstrap import fetch_policy, pipeline_limits
from bot.config import Config, ConfigError
from bot.core.service import BriefService
from bot.storage import Storage, open_storage
from bot.telegram.callback_data import CallbackCodec, derive_secret
from bot.telegram.chat import TelegramChat
from bot.telegram.handlers import register_handlers
from bot.telegram.i18n import SUPPORTED_UI, t
from bot.telegram.logging_setup import Redactor, bot_secrets, setup_logging
from bot.telegram.loop_monitor import start_loop_monitor, stop_loop_monitor
from bot.telegram.runtime import RUNTIME_KEY, Runtime, app_runtime
from bot.telegram.startup_errors import describe, refused_at_start
from bot.telegram.transport import RetryingRequest
from bot.telegram.webhook import serve_until_stopped, start_webhook, stop_webhook
from translation.errors import BriefbotError
from translation.models import argos_packages
from translation.models.engine import TranslationEngine
from translation.pipeline import Pipeline
from translation.text import detection

log = logging.getLogger(__name__)


class BotApiUnreachableError(BriefbotError):
    """The Bot API cannot be reached at start: the CLI says so in one line."""

    exit_code = 4
    kind = "bot-api"


SETUP_KEY = "briefbot.setup"
PUBLIC_COMMANDS = ("start", "help", "settings", "summarize", "translate", "languages")
OWNER_COMMANDS = ("stats", "models")
#: Attempts to reach the Bot API at start (with backoff, ~40 s in all) before giving up.
BOOTSTRAP_RETRIES = 5
#: How long shutdown waits for resumed jobs before leaving them to the next start.
SHUTDOWN_GRACE_SECONDS = 10.0


@dataclass
class _Setup:
    """What ``post_init`` needs to build the Runtime (storage can only be opened async)."""

    config: Config
    pipeline: Pipeline
    executor: ThreadPoolExecutor
    storage: Storage | None
    owns_storage: bool
    owns_engine: bool
    progress_delay: float
    resume_jobs: bool


def build_application(
    config: Config,
    *,
    pipeline: Pipeline | None = None,
    engine: TranslationEngine | None = None,
    storage: Storage | None = None,
    progress_delay: float = 2.0,
    resume_jobs: bool = True,
) -> Application:
    """The configured Application. ``pipeline``/``engine``/``storage`` may be shared (tests);
    what is passed in is not closed at shutdown, what is made here is."""
    token = config.telegram.require_token()
    executor = ThreadPoolExecutor(config.limits.workers, thread_name_prefix="briefbot-cpu")
    owns_engine = pipeline is None and engine is None
    if pipeline is None:
        from bot.bootstrap import build_engine

        pipeline = Pipeline(
            engine or build_engine(config),
            fetch_policy=fetch_policy(config),
            limits=pipeline_limits(config),
            executor=executor,
        )
    updates_timeout = 30.0
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(config.telegram.bot_api_url)
        .base_file_url(config.telegram.file_api_url)
        .request(RetryingRequest(connection_pool_size=64, read_timeout=15.0, write_timeout=20.0))
        .get_updates_request(HTTPXRequest(read_timeout=updates_timeout + 10.0))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(config.limits.queue_size + 16)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data[SETUP_KEY] = _Setup(
        config=config,
        pipeline=pipeline,
        executor=executor,
        storage=storage,
        owns_storage=storage is None,
        owns_engine=owns_engine,
        progress_delay=progress_delay,
        resume_jobs=resume_jobs,
    )
    register_handlers(application)
    return application


def _setup(application: Application) -> _Setup:
    setup = application.bot_data[SETUP_KEY]
    assert isinstance(setup, _Setup)
    return setup


# -- lifecycle hooks ---------------------------------------------------------------------------


async def _post_init(application: Application) -> None:
    start_loop_monitor(application)
    setup = _setup(application)
    # The detectors build in a worker while storage opens, models install, commands register.
    warm_up = asyncio.ensure_future(_warm_up_detection(setup.executor))
    try:
        service, chat = await _start_runtime(application, setup)
    finally:
        await warm_up  # never left pending, even when the start fails
    if setup.resume_jobs:
        await service.resume_unfinished(chat)
    log.info("Briefbot ready as @%s", application.bot.username)


async def _start_runtime(
    application: Application, setup: _Setup
) -> tuple[BriefService, TelegramChat]:
    """Storage, configured models, the service and the Runtime handlers use; commands."""
    config = setup.config
    storage = setup.storage or await open_storage(config)
    setup.storage = storage
    engine = setup.pipeline.engine
    await install_configured_models(config, engine, setup.executor)
    service = BriefService(
        pipeline=setup.pipeline,
        storage=storage,
        config=config,
        executor=setup.pipeline.executor or setup.executor,
        progress_delay=setup.progress_delay,
    )
    codec = CallbackCodec(derive_secret(config.telegram.require_token()))
    chat = TelegramChat(application.bot, codec, storage.migrate_chat)
    application.bot_data[RUNTIME_KEY] = Runtime(
        config=config,
        service=service,
        storage=storage,
        codec=codec,
        chat=chat,
        engine=engine,
        executor=setup.executor,
        owners=frozenset(config.telegram.owners),
    )
    await register_commands(application, config)
    return service, chat


async def _warm_up_detection(executor: Executor) -> None:
    """Build the language detectors (1-3 s) now, in a worker, so the first user's request
    does not wait for them and the event loop is not stalled in the middle of a request."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        await loop.run_in_executor(executor, detection.preload)
    except Exception:  # the first request builds them again and reports what fails
        log.exception("Preloading the language detectors failed")
    else:
        log.info("Language detectors ready in %.1f s", loop.time() - started)


async def _post_stop(application: Application) -> None:
    rt = app_runtime(application)
    if rt is not None:
        await rt.service.drain(SHUTDOWN_GRACE_SECONDS)


async def _post_shutdown(application: Application) -> None:
    await stop_loop_monitor(application)
    setup = _setup(application)
    application.bot_data.pop(RUNTIME_KEY, None)
    if setup.owns_storage and setup.storage is not None:
        await setup.storage.close()
        setup.storage = None
    await asyncio.to_thread(setup.executor.shutdown, wait=True, cancel_futures=True)
    if setup.owns_engine:
        setup.pipeline.engine.close()


async def install_configured_models(
    config: Config, engine: TranslationEngine, executor: Executor
) -> None:
    """``[models] install``: install what is missing; failures are logged, the bot still starts."""
    wanted = config.models.install
    if not wanted:
        return
    installed = {p.code for p in engine.packages()}
    where = config.models.packages_dir
    loop = asyncio.get_running_loop()
    changed = False
    for item in wanted:
        try:
            if item.endswith(".argosmodel") or "/" in item:
                path = Path(item)
                if _already_installed(path, installed):
                    continue
                install = functools.partial(
                    argos_packages.install_from_path, path, packages_dir=where
                )
                packages = await loop.run_in_executor(executor, install)
            elif item in installed:
                continue
            else:
                install = functools.partial(
                    argos_packages.install_from_index, [item], packages_dir=where
                )
                packages = await loop.run_in_executor(executor, install)
        except (BriefbotError, OSError) as exc:
            log.error("Could not install model %s: %s", item, getattr(exc, "message", exc))
            continue
        changed = True
        log.info("Installed %s", ", ".join(p.code for p in packages))
    if changed:
        engine.refresh()


def _already_installed(path: Path, installed: set[str]) -> bool:
    """A file named like argos packages (``de_en.argosmodel``, ``translate-de_en-1_9``) whose
    pair is installed is skipped; anything else is (re)installed, which is idempotent."""
    stem = path.name.removesuffix(".argosmodel").removeprefix("translate-")
    code = "-".join(stem.split("-")[0].split("_")[:2])
    return code in installed


def _commands(names: tuple[str, ...], ui: str) -> list[BotCommand]:
    return [BotCommand(name, t(f"command.{name}", ui)) for name in names]


async def register_commands(application: Application, config: Config) -> None:
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
    application: Application,
    *,
    poll_timeout: float = 10.0,
    poll_interval: float = 0.0,
) -> AsyncIterator[Application]:
    """Run the bot inside the current loop (polling, or the webhook when configured), with
    ``run_polling``'s order of hooks."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None
        config = _setup(application).config
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


def run_bot(config: Config) -> None:
    """``briefbot run``: log safely, build, then poll or serve the webhook until SIGINT/SIGTERM."""
    token = config.telegram.require_token()
    secrets = bot_secrets(token, config.telegram.webhook_secret)
    setup_logging(config.logging.level, secrets)
    redact = Redactor(secrets)
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
