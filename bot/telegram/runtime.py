"""What every handler needs, kept in the application's typed ``bot_data`` (``BotData``).

``post_init`` fills it from the core built by ``bot.bootstrap``; handlers take a
``BriefContext`` and read ``context.bot_data.runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from telegram import Update, User
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.bootstrap import Core
from bot.config import Config
from bot.core.service import BriefService
from bot.core.settings import ChatSettings
from bot.telegram.callback_data import CallbackCodec
from bot.telegram.chat import TelegramChat
from bot.telegram.i18n import pick_ui_language
from bot.telegram.loop_monitor import LoopLagMonitor
from translation import TranslationEngine

if TYPE_CHECKING:
    from bot.telegram.webhook import WebhookServer
    from bot.telegram.worker import Scaled


@dataclass
class Runtime:
    core: Core
    codec: CallbackCodec
    chat: TelegramChat
    owners: frozenset[int] = field(default_factory=frozenset)
    #: Settings menus (chat id, message id) in which something was changed since they were
    #: opened: "Done" says "saved" only for those.
    changed_menus: set[tuple[int, int]] = field(default_factory=set)

    @property
    def config(self) -> Config:
        return self.core.config

    @property
    def service(self) -> BriefService:
        return self.core.service

    @property
    def engine(self) -> TranslationEngine:
        return self.core.engine


class BotData:
    """The application's ``bot_data``: the core of this process and, once started, the
    runtime handlers use."""

    def __init__(self) -> None:
        self.core: Core | None = None
        self.runtime_or_none: Runtime | None = None
        self.resume_jobs = True
        self.monitor: LoopLagMonitor | None = None
        self.webhook: WebhookServer | None = None
        #: ``run``: every role in this process; ``ingress``: queued jobs go to workers.
        self.role: Literal["run", "ingress"] = "run"
        #: The job queue and in-process workers, with ``[storage] url`` (the scaled mode).
        self.scaled: Scaled | None = None

    @property
    def runtime(self) -> Runtime:
        if self.runtime_or_none is None:
            raise RuntimeError("the bot runtime is not initialized (post_init did not run)")
        return self.runtime_or_none


BriefContext: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
BriefApplication: TypeAlias = Application[
    ExtBot[None], BriefContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[BriefContext]
]


def runtime(context: BriefContext) -> Runtime:
    return context.bot_data.runtime


def ui_language(user: User | None, settings: ChatSettings | None) -> str:
    """The user's Telegram language, unless the chat chose a UI language (groups)."""
    override = settings.ui_language if settings is not None else None
    code = user.language_code if user is not None else None
    return pick_ui_language(code, override)


async def settings_and_ui(update: Update, rt: Runtime) -> tuple[ChatSettings, str]:
    """The chat's settings and the UI language to answer this update in."""
    chat = update.effective_chat
    assert chat is not None
    settings = await rt.service.settings(chat.id)
    return settings, ui_language(update.effective_user, settings)
