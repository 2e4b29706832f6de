"""/follow URL, /feeds (a list with buttons), /unfollow, and the scheduler tick that polls feeds
and delivers new articles (PTB's JobQueue).

Every change is allowed only if Telegram says *now* that the user may change the chat's
settings (``authz.may_change_settings``), for commands and for each button press alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.core.feed_records import DeliveryMode, Subscription
from bot.core.feeds import FeedLimitReached, FeedService
from bot.telegram.authz import may_change_settings
from bot.telegram.callback_data import CallbackPayload
from bot.telegram.error_messages import error_html
from bot.telegram.formatting import render_text
from bot.telegram.handlers.messages import NEW_MESSAGES
from bot.telegram.i18n import t
from bot.telegram.runtime import (
    BriefApplication,
    BriefContext,
    Runtime,
    runtime,
    settings_and_ui,
    ui_language,
)
from translation import (
    FeedError,
    FetchError,
    InputError,
    OpmlFeed,
    build_opml,
    parse_opml,
)

log = logging.getLogger(__name__)

FEED_ACTIONS = frozenset({"feed"})
#: What a button under /feeds may do to one subscription.
FEED_OPS = ("pause", "resume", "unfollow", "mode")
#: The first tick after start (resumes deliveries a restart interrupted) comes this soon.
FIRST_TICK_SECONDS = 5.0
#: A document whose caption is ``/import`` (or ``/import@botname``) is an OPML import.
IMPORT_CAPTION = r"^/import(@\w+)?(\s|$)"


def _feeds(rt: Runtime) -> FeedService:
    return rt.core.feeds


async def _reply(update: Update, html: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(html, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _allowed(update: Update, context: BriefContext, ui: str) -> bool:
    """Admins (or anyone in a private chat) only; others are told so."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    if await may_change_settings(context.bot, chat, update.effective_user, message.sender_chat):
        return True
    await _reply(update, render_text("settings.admins_only", ui))
    return False


async def _where(update: Update, context: BriefContext) -> tuple[Chat, Runtime, str]:
    """The chat, the runtime and the UI language to answer in."""
    chat = update.effective_chat
    assert chat is not None
    rt = runtime(context)
    _settings, ui = await settings_and_ui(update, rt)
    return chat, rt, ui


async def _may_change(update: Update, context: BriefContext) -> tuple[Chat, Runtime, str] | None:
    """Like ``_where``, for changes: None (after telling the sender) unless they may."""
    chat, rt, ui = await _where(update, context)
    return (chat, rt, ui) if await _allowed(update, context, ui) else None


def follow_error_html(exc: Exception, ui: str, rt: Runtime) -> str:
    if isinstance(exc, FeedLimitReached):
        return render_text("feeds.limit", ui, limit=exc.limit)
    if isinstance(exc, FeedError):
        return render_text(f"feeds.error.{exc.feed_reason}", ui)
    return error_html(exc, ui, rt.config.limits)


async def follow_command(update: Update, context: BriefContext) -> None:
    where = await _may_change(update, context)
    if where is None:
        return
    chat, rt, ui = where
    if not context.args:
        await _reply(update, render_text("feeds.follow_usage", ui))
        return
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    try:
        followed = await _feeds(rt).follow(chat.id, context.args[0])
    except (FeedLimitReached, FetchError) as exc:
        log.info("Follow refused in chat %s: %r", chat.id, exc)
        await _reply(update, follow_error_html(exc, ui, rt))
        return
    if not followed.new:
        await _reply(update, render_text("feeds.already", ui, title=followed.title))
        return
    if followed.queued:
        text = render_text("feeds.followed_latest", ui, title=followed.title, count=followed.queued)
    else:
        text = render_text("feeds.followed", ui, title=followed.title)
    await _reply(update, text)
    if followed.queued:
        rt.service.spawn(_feeds(rt).deliver_pending(rt.chat), name=f"briefbot-feed-{chat.id}")


def feeds_list_html(subs: list[Subscription], ui: str) -> str:
    if not subs:
        return render_text("feeds.list_empty", ui)
    lines = [f"<b>{render_text('feeds.list_title', ui)}</b>"]
    for number, sub in enumerate(subs, 1):
        title = sub.title or sub.url
        if sub.feed_paused:
            lines.append(render_text("feeds.line_failing", ui, number=number, title=title))
        elif sub.paused:
            lines.append(render_text("feeds.line_paused", ui, number=number, title=title))
        else:
            mode = t(f"feeds.mode.{sub.mode}", ui)
            lines.append(render_text("feeds.line", ui, number=number, title=title, mode=mode))
    return "\n".join(lines)


def feeds_keyboard(
    rt: Runtime, chat_id: int, subs: list[Subscription], ui: str
) -> InlineKeyboardMarkup | None:
    """One row per feed: pause or resume, switch each/digest, unfollow."""
    if not subs:
        return None
    rows = []
    for number, sub in enumerate(subs, 1):
        toggle = "resume" if sub.paused or sub.feed_paused else "pause"
        ops = (toggle, "mode", "unfollow")
        rows.append(
            [
                _button(rt, chat_id, t(f"feeds.button.{op}", ui, number=number), op, sub)
                for op in ops
            ]
        )
    return InlineKeyboardMarkup(rows)


def _button(
    rt: Runtime, chat_id: int, label: str, op: str, sub: Subscription
) -> InlineKeyboardButton:
    data = rt.codec.encode(CallbackPayload("feed", (op, str(sub.feed_id))), chat_id)
    return InlineKeyboardButton(label, callback_data=data)


async def feeds_command(update: Update, context: BriefContext) -> None:
    chat, rt, ui = await _where(update, context)
    subs = await _feeds(rt).subscriptions(chat.id)
    await _reply(update, feeds_list_html(subs, ui), feeds_keyboard(rt, chat.id, subs, ui))


async def unfollow_command(update: Update, context: BriefContext) -> None:
    where = await _may_change(update, context)
    if where is None:
        return
    chat, rt, ui = where
    if not context.args:
        await _reply(update, render_text("feeds.unfollow_usage", ui))
        return
    subs = await _feeds(rt).subscriptions(chat.id)
    sub = pick_subscription(subs, context.args[0])
    if sub is None or not await _feeds(rt).unfollow(chat.id, sub.feed_id):
        await _reply(update, render_text("feeds.not_followed", ui))
        return
    await _reply(update, render_text("feeds.unfollowed", ui, title=sub.title or sub.url))


async def digest_command(update: Update, context: BriefContext) -> None:
    """``/digest 8,18 Europe/Berlin``: when digest-mode feeds arrive in this chat."""
    where = await _may_change(update, context)
    if where is None:
        return
    chat, rt, ui = where
    feeds = _feeds(rt)
    schedule = await feeds.digest_schedule(chat.id)
    args = context.args or []
    hours = parse_hours(args[0]) if args else None
    timezone = args[1] if len(args) > 1 else schedule.timezone
    try:
        if hours is None:
            raise ValueError("no hours")
        await feeds.set_digest_hours(chat.id, hours, timezone)
    except ValueError:
        shown = ", ".join(f"{h}:00" for h in schedule.hours)
        text = render_text("feeds.digest_usage", ui, hours=shown, timezone=schedule.timezone)
        await _reply(update, text)
        return
    shown = ", ".join(f"{h}:00" for h in sorted(set(hours)))
    await _reply(update, render_text("feeds.digest_saved", ui, hours=shown, timezone=timezone))


def parse_hours(text: str) -> tuple[int, ...] | None:
    """``8,18`` -> (8, 18); None unless every part is an hour 0-23."""
    parts = [p.strip() for p in text.split(",")]
    if not parts or not all(p.isdigit() and 0 <= int(p) <= 23 for p in parts):
        return None
    return tuple(int(p) for p in parts)


async def export_command(update: Update, context: BriefContext) -> None:
    """``/export``: the chat's feeds as an OPML file."""
    message = update.effective_message
    assert message is not None
    chat, rt, ui = await _where(update, context)
    subs = await _feeds(rt).subscriptions(chat.id)
    if not subs:
        await _reply(update, render_text("feeds.list_empty", ui))
        return
    data = build_opml(OpmlFeed(s.title or s.url, s.url) for s in subs)
    caption = render_text("feeds.export_caption", ui)
    await rt.chat.send_document(
        chat.id, "briefbot-feeds.opml", data, caption=caption, reply_to=message.message_id
    )


async def import_command(update: Update, context: BriefContext) -> None:
    """An OPML document with the caption ``/import``: follow every feed it lists (up to the
    chat's limit), then say which could not be followed."""
    message = update.effective_message
    assert message is not None
    where = await _may_change(update, context)
    if where is None:
        return
    chat, rt, ui = where
    if message.document is None:
        await _reply(update, render_text("feeds.import_usage", ui))
        return
    try:
        data = await rt.chat.download(message.document.file_id, rt.config.limits.max_file_bytes)
        listed = await asyncio.to_thread(parse_opml, data)  # up to a 2 MB XML parse
    except InputError as exc:
        await _reply(update, render_text("feeds.import_invalid", ui, error=exc.message))
        return
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    failed: list[str] = []
    for feed in listed:
        try:
            await _feeds(rt).follow(chat.id, feed.url)
        except (FeedLimitReached, FetchError) as exc:
            log.info("Import of %s into chat %s failed: %r", feed.url, chat.id, exc)
            failed.append(feed.title)
    done = len(listed) - len(failed)
    text = render_text("feeds.import_done", ui, count=done, total=len(listed))
    if failed:
        text += "\n" + render_text("feeds.import_failures", ui, feeds=", ".join(failed))
    await _reply(update, text)


def pick_subscription(subs: list[Subscription], which: str) -> Subscription | None:
    """A subscription by its number in /feeds or by its address."""
    which = which.strip()
    if which.isdigit() and 1 <= int(which) <= len(subs):
        return subs[int(which) - 1]
    return next((s for s in subs if s.url == which), None)


async def on_feed_button(update: Update, context: BriefContext, payload: CallbackPayload) -> None:
    """A press under /feeds (already verified as ours for this chat)."""
    query = update.callback_query
    assert query is not None and query.message is not None
    chat: Chat = query.message.chat
    rt = runtime(context)
    settings = await rt.service.settings(chat.id)
    ui = ui_language(query.from_user, settings)
    if not await may_change_settings(context.bot, chat, query.from_user):
        await query.answer(t("settings.admins_only", ui), show_alert=True)
        return
    op, feed_id = payload.args[0], int(payload.args[1])
    feeds = _feeds(rt)
    if op == "unfollow":
        changed = await feeds.unfollow(chat.id, feed_id)
    elif op == "mode":
        current = next(
            (s for s in await feeds.subscriptions(chat.id) if s.feed_id == feed_id), None
        )
        mode: DeliveryMode = (
            "each" if current is not None and current.mode == "digest" else "digest"
        )
        changed = (
            current is not None and await feeds.change(chat.id, feed_id, mode=mode) is not None
        )
    else:
        changed = await feeds.change(chat.id, feed_id, paused=op == "pause") is not None
    subs = await feeds.subscriptions(chat.id)
    with contextlib.suppress(BadRequest):  # "message is not modified"
        await query.edit_message_text(
            feeds_list_html(subs, ui),
            parse_mode=ParseMode.HTML,
            reply_markup=feeds_keyboard(rt, chat.id, subs, ui),
        )
    await query.answer(t("feeds.changed" if changed else "feeds.not_followed", ui))


async def tick(context: BriefContext) -> None:
    """The JobQueue's periodic job: poll due feeds and deliver new articles."""
    data = context.bot_data
    if data.runtime_or_none is None:
        return
    rt = data.runtime
    try:
        report = await _feeds(rt).tick(rt.chat)
    except Exception:  # the next tick tries again; one bad tick must not stop the schedule
        log.exception("Feed tick failed")
        return
    if report.polled or report.delivered:
        log.info(
            "Feeds: polled %d (%d failed), queued %d, delivered %d",
            report.polled,
            report.failed,
            report.queued,
            report.delivered,
        )


def schedule(application: BriefApplication) -> None:
    """Poll every ``[feeds] tick_seconds`` through PTB's JobQueue."""
    queue = application.job_queue
    if queue is None:  # the job-queue extra is a dependency; never None in practice
        log.warning("No JobQueue: feeds will not be polled")
        return
    core = application.bot_data.core
    every = float(core.config.feeds.tick_seconds) if core is not None else 60.0
    queue.run_repeating(tick, interval=every, first=min(FIRST_TICK_SECONDS, every), name="feeds")


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    return [
        CommandHandler("follow", follow_command, NEW_MESSAGES),
        CommandHandler("feeds", feeds_command, NEW_MESSAGES),
        CommandHandler("unfollow", unfollow_command, NEW_MESSAGES),
        CommandHandler("digest", digest_command, NEW_MESSAGES),
        CommandHandler("export", export_command, NEW_MESSAGES),
        MessageHandler(NEW_MESSAGES & filters.CaptionRegex(IMPORT_CAPTION), import_command),
    ]
