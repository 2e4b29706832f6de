"""What the bot tells a group about itself: on /start there and when it is added to one."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, ChatMemberHandler

from bot.core.settings import ChatSettings
from bot.telegram.formatting import language_name, render_text
from bot.telegram.runtime import BriefContext, runtime, ui_language

log = logging.getLogger(__name__)

_ABSENT = frozenset({ChatMember.LEFT, ChatMember.BANNED})


def group_introduction(settings: ChatSettings, ui: str) -> str:
    """What the bot does here, in which languages, in the current mode, and where to change it."""
    names = ", ".join(language_name(code, ui) for code in settings.target_languages)
    mode = render_text(f"settings.mode.{settings.group_mode}", ui)
    return "\n\n".join(
        (
            render_text("start.group", ui, languages=names, mode=mode),
            render_text(f"settings.next.{settings.group_mode}", ui),
            render_text("start.group_settings", ui),
        )
    )


def _joined(change: ChatMemberUpdated) -> bool:
    was, now = change.old_chat_member.status, change.new_chat_member.status
    return was in _ABSENT and now not in _ABSENT


async def on_added_to_group(update: Update, context: BriefContext) -> None:
    """The bot was added to a group: introduce itself once, in the language of who added it."""
    change = update.my_chat_member
    if change is None or change.chat.type == change.chat.PRIVATE or not _joined(change):
        return
    rt = runtime(context)
    settings = await rt.service.settings(change.chat.id)
    ui = ui_language(change.from_user, settings)
    try:
        await context.bot.send_message(
            change.chat.id, group_introduction(settings, ui), parse_mode=ParseMode.HTML
        )
    except TelegramError as exc:  # e.g. a channel or a group where the bot may not write
        log.info("Could not introduce myself in chat %s: %s", change.chat.id, exc)


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    return [ChatMemberHandler(on_added_to_group, ChatMemberHandler.MY_CHAT_MEMBER)]
