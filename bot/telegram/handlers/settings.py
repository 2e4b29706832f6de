"""/settings: a menu of inline buttons, or ``/settings KEY VALUE`` for a direct change.

In groups every change, including each button press and each menu page, is allowed only if
Telegram says *now* that the user is an administrator (or it is an anonymous admin).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any

from telegram import Bot, Chat, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CommandHandler

from bot.core.settings import GROUP_MODES, ChatSettings, toggle_language, valid_sentences
from bot.telegram.authz import may_change_settings
from bot.telegram.callback_data import CallbackPayload
from bot.telegram.formatting import escape, language_name, render_text
from bot.telegram.group_access import sees_group_messages
from bot.telegram.handlers.messages import NEW_MESSAGES
from bot.telegram.i18n import t
from bot.telegram.keyboards import (
    algorithm_keyboard,
    languages_keyboard,
    length_keyboard,
    mode_keyboard,
    settings_main_keyboard,
)
from bot.telegram.runtime import BriefContext, Runtime, runtime, ui_language
from translation import Algorithm

log = logging.getLogger(__name__)

SETTINGS_ACTIONS = frozenset({"nav", "lang", "len", "algo", "mode", "src", "done"})
_CODES = re.compile(r"[a-z]{2,3}(?:\s*,\s*[a-z]{2,3})*")
_ON = {"on", "yes", "true", "1", "an", "ja"}
_OFF = {"off", "no", "false", "0", "aus", "nein"}


def _overview(settings: ChatSettings, chat: Chat, ui: str) -> str:
    title = (
        t("settings.title_private", ui)
        if chat.type == Chat.PRIVATE
        else t("settings.title_group", ui, chat=chat.title or str(chat.id))
    )
    on_off = t("settings.option.on" if settings.show_source else "settings.option.off", ui)
    body = t(
        "settings.overview",
        ui,
        languages=", ".join(language_name(c, ui) for c in settings.target_languages),
        sentences=settings.summary_sentences,
        algorithm=t(f"settings.algorithm.{settings.algorithm}", ui),
        show_source=on_off,
    )
    if chat.type != Chat.PRIVATE:  # the mode means nothing in a private chat
        mode = t(f"settings.mode.{settings.group_mode}", ui)
        body += "\n" + t("settings.overview_group_mode", ui, group_mode=mode)
    return f"<b>{escape(title)}</b>\n{escape(body)}"


def settings_view(
    rt: Runtime, chat: Chat, settings: ChatSettings, ui: str, page: str, channel: int | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The menu's text and buttons for one page (``channel``: the group's linked channel)."""
    codec, chat_id = rt.codec, chat.id
    text = _overview(settings, chat, ui)
    if page == "langs":
        available = rt.service.available_targets() | set(settings.target_languages)
        note = "settings.languages.title" if available else "settings.languages.none_installed"
        keyboard = languages_keyboard(codec, chat_id, ui, available, settings.target_languages)
    elif page == "length":
        note = "settings.length.title"
        keyboard = length_keyboard(codec, chat_id, ui, settings.summary_sentences)
    elif page == "algo":
        note = "settings.algorithm.title"
        keyboard = algorithm_keyboard(codec, chat_id, ui, settings.algorithm)
    elif page == "mode" and chat.type != Chat.PRIVATE:
        note = "settings.group_mode.title"
        keyboard = mode_keyboard(codec, chat_id, ui, settings.group_mode)
    else:
        return text, settings_main_keyboard(
            codec,
            chat_id,
            ui,
            show_source=settings.show_source,
            is_group=chat.type != Chat.PRIVATE,
            channel=channel,
        )
    return f"{text}\n\n{render_text(note, ui)}", keyboard


async def menu_view(
    context: BriefContext, rt: Runtime, chat: Chat, settings: ChatSettings, ui: str, page: str
) -> tuple[str, InlineKeyboardMarkup]:
    """``settings_view``, plus a warning when the group is in auto mode but the bot cannot
    see its messages (privacy mode on and no admin rights), and on the first page of a
    channel's discussion group a button to the channel's settings."""
    channel = await linked_channel(context.bot, chat) if page == "main" else None
    text, keyboard = settings_view(rt, chat, settings, ui, page, channel)
    if settings.group_mode == "auto" and not await sees_group_messages(context.bot, chat):
        text += "\n\n⚠️ " + render_text("settings.auto_needs_access", ui)
    return text, keyboard


async def linked_channel(bot: Bot, chat: Chat) -> int | None:
    """The channel whose discussion group ``chat`` is (None for other chats, or when Telegram
    cannot say right now)."""
    if chat.type != Chat.SUPERGROUP:
        return None
    try:
        return (await bot.get_chat(chat.id)).linked_chat_id
    except TelegramError as exc:
        log.info("getChat failed for %s: %s", chat.id, exc)
        return None


# -- changes -----------------------------------------------------------------------------------


def _toggle(code: str) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    return lambda current: toggle_language(current, code)


def _flip(current: bool) -> bool:
    return not current


def change_for(payload: CallbackPayload, rt: Runtime) -> tuple[dict[str, Any], str] | None:
    """(settings changes, page to show next) for a settings button; None if it is refused."""
    action, args = payload.action, payload.args
    if action == "lang":
        if args[0] not in rt.service.available_targets():
            return {}, "langs"  # stale menu: the language is no longer installed; just redraw
        return {"target_languages": _toggle(args[0])}, "langs"
    if action == "len":
        return {"summary_sentences": int(args[0])}, "length"
    if action == "algo":
        return {"algorithm": args[0]}, "algo"
    if action == "mode":
        return {"group_mode": args[0]}, "mode"
    if action == "src":
        return {"show_source": _flip}, "main"
    if action == "nav":
        return {}, args[0]
    return None


def parse_text_change(args: list[str]) -> dict[str, Any] | None:
    """``/settings languages en,fr`` · ``length 4`` · ``algorithm lexrank`` · ``mode auto`` ·
    ``source on``; None if the arguments do not name a valid change."""
    if len(args) < 2:
        return None
    key, value = args[0].lower(), " ".join(args[1:]).strip().lower()
    if key in ("languages", "language", "sprachen", "lang") and _CODES.fullmatch(value):
        return {"target_languages": tuple(c.strip() for c in value.split(","))}
    length_keys = ("length", "sentences", "länge", "laenge")
    if key in length_keys and value.isdigit() and valid_sentences(int(value)):
        return {"summary_sentences": int(value)}
    if key in ("algorithm", "algo", "verfahren") and value in {a.value for a in Algorithm}:
        return {"algorithm": value}
    if key in ("mode", "group_mode", "modus") and value in GROUP_MODES:
        return {"group_mode": value}
    if key in ("source", "original") and value in _ON | _OFF:
        return {"show_source": value in _ON}
    return None


async def _refuse(message: Message, ui: str) -> None:
    await message.reply_text(render_text("settings.admins_only", ui), parse_mode=ParseMode.HTML)


async def settings_command(update: Update, context: BriefContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    rt = runtime(context)
    settings = await rt.service.settings(chat.id)
    ui = ui_language(update.effective_user, settings)
    user: User | None = update.effective_user
    changes = parse_text_change(context.args or [])
    if not await may_change_settings(context.bot, chat, user, message.sender_chat):
        if context.args:
            await _refuse(message, ui)
            return
        # Members may look: the same menu, whose buttons answer "only admins can change this".
        text, keyboard = await menu_view(context, rt, chat, settings, ui, "main")
        notice = render_text("settings.admins_only", ui)
        await message.reply_text(
            f"{text}\n\n{notice}", parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
        return
    if changes is not None:
        if "group_mode" in changes and chat.type == Chat.PRIVATE:
            await message.reply_text(render_text("settings.private_only_mode", ui))
            return
        unknown = set(changes.get("target_languages", ())) - rt.service.available_targets()
        if unknown:
            code = ", ".join(sorted(unknown))
            await message.reply_text(render_text("error.unknown_language_code", ui, code=code))
            return
        settings = await rt.service.change_settings(chat.id, **changes)
    text, keyboard = await menu_view(context, rt, chat, settings, ui, "main")
    if changes is not None:
        text = f"{render_text('settings.saved', ui)}\n\n{text}"
    sent = await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    if changes is not None:
        _remember_change(rt, chat.id, sent.message_id)


def _remember_change(rt: Runtime, chat_id: int, message_id: int) -> None:
    if len(rt.changed_menus) > 10_000:  # forgotten menus: "Done" then just closes
        rt.changed_menus.clear()
    rt.changed_menus.add((chat_id, message_id))


def closing_text(rt: Runtime, chat: Chat, message_id: int, settings: ChatSettings, ui: str) -> str:
    """What "Done" leaves behind: "saved" only if something changed in this menu, and what
    to do next as this chat's mode allows (no "send me a text" where nobody may)."""
    changed = (chat.id, message_id) in rt.changed_menus
    rt.changed_menus.discard((chat.id, message_id))
    status = "settings.saved" if changed else "settings.unchanged"
    mode = "private" if chat.type == Chat.PRIVATE else settings.group_mode
    return f"{render_text(status, ui)} {render_text(f'settings.next.{mode}', ui)}"


async def on_settings_button(
    update: Update, context: BriefContext, payload: CallbackPayload
) -> None:
    """A press in the settings menu (already verified as ours for this chat)."""
    query = update.callback_query
    assert query is not None and query.message is not None
    chat = query.message.chat
    rt = runtime(context)
    settings = await rt.service.settings(chat.id)
    ui = ui_language(query.from_user, settings)
    if not await may_change_settings(context.bot, chat, query.from_user):
        await query.answer(t("settings.admins_only", ui), show_alert=True)
        return
    if payload.action == "done":
        closing = closing_text(rt, chat, query.message.message_id, settings, ui)
        await query.edit_message_text(closing, parse_mode=ParseMode.HTML)
        await query.answer()
        return
    if payload.action == "mode" and chat.type == Chat.PRIVATE:
        await query.answer(t("settings.private_only_mode", ui), show_alert=True)
        return
    found = change_for(payload, rt)
    if found is None:
        await query.answer(t("error.button_invalid", ui), show_alert=True)
        return
    changes, page = found
    settings, notice, changed = await apply_change(rt, chat.id, payload, changes, settings, ui)
    if changed:
        _remember_change(rt, chat.id, query.message.message_id)
    text, keyboard = await menu_view(context, rt, chat, settings, ui, page)
    with contextlib.suppress(BadRequest):  # "message is not modified" when nothing changed
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    await query.answer(notice)


async def apply_change(
    rt: Runtime,
    chat_id: int,
    payload: CallbackPayload,
    changes: dict[str, Any],
    settings: ChatSettings,
    ui: str,
) -> tuple[ChatSettings, str | None, bool]:
    """Apply a menu button's ``changes`` to ``chat_id``'s settings: (the settings now, the
    pop-up notice or None, whether anything changed)."""
    if not changes:
        return settings, None, False
    after = await rt.service.change_settings(chat_id, **changes)
    if payload.action == "lang" and after.target_languages == settings.target_languages:
        return after, t("settings.languages.at_least_one", ui), False
    return after, t("settings.saved", ui), True


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    return [CommandHandler("settings", settings_command, NEW_MESSAGES)]
