"""/follow URL, /feeds (a list with buttons), /unfollow, and the scheduler tick that polls feeds
and delivers new articles (PTB's JobQueue; in the scaled mode the queue workers do,
``bot.telegram.feed_tasks``).

Every change is allowed only if Telegram says *now* that the user may change the chat's
settings (``authz.may_change_settings``), for commands and for each button press alike. The
commands also work in a channel (posted there by its admins) and for a channel named first
(``/follow @channel URL``, ``bot.telegram.handlers.feed_targets``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.core.feed_records import DeliveryMode, Subscription
from bot.core.feeds import FeedLimitReached, FeedService
from bot.telegram.authz import may_change_settings
from bot.telegram.callback_data import CallbackPayload
from bot.telegram.error_messages import error_html
from bot.telegram.feed_chat import FeedChat
from bot.telegram.feed_tasks import defer_deliveries
from bot.telegram.formatting import render_text
from bot.telegram.handlers.feed_targets import Target, answer, feed_target, may_change_channel
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

CommandCallback: TypeAlias = Callable[[Update, BriefContext], Coroutine[Any, Any, None]]

#: ``feed``: a subscription of the chat the list is shown in; ``cfeed``: of a channel listed
#: elsewhere (its id is the third argument).
FEED_ACTIONS = frozenset({"feed", "cfeed"})

#: What a button under /feeds may do to one subscription.
FEED_OPS = ("pause", "resume", "unfollow", "mode")
#: The first tick after start (resumes deliveries a restart interrupted) comes this soon.
FIRST_TICK_SECONDS = 5.0
#: A document whose caption is ``/import`` (or ``/import@botname``) is an OPML import.
IMPORT_CAPTION = r"^/import(@\w+)?(\s|$)"


def _feeds(rt: Runtime) -> FeedService:
    return rt.core.feeds


async def _reply(update: Update, html: str, markup: InlineKeyboardMarkup | None = None) -> None:
    await answer(update, html, markup)


def _about(target: Target, html: str, ui: str) -> str:
    """An answer about a channel named in the command says which channel it is about."""
    if target.channel_title is None:
        return html
    return render_text("feeds.for_channel", ui, channel=target.channel_title) + "\n" + html


async def _where(update: Update, context: BriefContext) -> tuple[Chat, Runtime, str]:
    """The chat, the runtime and the UI language to answer in."""
    chat = update.effective_chat
    assert chat is not None
    rt = runtime(context)
    _settings, ui = await settings_and_ui(update, rt)
    return chat, rt, ui


async def _target(
    update: Update, context: BriefContext, *, change: bool
) -> tuple[Target, Runtime, str] | None:
    """Like ``_where``, for the chat whose feeds the command is about: None (after telling
    the sender) when it cannot be found or, for ``change``, the sender may not change it."""
    _chat, rt, ui = await _where(update, context)
    target = await feed_target(update, context, ui, change=change)
    return None if target is None else (target, rt, ui)


def follow_error_html(exc: Exception, ui: str, rt: Runtime) -> str:
    if isinstance(exc, FeedLimitReached):
        return render_text("feeds.limit", ui, limit=exc.limit)
    if isinstance(exc, FeedError):
        return render_text(f"feeds.error.{exc.feed_reason}", ui)
    return error_html(exc, ui, rt.config.limits)


async def follow_command(update: Update, context: BriefContext) -> None:
    where = await _target(update, context, change=True)
    if where is None:
        return
    target, rt, ui = where
    if not target.args:
        await _reply(update, render_text("feeds.follow_usage", ui))
        return
    chat = update.effective_chat
    assert chat is not None
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    try:
        followed = await _feeds(rt).follow(target.chat_id, target.args[0])
    except (FeedLimitReached, FetchError) as exc:
        log.info("Follow refused in chat %s: %r", target.chat_id, exc)
        await _reply(update, _about(target, follow_error_html(exc, ui, rt), ui))
        return
    if not followed.new:
        text = render_text("feeds.already", ui, title=followed.title)
        await _reply(update, _about(target, text, ui))
        return
    if target.channel_title is not None:
        text = render_text(
            "feeds.followed_channel", ui, channel=target.channel_title, title=followed.title
        )
    elif followed.queued:
        text = render_text("feeds.followed_latest", ui, title=followed.title, count=followed.queued)
    else:
        text = render_text("feeds.followed", ui, title=followed.title)
    await _reply(update, text)
    if followed.jobs:
        await deliver_soon(context, rt, followed.jobs, target.chat_id)


async def deliver_soon(
    context: BriefContext, rt: Runtime, jobs: tuple[int, ...], chat_id: int
) -> None:
    """Deliver new feed jobs now: here (embedded), or by the queue workers (scaled)."""
    scaled = context.bot_data.scaled
    if scaled is not None:
        await defer_deliveries(scaled, jobs)
        return
    feeds = _feeds(rt)
    rt.service.spawn(feeds.deliver_pending(FeedChat(rt.chat)), name=f"briefbot-feed-{chat_id}")


def feeds_list_html(subs: list[Subscription], ui: str) -> str:
    if not subs:
        return render_text("feeds.list_empty", ui)
    lines = [f"<b>{render_text('feeds.list_title', ui)}</b>"]
    for number, sub in enumerate(subs, 1):
        title = sub.title or sub.url
        if sub.unreachable:
            lines.append(render_text("feeds.line_unreachable", ui, number=number, title=title))
        elif sub.feed_paused:
            lines.append(render_text("feeds.line_failing", ui, number=number, title=title))
        elif sub.paused:
            lines.append(render_text("feeds.line_paused", ui, number=number, title=title))
        else:
            mode = t(f"feeds.mode.{sub.mode}", ui)
            lines.append(render_text("feeds.line", ui, number=number, title=title, mode=mode))
    return "\n".join(lines)


def feeds_keyboard(
    rt: Runtime, chat_id: int, subs: list[Subscription], ui: str, target: int | None = None
) -> InlineKeyboardMarkup | None:
    """One row per feed: pause or resume, switch each/digest, unfollow. Shown in ``chat_id``
    for the feeds of ``target`` (a channel; None: that chat's own)."""
    if not subs:
        return None
    rows = []
    for number, sub in enumerate(subs, 1):
        toggle = "resume" if sub.paused or sub.feed_paused or sub.unreachable else "pause"
        ops = (toggle, "mode", "unfollow")
        rows.append(
            [
                _button(rt, chat_id, t(f"feeds.button.{op}", ui, number=number), op, sub, target)
                for op in ops
            ]
        )
    return InlineKeyboardMarkup(rows)


def _button(
    rt: Runtime, chat_id: int, label: str, op: str, sub: Subscription, target: int | None
) -> InlineKeyboardButton:
    if target is None or target == chat_id:
        payload = CallbackPayload("feed", (op, str(sub.feed_id)))
    else:
        payload = CallbackPayload("cfeed", (op, str(sub.feed_id), str(target)))
    return InlineKeyboardButton(label, callback_data=rt.codec.encode(payload, chat_id))


async def feeds_command(update: Update, context: BriefContext) -> None:
    where = await _target(update, context, change=False)
    if where is None:
        return
    target, rt, ui = where
    chat = update.effective_chat
    assert chat is not None
    subs = await _feeds(rt).subscriptions(target.chat_id)
    keyboard = feeds_keyboard(rt, chat.id, subs, ui, target.chat_id)
    await _reply(update, _about(target, feeds_list_html(subs, ui), ui), keyboard)


async def unfollow_command(update: Update, context: BriefContext) -> None:
    where = await _target(update, context, change=True)
    if where is None:
        return
    target, rt, ui = where
    if not target.args:
        await _reply(update, render_text("feeds.unfollow_usage", ui))
        return
    subs = await _feeds(rt).subscriptions(target.chat_id)
    sub = pick_subscription(subs, target.args[0])
    if sub is None or not await _feeds(rt).unfollow(target.chat_id, sub.feed_id):
        await _reply(update, _about(target, render_text("feeds.not_followed", ui), ui))
        return
    text = render_text("feeds.unfollowed", ui, title=sub.title or sub.url)
    await _reply(update, _about(target, text, ui))


async def digest_command(update: Update, context: BriefContext) -> None:
    """``/digest 8,18 Europe/Berlin``: when digest-mode feeds arrive in this chat."""
    where = await _target(update, context, change=True)
    if where is None:
        return
    target, rt, ui = where
    feeds = _feeds(rt)
    schedule = await feeds.digest_schedule(target.chat_id)
    args = target.args
    hours = parse_hours(args[0]) if args else None
    timezone = args[1] if len(args) > 1 else schedule.timezone
    try:
        if hours is None:
            raise ValueError("no hours")
        await feeds.set_digest_hours(target.chat_id, hours, timezone)
    except ValueError:
        shown = ", ".join(f"{h}:00" for h in schedule.hours)
        text = render_text("feeds.digest_usage", ui, hours=shown, timezone=schedule.timezone)
        await _reply(update, text)
        return
    shown = ", ".join(f"{h}:00" for h in sorted(set(hours)))
    text = render_text("feeds.digest_saved", ui, hours=shown, timezone=timezone)
    await _reply(update, _about(target, text, ui))


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
    where = await _target(update, context, change=False)
    if where is None:
        return
    target, rt, ui = where
    subs = await _feeds(rt).subscriptions(target.chat_id)
    if not subs:
        await _reply(update, _about(target, render_text("feeds.list_empty", ui), ui))
        return
    data = build_opml(OpmlFeed(s.title or s.url, s.url) for s in subs)
    caption = _about(target, render_text("feeds.export_caption", ui), ui)
    reply_to = None if update.channel_post is not None else message.message_id
    await rt.chat.send_document(
        message.chat_id, "briefbot-feeds.opml", data, caption=caption, reply_to=reply_to
    )


async def import_command(update: Update, context: BriefContext) -> None:
    """An OPML document with the caption ``/import`` (``/import @channel`` for a channel's
    feeds, or posted in the channel): follow every feed it lists (up to the chat's limit),
    then say which could not be followed."""
    message = update.effective_message
    assert message is not None
    context.args = (message.caption or "").split()[1:]  # a caption has no CommandHandler args
    where = await _target(update, context, change=True)
    if where is None:
        return
    target, rt, ui = where
    if message.document is None:
        await _reply(update, render_text("feeds.import_usage", ui))
        return
    try:
        data = await rt.chat.download(message.document.file_id, rt.config.limits.max_file_bytes)
        listed = await asyncio.to_thread(parse_opml, data)  # up to a 2 MB XML parse
    except InputError as exc:
        html = render_text("feeds.import_invalid", ui, error=exc.message)
        await _reply(update, _about(target, html, ui))
        return
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    failed: list[str] = []
    for feed in listed:
        try:
            await _feeds(rt).follow(target.chat_id, feed.url)
        except (FeedLimitReached, FetchError) as exc:
            log.info("Import of %s into chat %s failed: %r", feed.url, target.chat_id, exc)
            failed.append(feed.title)
    done = len(listed) - len(failed)
    text = render_text("feeds.import_done", ui, count=done, total=len(listed))
    if failed:
        text += "\n" + render_text("feeds.import_failures", ui, feeds=", ".join(failed))
    await _reply(update, _about(target, text, ui))


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
    owner = int(payload.args[2]) if payload.action == "cfeed" else chat.id
    if owner != chat.id:  # a channel's feeds listed elsewhere: its admins only, asked now
        allowed = await may_change_channel(context, owner, query.from_user)
    else:
        allowed = await may_change_settings(context.bot, chat, query.from_user)
    if not allowed:
        await query.answer(t("settings.admins_only", ui), show_alert=True)
        return
    op, feed_id = payload.args[0], int(payload.args[1])
    feeds = _feeds(rt)
    if op == "unfollow":
        changed = await feeds.unfollow(owner, feed_id)
    elif op == "mode":
        current = next((s for s in await feeds.subscriptions(owner) if s.feed_id == feed_id), None)
        mode: DeliveryMode = (
            "each" if current is not None and current.mode == "digest" else "digest"
        )
        changed = current is not None and await feeds.change(owner, feed_id, mode=mode) is not None
    else:
        if op == "resume":  # whoever resumes it can be posted to again
            await feeds.chat_back(owner)
        changed = await feeds.change(owner, feed_id, paused=op == "pause") is not None
    subs = await feeds.subscriptions(owner)
    html = feeds_list_html(subs, ui)
    if owner != chat.id:
        header = render_text("feeds.for_channel", ui, channel=await _title(context, owner))
        html = f"{header}\n{html}"
    with contextlib.suppress(BadRequest):  # "message is not modified"
        await query.edit_message_text(
            html,
            parse_mode=ParseMode.HTML,
            reply_markup=feeds_keyboard(rt, chat.id, subs, ui, owner),
        )
    await query.answer(t("feeds.changed" if changed else "feeds.not_followed", ui))


async def _title(context: BriefContext, chat_id: int) -> str:
    """A channel's title for the header of its feed list (its id when Telegram says none)."""
    try:
        return (await context.bot.get_chat(chat_id)).title or str(chat_id)
    except TelegramError:
        return str(chat_id)


async def tick(context: BriefContext) -> None:
    """The JobQueue's periodic job: poll due feeds and deliver new articles."""
    data = context.bot_data
    if data.runtime_or_none is None:
        return
    rt = data.runtime
    try:
        report = await _feeds(rt).tick(FeedChat(rt.chat))
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
    if core is not None and core.config.storage.url:
        log.info("Scaled mode: the queue workers poll feeds and deliver articles")
        return
    every = float(core.config.feeds.tick_seconds) if core is not None else 60.0
    queue.run_repeating(tick, interval=every, first=min(FIRST_TICK_SECONDS, every), name="feeds")


#: Also taken from channel posts (``in_channel``): a channel's admins post them there.
COMMANDS = {
    "follow": follow_command,
    "feeds": feeds_command,
    "unfollow": unfollow_command,
    "digest": digest_command,
    "export": export_command,
}


def in_channel(command: CommandCallback) -> CommandCallback:
    """A feed command posted in a channel: answered there, then its post is deleted (the
    channel's readers see the answer, not the command)."""

    async def run(update: Update, context: BriefContext) -> None:
        post = update.channel_post
        if post is None or (post.sender_chat is not None and post.sender_chat.id != post.chat_id):
            return  # only the channel itself (its admins) posts there
        await command(update, context)
        with contextlib.suppress(TelegramError):  # no right to delete: the command stays
            await post.delete()

    return run


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    posts = filters.UpdateType.CHANNEL_POST
    return [
        *(CommandHandler(name, fn, NEW_MESSAGES) for name, fn in COMMANDS.items()),
        *(CommandHandler(name, in_channel(fn), posts) for name, fn in COMMANDS.items()),
        MessageHandler(NEW_MESSAGES & filters.CaptionRegex(IMPORT_CAPTION), import_command),
        MessageHandler(posts & filters.CaptionRegex(IMPORT_CAPTION), in_channel(import_command)),
    ]
