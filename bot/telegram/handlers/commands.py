"""/start, /help, /summarize, /translate LANG and /languages."""

from __future__ import annotations

from telegram import Chat, Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.core.requests import Origin, TranslationRequest
from bot.core.service import MAIN_SOURCE_LANGUAGE
from bot.telegram.authz import is_owner
from bot.telegram.formatting import (
    format_number,
    human_bytes,
    language_name,
    render_text,
    split_message,
)
from bot.telegram.handlers.group_intro import group_introduction
from bot.telegram.handlers.intake import destination, message_text, source_from_message
from bot.telegram.handlers.messages import NEW_MESSAGES, summarize
from bot.telegram.i18n import t
from bot.telegram.language_names import language_code
from bot.telegram.runtime import BriefContext, Runtime, runtime, settings_and_ui
from translation import InputError


async def _ui(update: Update, rt: Runtime) -> str:
    return (await settings_and_ui(update, rt))[1]


async def _reply(update: Update, html: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(html, parse_mode=ParseMode.HTML)


def _origin(update: Update) -> Origin:
    chat = update.effective_chat
    return "private" if chat is not None and chat.type == Chat.PRIVATE else "asked"


def command_argument(message: Message) -> str:
    """The text after ``/command`` (newlines kept, unlike ``context.args``)."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            # Offsets count UTF-16 units; the command itself is ASCII, so this slice is exact.
            return text[entity.length :].strip()
    return ""


def setup_notes(update: Update, rt: Runtime, targets: tuple[str, ...], ui: str) -> list[str]:
    """What /start and /help must admit while translation models are missing; owners also
    get the command that installs them."""
    needed = rt.service.missing_packages(targets)
    if not needed:
        return []
    unreachable = [code for code in targets if code != MAIN_SOURCE_LANGUAGE]
    names = ", ".join(language_name(code, ui) for code in unreachable)
    notes = [render_text("setup.no_translation", ui, languages=names)]
    if is_owner(update.effective_user, rt.owners):
        command = f"briefbot models install {' '.join(needed)}"
        notes.append(render_text("setup.install_hint", ui, command=command))
    return notes


async def start(update: Update, context: BriefContext) -> None:
    rt = runtime(context)
    settings, ui = await settings_and_ui(update, rt)
    if _origin(update) == "asked":  # a group: how the group uses the bot, not a private chat
        parts = [group_introduction(settings, ui)]
    else:
        names = ", ".join(language_name(code, ui) for code in settings.target_languages)
        parts = [render_text("start.welcome", ui, languages=names)]
    parts += setup_notes(update, rt, settings.target_languages, ui)
    await _reply(update, "\n\n".join(parts))


async def help_command(update: Update, context: BriefContext) -> None:
    rt = runtime(context)
    settings, ui = await settings_and_ui(update, rt)
    limits = rt.config.limits
    parts = [
        render_text("help.text", ui, max_file=human_bytes(limits.max_file_bytes, ui)),
        render_text("help.groups", ui),
        render_text(
            "help.limits",
            ui,
            max_chars=format_number(limits.max_text_chars, ui),
            max_sentences=format_number(limits.max_sentences, ui),
            max_file=human_bytes(limits.max_file_bytes, ui),
            per_user=format_number(limits.per_user_per_minute, ui),
        ),
        *setup_notes(update, rt, settings.target_languages, ui),
    ]
    await _reply(update, "\n\n".join(parts))


async def summarize_command(update: Update, context: BriefContext) -> None:
    """``/summarize TEXT-OR-LINK``, or ``/summarize`` as a reply to a message."""
    message = update.effective_message
    if message is None:
        return
    rt = runtime(context)
    argument = command_argument(message)
    origin = _origin(update)
    if argument:
        await summarize(update, rt, origin, argument)
    elif message.reply_to_message is not None:
        await summarize(update, rt, origin, message.reply_to_message)
    else:
        await _reply(update, render_text("error.summarize_usage", await _ui(update, rt)))


async def translate_command(update: Update, context: BriefContext) -> None:
    """``/translate LANG`` as a reply: the full translation of the replied message."""
    message = update.effective_message
    if message is None:
        return
    rt = runtime(context)
    ui = await _ui(update, rt)
    args = context.args or []
    replied = message.reply_to_message
    if len(args) != 1 or replied is None:
        await _reply(update, render_text("error.translate_usage", ui))
        return
    target = language_code(args[0], ui)
    if target is None:  # neither a code nor a language name: where to find them
        await _reply(update, render_text("error.unknown_language_name", ui, name=args[0][:40]))
        return
    dest = destination(update)
    origin = _origin(update)
    if message_text(replied) is None and replied.document is None:
        await _reply(update, render_text("error.nothing_in_reply", ui))
        return
    try:
        source = source_from_message(replied, rt.config.limits)
    except InputError as exc:
        await rt.service.reject(dest, ui, origin, exc, rt.chat)
        return
    request = TranslationRequest(dest, target, ui=ui, source=source, origin=origin)
    await rt.service.submit(request, rt.chat)


async def languages_command(update: Update, context: BriefContext) -> None:
    """Installed pairs, what English as a pivot adds, and this chat's summary languages."""
    rt = runtime(context)
    settings, ui = await settings_and_ui(update, rt)
    engine = rt.engine
    pairs = engine.pairs()
    if not pairs:
        await _reply(update, render_text("languages.none", ui))
        return

    def name(code: str) -> str:
        return f"{language_name(code, ui)} ({code})"

    def line(source: str, targets: set[str]) -> str:
        joined = ", ".join(name(code) for code in sorted(targets))
        return "• " + t("languages.pair", ui, source=name(source), target=joined)

    direct = {s: {d for a, d in pairs if a == s} for s, _ in pairs}
    pivot = {s: engine.reachable_targets(s) - direct.get(s, set()) for s in engine.languages()}
    lines = [t("languages.heading_pairs", ui)]
    lines += [line(s, targets) for s, targets in sorted(direct.items())]
    if any(pivot.values()):
        lines += ["", t("languages.heading_pivot", ui)]
        lines += [line(s, targets) for s, targets in sorted(pivot.items()) if targets]
    chat = update.effective_chat
    in_group = chat is not None and chat.type != Chat.PRIVATE
    lines += [
        "",
        t("languages.heading_targets_group" if in_group else "languages.heading_targets", ui),
    ]
    lines.append(", ".join(name(code) for code in settings.target_languages))
    for part in split_message("\n".join(lines), escaped=True):
        await _reply(update, part)


async def unknown_command(update: Update, context: BriefContext) -> None:
    """A private chat's mistyped command gets a pointer to /help instead of silence."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0]
    _, ui = await settings_and_ui(update, runtime(context))
    await _reply(update, render_text("error.unknown_command", ui, command=command[:64]))


def fallback_handler() -> BaseHandler[Update, BriefContext, None]:
    """Registered last: only commands no other handler took. Groups are left alone, where
    commands are often meant for other bots."""
    private_command = filters.ChatType.PRIVATE & filters.COMMAND
    return MessageHandler(NEW_MESSAGES & private_command, unknown_command)


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    return [
        CommandHandler("start", start, NEW_MESSAGES),
        CommandHandler("help", help_command, NEW_MESSAGES),
        CommandHandler("summarize", summarize_command, NEW_MESSAGES),
        CommandHandler("translate", translate_command, NEW_MESSAGES),
        CommandHandler("languages", languages_command, NEW_MESSAGES),
    ]
