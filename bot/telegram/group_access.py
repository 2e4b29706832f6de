"""Whether the bot can see a group's messages, which ``auto`` mode needs.

With Telegram's privacy mode on (the default for bots), a bot that is no admin only receives
commands, mentions and replies to it: auto mode would silently do nothing.
"""

from __future__ import annotations

import logging

from telegram import Bot, Chat

from bot.telegram.authz import ADMIN_STATUSES

log = logging.getLogger(__name__)


async def sees_group_messages(bot: Bot, chat: Chat) -> bool:
    """True if privacy mode is off (getMe) or the bot is an admin of ``chat``; True when
    Telegram cannot be asked (no false alarm)."""
    if chat.type == Chat.PRIVATE:
        return True
    try:
        me = bot.bot  # getMe's answer from start-up: privacy mode is set with @BotFather
        if me.can_read_all_group_messages:
            return True
        member = await bot.get_chat_member(chat.id, me.id)
    except Exception as exc:  # a warning is only a hint: never fail the settings menu
        log.info("Cannot tell whether I see messages in chat %s: %s", chat.id, exc)
        return True
    return member.status in ADMIN_STATUSES
