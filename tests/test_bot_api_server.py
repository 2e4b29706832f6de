"""The loopback Bot API server, driven by a real python-telegram-bot ``Bot`` over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, InvalidToken, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter, ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.support.bot_api_server import (
    ANONYMOUS_ADMIN_ID,
    DEFAULT_TOKEN,
    BotApiServer,
    channel_origin,
    detect_entities,
)

PRIVATE = 1001
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
GROUP = -1002000000001


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer() as running:
        yield running


def make_bot(server: BotApiServer, token: str = DEFAULT_TOKEN) -> telegram.Bot:
    return telegram.Bot(
        token,
        base_url=f"{server.base_url}/bot",
        base_file_url=f"{server.base_url}/file/bot",
        request=HTTPXRequest(read_timeout=5, connect_timeout=2),
        get_updates_request=HTTPXRequest(read_timeout=10, connect_timeout=2),
    )


@pytest.fixture
async def bot(server: BotApiServer) -> AsyncIterator[telegram.Bot]:
    async with make_bot(server) as client:
        yield client


async def test_get_me_and_the_token_is_recorded(server: BotApiServer, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.username == server.bot_username and me.is_bot
    call = server.calls("getMe")[0]
    assert call.token == DEFAULT_TOKEN and call.status == 200


async def test_wrong_token_is_rejected_with_401(server: BotApiServer) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(server, "42:WRONG"):
            pass
    assert server.calls("getMe")[-1].status == 401
    assert server.calls("getMe")[-1].token == "42:WRONG"


async def test_send_message_is_recorded_with_markup(
    server: BotApiServer, bot: telegram.Bot
) -> None:
    server.add_chat(PRIVATE)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Shorter", callback_data="short|1")]])
    sent = await bot.send_message(
        PRIVATE, "<b>Hi</b> &amp; bye", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    assert sent.text == "Hi & bye" and sent.message_id >= 1
    call = await server.wait_for("sendMessage")
    assert call.params["chat_id"] == PRIVATE and call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "short|1"
    [message] = server.sent_messages(PRIVATE)
    assert message.text == "<b>Hi</b> &amp; bye" and message.reply_markup is not None
    assert server.message_text(PRIVATE, sent.message_id) == "<b>Hi</b> &amp; bye"


async def test_text_that_looks_like_json_stays_text(
    server: BotApiServer, bot: telegram.Bot
) -> None:
    server.add_chat(PRIVATE)
    sent = await bot.send_message(PRIVATE, "123")
    assert sent.text == "123"
    assert server.calls("sendMessage")[0].params["text"] == "123"


async def test_unknown_chat_and_unknown_method(server: BotApiServer, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(555, "hello")
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server.base_url}/bot{DEFAULT_TOKEN}/sendTelepathy")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_long_poll_returns_a_pushed_message_as_an_update(
    server: BotApiServer, bot: telegram.Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()  # it is really waiting
    pushed = server.push_message(PRIVATE, "/start now", language_code="de")
    [update] = await asyncio.wait_for(poll, 3)
    assert isinstance(update, Update)
    assert update.message is not None and update.message.text == "/start now"
    assert update.message.message_id == pushed["message_id"]
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "de"
    assert update.message.from_user.id == PRIVATE  # in a private chat the user is the chat
    assert update.message.entities[0].type == "bot_command"
    # Not confirmed yet: asked again it comes back; confirmed by offset it is gone.
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert server.pending_updates() == []


async def test_long_poll_times_out_empty(server: BotApiServer, bot: telegram.Bot) -> None:
    assert await bot.get_updates(timeout=timedelta(seconds=0.3)) == ()


async def test_newer_poll_supersedes_an_older_one(server: BotApiServer) -> None:
    async with make_bot(server) as first, make_bot(server) as second:
        old = asyncio.create_task(first.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        new = asyncio.create_task(second.get_updates(timeout=5))
        with pytest.raises(telegram.error.Conflict):
            await asyncio.wait_for(old, 3)
        server.push_message(PRIVATE, "hello")
        assert len(await asyncio.wait_for(new, 3)) == 1


async def test_group_message_features(server: BotApiServer, bot: telegram.Bot) -> None:
    original = server.push_message(GROUP, "Ein langer Text über die Bahn.", user_id=7)
    server.push_message(
        GROUP,
        "/summarize@briefbot_test_bot",
        user_id=8,
        reply_to=original["message_id"],
    )
    server.push_message(GROUP, "Nachrichten", forward_origin=channel_origin(title="Tagesschau"))
    server.push_message(GROUP, "/settings", sender_chat=GROUP)
    updates = await bot.get_updates()
    messages = [u.message for u in updates if u.message is not None]
    assert messages[0].chat.type == "supergroup"
    assert messages[1].reply_to_message is not None
    assert messages[1].reply_to_message.text == "Ein langer Text über die Bahn."
    origin = messages[2].forward_origin
    assert isinstance(origin, telegram.MessageOriginChannel)
    assert origin.chat.title == "Tagesschau"
    assert messages[3].sender_chat is not None and messages[3].sender_chat.id == GROUP
    assert messages[3].from_user is not None
    assert messages[3].from_user.id == ANONYMOUS_ADMIN_ID


def test_entities_use_utf16_offsets() -> None:
    text = "🎉 /summarize https://example.org/a?b=1. @someone"
    entities = detect_entities(text)
    assert [e["type"] for e in entities] == ["bot_command", "url", "mention"]
    assert entities[0]["offset"] == 3  # the emoji counts two units
    url = entities[1]
    assert text.encode("utf-16-le")[url["offset"] * 2 : (url["offset"] + url["length"]) * 2] == (
        b"https://example.org/a?b=1".decode().encode("utf-16-le")
    )


async def test_chat_member_statuses(server: BotApiServer, bot: telegram.Bot) -> None:
    server.add_chat(GROUP)
    server.set_member(GROUP, 1, "creator")
    server.set_member(GROUP, 2, "administrator")
    server.set_member(GROUP, 3, "member")
    statuses = [(await bot.get_chat_member(GROUP, user)).status for user in (1, 2, 3, 4)]
    assert statuses == [
        ChatMemberStatus.OWNER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.MEMBER,  # unknown users are plain members
    ]
    admins = await bot.get_chat_administrators(GROUP)
    assert sorted(a.user.id for a in admins) == [1, 2]
    chat = await bot.get_chat(GROUP)
    assert chat.type == "supergroup"
    assert len(server.calls("getChatMember")) == 4


async def test_429_is_a_retry_after(server: BotApiServer, bot: telegram.Bot) -> None:
    server.add_chat(PRIVATE)
    server.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(PRIVATE, "hi")
    retry_after = caught.value.retry_after  # int, or timedelta with PTB_TIMEDELTA set
    assert (retry_after if isinstance(retry_after, int) else retry_after.total_seconds()) == 3
    assert (await bot.send_message(PRIVATE, "hi")).text == "hi"
    assert [c.status for c in server.calls("sendMessage")] == [429, 200]
    assert len(server.sent_messages(PRIVATE)) == 1


async def test_5xx_and_dropped_connections(server: BotApiServer, bot: telegram.Bot) -> None:
    server.add_chat(PRIVATE)
    server.fail_next("sendMessage", 502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(PRIVATE, "hi")
    server.drop_connection_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(PRIVATE, "hi")
    assert (await bot.send_message(PRIVATE, "hi")).text == "hi"


async def test_get_file_and_download(server: BotApiServer, bot: telegram.Bot) -> None:
    content = "Ein Artikel über Züge.\n".encode() * 100
    message = server.push_message(
        PRIVATE, document=("artikel.txt", "text/plain", content), caption="bitte"
    )
    file = await bot.get_file(message["document"]["file_id"])
    assert file.file_size == len(content)
    assert bytes(await file.download_as_bytearray()) == content
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_send_document_is_stored(server: BotApiServer, bot: telegram.Bot) -> None:
    server.add_chat(PRIVATE)
    sent = await bot.send_document(
        PRIVATE,
        b"full text",
        filename="translation.en.txt",
        caption="<i>Full</i>",
        parse_mode=ParseMode.HTML,
    )
    assert sent.document is not None and sent.caption == "Full"
    [message] = server.sent_messages(PRIVATE)
    assert message.document is not None
    assert message.document.file_name == "translation.en.txt"
    assert message.document.content == b"full text"


@pytest.mark.parametrize(
    "text",
    ["<b>unclosed", "a < b", "<script>x</script>", "<b><i>x</b></i>", "Tom & Jerry", "&nbsp;"],
)
async def test_invalid_html_is_rejected(server: BotApiServer, bot: telegram.Bot, text: str) -> None:
    server.add_chat(PRIVATE)
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(PRIVATE, text, parse_mode=ParseMode.HTML)
    assert server.sent_messages() == []


async def test_long_message_is_rejected(server: BotApiServer, bot: telegram.Bot) -> None:
    server.add_chat(PRIVATE)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(PRIVATE, "x" * 4097)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(PRIVATE, "🎉" * 2049)  # 4098 UTF-16 units
    assert (await bot.send_message(PRIVATE, "🎉" * 2048)).text == "🎉" * 2048
    assert await bot.send_message(PRIVATE, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")


async def test_edits_callbacks_and_deletes(server: BotApiServer, bot: telegram.Bot) -> None:
    server.add_chat(PRIVATE)
    sent = await bot.send_message(PRIVATE, "Fetching the article…")
    edited = await bot.edit_message_text("Summarizing…", PRIVATE, sent.message_id)
    assert isinstance(edited, telegram.Message) and edited.text == "Summarizing…"
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Summarizing…", PRIVATE, sent.message_id)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="done|x")]])
    await bot.edit_message_reply_markup(PRIVATE, sent.message_id, reply_markup=markup)
    assert server.message_text(PRIVATE, sent.message_id) == "Summarizing…"

    query = server.push_callback_query(PRIVATE, PRIVATE, "done|x", sent.message_id)
    [update] = await bot.get_updates()
    assert update.callback_query is not None and update.callback_query.data == "done|x"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query["id"], text="Settings saved")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query["id"])

    assert await bot.delete_message(PRIVATE, sent.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("x", PRIVATE, sent.message_id)
    assert server.sent_messages(PRIVATE) == []
    assert server.sent_messages(PRIVATE, include_deleted=True)[0].edits == 2


async def test_overlong_callback_data_is_rejected(server: BotApiServer, bot: telegram.Bot) -> None:
    server.add_chat(PRIVATE)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(PRIVATE, "menu", reply_markup=markup)


async def test_commands_webhook_and_migration(server: BotApiServer, bot: telegram.Bot) -> None:
    await bot.set_my_commands([("start", "Start the bot"), ("help", "Help")], language_code="de")
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["start", "help"]
    assert server.commands(language_code="de")[1]["description"] == "Help"
    assert await bot.delete_my_commands(language_code="de")
    assert await bot.get_my_commands(language_code="de") == ()

    assert await bot.set_webhook("https://example.invalid/hook")
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(telegram.error.Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook()

    server.push_message(-5, "hi", chat_type="group")
    server.push_message(-5, None, migrate_to_chat_id=-1009)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-5, "hello")
    assert caught.value.new_chat_id == -1009
    assert (await bot.send_message(-1009, "hello")).chat.type == "supergroup"
    kinds = [u.message.migrate_from_chat_id for u in await bot.get_updates() if u.message]
    assert kinds[-1] == -5


async def test_webhook_delivery_with_secret(server: BotApiServer, bot: telegram.Bot) -> None:
    received: asyncio.Queue[tuple[dict[str, Any], str | None]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((await request.json(), request.headers.get(SECRET_HEADER)))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        await bot.set_webhook(f"http://{host}:{port}/hook", secret_token="s3cret")
        server.push_message(PRIVATE, "via webhook")
        update, secret = await asyncio.wait_for(received.get(), 5)
        assert update["message"]["text"] == "via webhook" and secret == "s3cret"
    finally:
        await runner.cleanup()


def test_thread_mode_serves_a_bot_from_another_loop() -> None:
    with BotApiServer() as server:
        server.push_message(PRIVATE, "hello from a thread")

        async def fetch() -> tuple[Update, ...]:
            async with make_bot(server) as client:
                return await client.get_updates(timeout=2)

        [update] = asyncio.run(fetch())
        assert update.message is not None and update.message.text == "hello from a thread"
        server.wait_for_blocking("getUpdates", timeout=1)


async def test_a_real_application_polls_replies_and_survives_a_429(server: BotApiServer) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>Welcome</b>")

    application = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(f"{server.base_url}/bot")
        .base_file_url(f"{server.base_url}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=2))
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    server.fail_next("sendMessage", 429, retry_after=1)
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=1))
        await application.start()
        server.push_message(PRIVATE, "/start")
        reply = await server.wait_for("sendMessage", lambda c: c.status == 200, timeout=10)
        await application.updater.stop()
        await application.stop()
    assert reply.params["text"] == "<b>Welcome</b>"
    assert [c.status for c in server.calls("sendMessage")] == [429, 200]
