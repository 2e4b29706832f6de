"""What every handler needs, built once in ``post_init`` and kept in ``application.bot_data``."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

from telegram import Update, User
from telegram.ext import Application, ContextTypes

from bot.config import Config
from bot.core.service import BriefService
from bot.storage import ChatSettings, Storage
from bot.telegram.callback_data import CallbackCodec
from bot.telegram.chat import TelegramChat
from bot.telegram.i18n import pick_ui_language
from translation.models.engine import TranslationEngine

RUNTIME_KEY = "briefbot.runtime"


@dataclass
class Runtime:
    config: Config
    service: BriefService
    storage: Storage
    codec: CallbackCodec
    chat: TelegramChat
    engine: TranslationEngine
    executor: Executor
    owners: frozenset[int] = field(default_factory=frozenset)

    def available_targets(self) -> set[str]:
        """Every language some installed package (directly or via English) translates into."""
        engine = self.engine
        return set().union(*(engine.reachable_targets(s) for s in engine.languages()))


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    found = context.application.bot_data.get(RUNTIME_KEY)
    if not isinstance(found, Runtime):
        raise RuntimeError("the bot runtime is not initialized (post_init did not run)")
    return found


def app_runtime(application: Application) -> Runtime | None:
    found = application.bot_data.get(RUNTIME_KEY)
    return found if isinstance(found, Runtime) else None


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
