"""The "working on it" message: shown only when a request takes longer than ``delay`` seconds,
updated in place as stages change, and finally replaced by the answer itself (one message)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.core.ports import ChatPort
from bot.core.views import ProgressView, View

log = logging.getLogger(__name__)


class Progress:
    """One request's progress message; ``message_id`` may come from an earlier run (resume)."""

    def __init__(
        self,
        chat: ChatPort,
        chat_id: int,
        reply_to: int | None,
        *,
        delay: float,
        edit_interval: float = 3.0,
        message_id: int | None = None,
        on_message: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self._chat = chat
        self.chat_id = chat_id
        self._reply_to = reply_to
        self._delay = delay
        self._edit_interval = edit_interval
        self._last_edit = float("-inf")
        self._deferred: asyncio.Task[None] | None = None
        self.message_id = message_id
        self._on_message = on_message
        self._view: ProgressView | None = None
        self._shown: ProgressView | None = None
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._showing = False
        self._finished = False
        self._live = False

    def start(self, view: ProgressView) -> None:
        """Begin timing; ``view`` is shown after ``delay`` unless the work is done by then."""
        self._view = view
        if self._timer is None and not self._finished:
            self._timer = asyncio.create_task(self._show_later(), name="briefbot-progress")

    async def start_now(self, view: ProgressView) -> None:
        """Show ``view`` now (over a place in line the message shows), stages as usual after."""
        self._delay = 0.0
        self.start(view)
        if self._timer is not None:
            await self._timer

    async def _show_later(self) -> None:
        await asyncio.sleep(self._delay)
        # From here on the message may be on its way: cancelling now could lose the id of a
        # message the chat has already posted, leaving it dangling next to the answer.
        self._showing = True
        await self._refresh()

    async def stage(self, view: ProgressView) -> None:
        """Switch to a new stage; updates the visible message, if there is one already.
        Places in line may change often: those edits are spaced ``edit_interval`` apart (the
        latest place wins), which keeps a chat within Telegram's edit limits."""
        self._view = view
        if self._live:
            return  # the message shows content now, not stages
        if self.message_id is None or self._timer is None or not self._timer.done():
            return
        wait = self._last_edit + self._edit_interval - asyncio.get_running_loop().time()
        if view.stage != "queued" or wait <= 0:
            await self._refresh()
        elif self._deferred is None or self._deferred.done():
            self._deferred = asyncio.create_task(self._refresh_later(wait))

    async def _refresh_later(self, wait: float) -> None:
        await asyncio.sleep(wait)
        await self._refresh()

    async def _refresh(self) -> None:
        async with self._lock:
            view = self._view
            if self._finished or self._live or view is None or view == self._shown:
                return
            try:
                await self._put(view)
                self._shown = view
                self._last_edit = asyncio.get_running_loop().time()
            except Exception:  # a progress hint must never fail the request
                log.warning("Could not show progress in chat %s", self.chat_id, exc_info=True)

    async def _put(self, view: View) -> None:
        """Send the message, or edit it when there is one (the caller holds the lock)."""
        if self.message_id is None:
            self.message_id = await self._chat.send(self.chat_id, view, reply_to=self._reply_to)
            if self._on_message is not None:
                await self._on_message(self.message_id)
        else:
            await self._chat.edit(self.chat_id, self.message_id, view)

    async def show(self, view: View) -> None:
        """Show partial content (a live answer) in the progress message now, sending it if
        there is none yet; from then on stages no longer replace it, only ``finish`` does."""
        await self._stop_timer()
        async with self._lock:
            if self._finished:
                return
            self._live = True
            try:
                await self._put(view)
            except Exception:  # a partial answer must never fail the request
                log.warning("Could not show a partial answer in %s", self.chat_id, exc_info=True)

    async def cancel(self) -> None:
        """Stop without touching the chat (shutdown: a resumed run reuses the message)."""
        await self._stop_timer()
        self._finished = True

    async def _stop_timer(self) -> None:
        """Cancel a pending delay; a message already being sent is awaited, so its id is known
        and ``finish`` replaces it instead of sending a second message."""
        if self._deferred is not None and not self._deferred.done():
            self._deferred.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._deferred
        if self._timer is None or self._timer.done():
            return
        if not self._showing:
            self._timer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._timer

    async def finish(self, view: View) -> int | None:
        """Deliver the answer in place of the progress message, or as a reply."""
        await self._stop_timer()
        async with self._lock:
            self._finished = True
            return await self._chat.deliver(
                self.chat_id, view, reply_to=self._reply_to, replace=self.message_id
            )

    async def discard(self) -> None:
        """Remove the progress message (nobody asked, so a failure stays silent)."""
        await self._stop_timer()
        async with self._lock:
            self._finished = True
            if self.message_id is not None:
                await self._chat.delete(self.chat_id, self.message_id)
                self.message_id = None
