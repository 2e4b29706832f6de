"""The scaled mode's intake: admit a request with the shared counters, show the progress message,
then record and queue the job for a worker (``JobQueue``) instead of running it here.

Exactly one answer per request: the progress message is sent before the job is queued, so a
worker (and a worker's retry after a crash) only ever edits that message. A redelivered update
(the same delivery key, also at another ingress) is recognized and creates no second job.
"""

from __future__ import annotations

import contextlib
import logging
from contextvars import ContextVar

from bot.core.errors import StorageError
from bot.core.ports import ChatPort, JobQueue, RateCounter
from bot.core.requests import InlineRequest, Request
from bot.core.service import BriefService, Refused
from bot.core.views import Failure, ProgressView

log = logging.getLogger(__name__)

#: The delivery key of the update being handled (Telegram's ``update_id``), set by the front
#: end before its handlers run; None where there is no such key (tests, the CLI).
delivery_key: ContextVar[str | None] = ContextVar("briefbot_delivery_key", default=None)


class QueuedIntake:
    """``BriefService.submit`` when workers do the work: cheap checks here, the job elsewhere."""

    def __init__(self, service: BriefService, queue: JobQueue, counters: RateCounter) -> None:
        self.service = service
        self.queue = queue
        self.counters = counters

    async def admit(self, request: Request | InlineRequest, key: str | None) -> bool:
        """False for an update delivered again (delivery ``key``: it has a job already), else
        the shared limits and the queue's bound: True, or Refused. Also for jobs queued
        elsewhere (chosen inline placeholders, ``bot.core.inline_jobs``)."""
        if key is not None and await self.queue.seen(key):
            log.info("Update %s was delivered again; it already has a job", key)
            return False
        await self._admit(request)
        return True

    async def _admit(self, request: Request | InlineRequest) -> None:
        """Refused when the user or chat is too fast (shared counters) or the queue is full."""
        dest = request.destination
        limits = self.service.config.limits
        if dest.user_id is not None and await self.counters.acquire(
            f"user:{dest.user_id}", limits.per_user_per_minute
        ):
            raise Refused("rate_limited_user")
        if await self.counters.acquire(f"chat:{dest.chat_id}", limits.per_chat_per_minute):
            raise Refused("rate_limited_chat")
        if await self.queue.waiting() >= limits.queue_size:
            raise Refused("busy")

    async def submit(self, request: Request, chat: ChatPort, *, replace: int | None = None) -> None:
        """Admit, show progress, queue; with ``replace`` (an edited request's earlier answer)
        that answer is the message the worker edits, and no progress message is sent."""
        dest = request.destination
        key = delivery_key.get()
        try:
            if not await self.admit(request, key):
                return
        except Refused as exc:
            await self.service.refuse(request, exc.reason, chat)
            return
        except StorageError as exc:
            await self._fail(request, chat, exc, None)
            return
        if replace is not None:
            await self._enqueue(request, chat, key, replace, replaced=True)
            return
        progress: int | None = None
        try:
            progress = await chat.send(
                dest.chat_id, ProgressView("working", request.ui), reply_to=dest.reply_to
            )
        except Exception:  # the worker sends its own progress message then
            log.warning("Could not show progress in chat %s", dest.chat_id, exc_info=True)
        await self._enqueue(request, chat, key, progress, replaced=False)

    async def _enqueue(
        self,
        request: Request,
        chat: ChatPort,
        key: str | None,
        progress: int | None,
        *,
        replaced: bool,
    ) -> None:
        """Record and queue the job; ``replaced``: ``progress`` is an earlier answer, which is
        never deleted (a twin delivery) nor overwritten by a failure here."""
        dest = request.destination
        try:
            job_id = await self.queue.enqueue(request, key=key, progress_message_id=progress)
        except StorageError as exc:
            await self._fail(request, chat, exc, None if replaced else progress)
            return
        if job_id is None:  # another ingress recorded the same update a moment ago
            log.info("Update %s was delivered twice at once; the other job answers", key)
            if progress is not None and not replaced:
                await chat.delete(dest.chat_id, progress)
            return
        log.info("Queued job %s for chat %s", job_id, dest.chat_id)

    async def _fail(
        self, request: Request, chat: ChatPort, exc: StorageError, progress: int | None
    ) -> None:
        dest = request.destination
        log.error("Cannot queue a job: %s", exc.message)
        if request.origin == "auto":
            if progress is not None:
                await chat.delete(dest.chat_id, progress)
            return
        with contextlib.suppress(Exception):
            await chat.deliver(
                dest.chat_id, Failure(exc, request.ui), reply_to=dest.reply_to, replace=progress
            )
