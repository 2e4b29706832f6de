"""Who may change settings, asked of the loopback Bot API with a real PTB ``Bot``.

test_bot_settings covers the same checks through the running bot; these pin each rule on its
own, so a broken rule fails one small test (and mutation testing stays fast).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, Chat, User

from bot.telegram.authz import ADMIN_STATUSES, is_owner, may_change_settings
from tests.support.bot_api_server import DEFAULT_TOKEN, BotApiServer

GROUP = -100321
OTHER_GROUP = -100654
CHANNEL = -1009876


def _user(user_id: int) -> User:
    return User(user_id, f"User {user_id}", is_bot=False)


@pytest.fixture
async def api() -> AsyncIterator[tuple[Bot, BotApiServer]]:
    async with BotApiServer() as server:
        server.add_chat(GROUP, "supergroup")
        async with Bot(DEFAULT_TOKEN, base_url=f"{server.base_url}/bot") as bot:
            yield bot, server


def test_admin_statuses_are_exactly_creator_and_administrator() -> None:
    assert frozenset({"creator", "administrator"}) == ADMIN_STATUSES


async def test_private_chat_only_its_own_user(api: tuple[Bot, BotApiServer]) -> None:
    bot, server = api
    chat = Chat(555, Chat.PRIVATE)
    assert await may_change_settings(bot, chat, _user(555)) is True
    assert await may_change_settings(bot, chat, _user(556)) is False
    assert await may_change_settings(bot, chat, None) is False
    assert server.calls("getChatMember") == [], "private chats need no lookup"


@pytest.mark.parametrize(
    ("status", "allowed"),
    [("creator", True), ("administrator", True), ("member", False), ("left", False)],
)
async def test_group_members_by_their_status_now(
    api: tuple[Bot, BotApiServer], status: str, allowed: bool
) -> None:
    bot, server = api
    server.set_member(GROUP, 7, status)
    chat = Chat(GROUP, Chat.SUPERGROUP)
    assert await may_change_settings(bot, chat, _user(7)) is allowed
    [call] = server.calls("getChatMember")
    assert (call.params["chat_id"], call.params["user_id"]) == (GROUP, 7)


async def test_sender_chat_the_group_itself_or_nothing(api: tuple[Bot, BotApiServer]) -> None:
    bot, server = api
    chat = Chat(GROUP, Chat.SUPERGROUP)
    server.set_member(GROUP, 7, "administrator")
    own = Chat(GROUP, Chat.SUPERGROUP)
    channel = Chat(CHANNEL, Chat.CHANNEL)
    other = Chat(OTHER_GROUP, Chat.SUPERGROUP)
    assert await may_change_settings(bot, chat, None, own) is True
    for foreign in (channel, other):
        assert await may_change_settings(bot, chat, _user(7), foreign) is False
    assert server.calls("getChatMember") == [], "the sender chat decides, not the user"


async def test_no_user_in_a_group_is_refused(api: tuple[Bot, BotApiServer]) -> None:
    bot, server = api
    assert await may_change_settings(bot, Chat(GROUP, Chat.SUPERGROUP), None) is False
    assert server.calls("getChatMember") == []


async def test_a_failed_lookup_refuses(
    api: tuple[Bot, BotApiServer], caplog: pytest.LogCaptureFixture
) -> None:
    bot, server = api
    server.set_member(GROUP, 7, "administrator")
    server.fail_next("getChatMember", 400, description="Bad Request: user not found")
    chat = Chat(GROUP, Chat.SUPERGROUP)
    assert await may_change_settings(bot, chat, _user(7)) is False
    [record] = [r for r in caplog.records if r.name == "bot.telegram.authz"]
    assert record.getMessage() == f"getChatMember failed in chat {GROUP}: User not found"
    assert await may_change_settings(bot, chat, _user(7)) is True, "the next lookup counts"


def test_owners() -> None:
    owners = frozenset({1, 2})
    assert is_owner(_user(1), owners) is True
    assert is_owner(_user(3), owners) is False
    assert is_owner(None, owners) is False
    assert is_owner(_user(1), frozenset()) is False
