"""The core's ChatPort on the Bot API: views rendered as HTML messages with their buttons,
long translations as several messages or a file, and chat migration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor

from telegram import Bot, InlineKeyboardMarkup, InputFile, LinkPreviewOptions, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.config import LimitsConfig
from bot.core.views import SummaryView, TranslationView, View
from bot.telegram.callback_data import CallbackCodec
from bot.telegram.formatting import (
    full_translation_as_document,
    render_document_caption,
    render_full_translation,
    should_send_as_document,
)
from bot.telegram.inline_results import fulfilment_html
from bot.telegram.keyboards import result_keyboard
from bot.telegram.rendering import folded_translation_html, render_html
from translation import InputError, LimitExceededError

log = logging.getLogger(__name__)

MigrationHook = Callable[[int, int], Awaitable[None]]
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: The quiet "on it" for group requests (one of the reactions Telegram allows bots).
ACKNOWLEDGE_REACTION = "👀"


def _reply(reply_to: int | None) -> ReplyParameters | None:
    return ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None


class TelegramChat:
    """Sends through ``bot``; buttons are signed for each chat by ``codec``."""

    def __init__(
        self,
        bot: Bot,
        codec: CallbackCodec,
        on_migrate: MigrationHook,
        limits: LimitsConfig,
        executor: Executor | None = None,
    ) -> None:
        self._bot = bot
        self._codec = codec
        self._on_migrate = on_migrate
        self._limits = limits
        self._executor = executor
        #: Users whose private chats also get operator hints (what to install).
        self.owners: frozenset[int] = frozenset()

    def _render(self, chat_id: int, view: View) -> str:
        """Owners' private chats (chat id = user id) also get operator hints (what to install)."""
        return render_html(view, self._limits, operator=chat_id in self.owners)

    def _markup(self, chat_id: int, view: View) -> InlineKeyboardMarkup | None:
        if isinstance(view, SummaryView):
            return result_keyboard(view.menu, chat_id, self._codec)
        return None

    async def _migrated(self, exc: ChatMigrated, chat_id: int) -> int:
        log.info("Chat %s migrated to %s", chat_id, exc.new_chat_id)
        await self._on_migrate(chat_id, exc.new_chat_id)
        return exc.new_chat_id

    # -- ChatPort --------------------------------------------------------------------------

    async def typing(self, chat_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await self._bot.send_chat_action(chat_id, ChatAction.TYPING)

    async def acknowledge(self, chat_id: int, message_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await self._bot.set_message_reaction(chat_id, message_id, ACKNOWLEDGE_REACTION)

    async def send(self, chat_id: int, view: View, *, reply_to: int | None = None) -> int:
        html = self._render(chat_id, view)
        return await self.send_html(chat_id, html, self._markup(chat_id, view), reply_to=reply_to)

    async def edit(self, chat_id: int, message_id: int, view: View) -> bool:
        html = self._render(chat_id, view)
        return await self.edit_html(chat_id, message_id, html, self._markup(chat_id, view))

    async def deliver(
        self, chat_id: int, view: View, *, reply_to: int | None, replace: int | None
    ) -> int | None:
        if isinstance(view, TranslationView):
            return await self._deliver_translation(chat_id, view, reply_to, replace)
        html = self._render(chat_id, view)
        return await self._put(chat_id, html, self._markup(chat_id, view), reply_to, replace)

    async def delete(self, chat_id: int, message_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await self._bot.delete_message(chat_id, message_id)

    async def download(self, file_id: str, max_bytes: int) -> bytes:
        try:
            file = await self._bot.get_file(file_id)
        except BadRequest as exc:
            # Telegram refuses getFile past 20 MB ("file is too big").
            if "too big" in exc.message.lower():
                raise LimitExceededError(
                    f"That file is too large; the limit is {max_bytes:,} bytes.",
                    limit="max_file_bytes",
                ) from None
            raise InputError("I could not download that file; please send it again.") from None
        if file.file_size is not None and file.file_size > max_bytes:
            raise LimitExceededError(
                f"That file is {file.file_size:,} bytes; the limit is {max_bytes:,} bytes.",
                limit="max_file_bytes",
            )
        data = bytes(await file.download_as_bytearray())
        if len(data) > max_bytes:
            raise LimitExceededError(
                f"That file is {len(data):,} bytes; the limit is {max_bytes:,} bytes.",
                limit="max_file_bytes",
            )
        return data

    # -- InlineMessagePort ------------------------------------------------------------------

    async def edit_inline(
        self, inline_message_id: str, view: View | None, language: str, ui: str
    ) -> bool:
        html = fulfilment_html(view, language, self._limits, ui)
        try:
            await self._bot.edit_message_text(
                html,
                inline_message_id=inline_message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True  # a retry of an edit that already went out
            log.info("Cannot edit inline message %s: %s", inline_message_id, exc.message)
            return False
        except Forbidden as exc:
            log.info("Cannot edit inline message %s: %s", inline_message_id, exc)
            return False
        return True

    # -- HTML messages -----------------------------------------------------------------------

    async def _put(
        self,
        chat_id: int,
        html: str,
        markup: InlineKeyboardMarkup | None,
        reply_to: int | None,
        replace: int | None,
    ) -> int:
        """Edit message ``replace`` into ``html``, or send it when that is not possible."""
        if replace is not None and await self.edit_html(chat_id, replace, html, markup):
            return replace
        return await self.send_html(chat_id, html, markup, reply_to=reply_to)

    async def _deliver_translation(
        self, chat_id: int, view: TranslationView, reply_to: int | None, replace: int | None
    ) -> int | None:
        loop = asyncio.get_running_loop()  # rendering a long text is CPU work: off the loop
        parts = await loop.run_in_executor(
            self._executor, render_full_translation, view.translation, view.ui
        )
        if should_send_as_document(parts):
            filename, data = full_translation_as_document(view.translation)
            caption = render_document_caption(view.translation, view.ui)
            await self.send_document(chat_id, filename, data, caption=caption, reply_to=reply_to)
            if replace is not None:
                await self.delete(chat_id, replace)
            return None
        if len(parts) == 1 and chat_id < 0:  # groups (negative ids): folded when it fits
            parts = [folded_translation_html(parts[0], view)]
        first = await self._put(chat_id, parts[0], None, reply_to, replace)
        for part in parts[1:]:
            await self.send_html(chat_id, part, None)
        return first

    async def send_html(
        self,
        chat_id: int,
        html: str,
        markup: InlineKeyboardMarkup | None,
        *,
        reply_to: int | None = None,
    ) -> int:
        try:
            message = await self._bot.send_message(
                chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_parameters=_reply(reply_to),
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        except ChatMigrated as exc:
            new_id = await self._migrated(exc, chat_id)
            # The old message ids mean nothing in the new supergroup: no reply-to.
            return await self.send_html(new_id, html, markup)
        return message.message_id

    async def edit_html(
        self, chat_id: int, message_id: int, html: str, markup: InlineKeyboardMarkup | None
    ) -> bool:
        try:
            await self._bot.edit_message_text(
                html,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            log.info("Cannot edit message %s in %s: %s", message_id, chat_id, exc.message)
            return False
        except (ChatMigrated, Forbidden) as exc:
            log.info("Cannot edit message %s in %s: %s", message_id, chat_id, exc)
            return False
        return True

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, *, caption: str, reply_to: int | None
    ) -> int:
        try:
            message = await self._bot.send_document(
                chat_id,
                InputFile(data, filename=filename),
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_parameters=_reply(reply_to),
            )
        except ChatMigrated as exc:
            new_id = await self._migrated(exc, chat_id)
            return await self.send_document(new_id, filename, data, caption=caption, reply_to=None)
        return message.message_id
