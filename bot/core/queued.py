"""The scaled mode's intake: admit a request with the shared counters, show the progress message,
then record and queue the job for a worker (``JobQueue``) instead of running it here.

Exactly one answer per request: the progress message is sent before the job is queued, so a
worker (and a worker's retry after a crash) only ever edits that message. A redelivered update
(the same delivery key, also at another ingress) is recognized and creates no second job.

A summary already in the results cache is answered here at once, with no job (the ingress keys
the cache with the models version its workers publish). The message says the place in line when
jobs wait ahead (``bot.core.positions`` keeps it up to date). Full translations asked by a
button are claimed in the shared ``FullTranslationLedger``: one per message and language.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from bot.core.errors import StorageError
from bot.core.once import OnceState
from bot.core.ports import ChatPort, FullTranslationLedger, JobQueue, RateCounter
from bot.core.requests import QueuedRequest, Request, TranslationRequest
from bot.core.service import BriefService, Outcome, Refused
from bot.core.views import Failure, ProgressView

log = logging.getLogger(__name__)

#: The delivery key of the update being handled (Telegram's ``update_id``), set by the front
#: end before its handlers run; None where there is no such key (tests, the CLI).
delivery_key: ContextVar[str | None] = ContextVar("briefbot_delivery_key", default=None)
#: The job whose answer is being delivered (a worker sets it), for ``PartsLedger``.
current_job: ContextVar[int | None] = ContextVar("briefbot_current_job", default=None)


class QueuedIntake:
    """``BriefService.submit`` when workers do the work: cheap checks here, the job elsewhere."""

    def __init__(
        self,
        service: BriefService,
        queue: JobQueue,
        counters: RateCounter,
        once: FullTranslationLedger | None = None,
    ) -> None:
        self.service = service
        self.queue = queue
        self.counters = counters
        #: Shared claims on full translations; None: presses are not deduplicated.
        self.once = once

    async def admit(self, request: QueuedRequest, key: str | None) -> bool:
        """False for an update delivered again (delivery ``key``: it has a job already), else
        the shared limits and the queue's bound: True, or Refused. Also for jobs queued
        elsewhere (chosen inline placeholders, ``bot.core.inline_jobs``)."""
        if await self._redelivered(key):
            return False
        await self._admit(request)
        return True

    async def _redelivered(self, key: str | None) -> bool:
        if key is not None and await self.queue.seen(key):
            log.info("Update %s was delivered again; it already has a job", key)
            return True
        return False

    async def _rate_limit(self, request: QueuedRequest) -> None:
        dest = request.destination
        await self.rate_limit(dest.chat_id, dest.user_id)

    async def rate_limit(self, chat_id: int, user_id: int | None) -> None:
        """Refused when the user or chat is too fast (shared counters, all ingresses)."""
        limits = self.service.config.limits
        if user_id is not None and await self.counters.acquire(
            f"user:{user_id}", limits.per_user_per_minute
        ):
            raise Refused("rate_limited_user")
        if await self.counters.acquire(f"chat:{chat_id}", limits.per_chat_per_minute):
            raise Refused("rate_limited_chat")

    async def _admit(self, request: QueuedRequest) -> None:
        """Refused when too fast, or when the queue is full."""
        await self._rate_limit(request)
        await self._make_room()

    async def _make_room(self) -> None:
        """Refused ("busy") when the queue holds as many jobs as it may."""
        if await self.queue.waiting() >= self.service.config.limits.queue_size:
            raise Refused("busy")

    async def submit(self, request: Request, chat: ChatPort, *, replace: int | None = None) -> None:
        """Admit, answer a cache hit at once, else show progress and queue; with ``replace``
        (an edited request's earlier answer) that answer is the message the worker edits (or
        the cache hit replaces), and no progress message is sent."""
        key = delivery_key.get()
        try:
            if await self._redelivered(key):
                return
            await self._rate_limit(request)
            if await self._answer_from_cache(request, chat, key, replace):
                return
            await self._make_room()
        except Refused as exc:
            await self.service.refuse(request, exc.reason, chat)
            return
        except StorageError as exc:
            await self._fail(request, chat, exc, None)
            return
        if replace is not None:
            await self._enqueue(request, chat, key, replace, position=None)
        else:
            await self._queue(request, chat, key)

    async def submit_once(
        self,
        request: TranslationRequest,
        chat: ChatPort,
        accepted: Callable[[], Awaitable[None]],
    ) -> OnceState | None:
        """``BriefService.submit_once`` across processes: the first press claims the message
        and language in shared storage; a later press (at any ingress) gets the claim's state
        and nothing is sent; a refused press raises Refused (the button's pop-up)."""
        try:
            return await self._submit_once(request, chat, accepted)
        except StorageError as exc:
            await self._fail(request, chat, exc, None)
            return None

    async def _submit_once(
        self,
        request: TranslationRequest,
        chat: ChatPort,
        accepted: Callable[[], Awaitable[None]],
    ) -> OnceState | None:
        dest = request.destination
        key = delivery_key.get()
        if await self._redelivered(key):
            return None
        claim = None if self.once is None or dest.reply_to is None else dest.reply_to
        if claim is not None and self.once is not None:
            earlier = await self.once.claim(dest.chat_id, claim, request.target)
            if earlier is not None:
                return earlier
        queued = False
        try:
            await self._admit(request)
            await accepted()
            queued = await self._queue(request, chat, key)
        except Refused as exc:
            await self.service.record(
                dest.chat_id, Outcome(request.kind, outcome=f"refused:error.{exc.reason}")
            )
            raise
        finally:
            if not queued and claim is not None and self.once is not None:
                with contextlib.suppress(StorageError):
                    await self.once.settle(dest.chat_id, claim, request.target, posted=False)
        return None

    async def _answer_from_cache(
        self, request: Request, chat: ChatPort, key: str | None, replace: int | None = None
    ) -> bool:
        """Answer a summary that is in the results cache here and now (in place of message
        ``replace`` when given), claiming the delivery ``key`` first; False on a miss."""
        queue = self.queue
        claim = None if key is None else (lambda: queue.claim_key(key))
        return await self.service.answer_from_cache(request, chat, replace, claim)

    async def _queue(self, request: Request, chat: ChatPort, key: str | None) -> bool:
        """Show progress (or the place in line), then record and queue the job; True when
        this call queued it."""
        dest = request.destination
        position = 0
        with contextlib.suppress(StorageError):  # the place is a hint; the job matters
            ahead = await self.queue.ahead(auto=request.origin == "auto")
            position = ahead + 1 if ahead else 0
        view = ProgressView("queued", request.ui, position=position) if position else None
        progress: int | None = None
        try:
            progress = await chat.send(
                dest.chat_id, view or ProgressView("working", request.ui), reply_to=dest.reply_to
            )
        except Exception:  # the worker sends its own progress message then
            log.warning("Could not show progress in chat %s", dest.chat_id, exc_info=True)
        return await self._enqueue(request, chat, key, progress, position=position)

    async def _enqueue(
        self,
        request: Request,
        chat: ChatPort,
        key: str | None,
        progress: int | None,
        *,
        position: int | None,
    ) -> bool:
        """Record and queue the job; True when this call queued it. ``position`` None:
        ``progress`` is an earlier answer (an edited request), which is never deleted (a twin
        delivery), overwritten by a failure here, nor shown a place in line."""
        dest = request.destination
        replaced = position is None
        try:
            job_id = await self.queue.enqueue(
                request, key=key, progress_message_id=progress, position=position
            )
        except StorageError as exc:
            await self._fail(request, chat, exc, None if replaced else progress)
            return False
        if job_id is None:  # another ingress recorded the same update a moment ago
            log.info("Update %s was delivered twice at once; the other job answers", key)
            if progress is not None and not replaced:
                await chat.delete(dest.chat_id, progress)
            return False
        log.info("Queued job %s for chat %s", job_id, dest.chat_id)
        return True

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
