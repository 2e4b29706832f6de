"""Chosen "Summarizing…" placeholders (inline mode) as durable jobs, like requests.

The job (kind ``inline``) carries the inline message to edit, the placeholder's language, the
user and the link, so its only answer, an edit of that message, still comes after a restart
(the embedded mode resumes it with the other unfinished jobs) and from a worker (the scaled
mode's ingress admits it with the shared limits and queues it; a summary already cached is put
in the message at the ingress, no worker needed). An edit that changes nothing counts as done,
so a retry never shows anything twice.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.errors import StorageError
from bot.core.job_marks import mark_job
from bot.core.ports import ChatPort, FilePort, InlineMessagePort
from bot.core.queued import QueuedIntake, delivery_key
from bot.core.records import Job
from bot.core.requests import (
    INLINE_JOB,
    InlineRequest,
    inline_request_from_payload,
    request_to_payload,
)
from bot.core.service import BriefService, Outcome, Refused
from bot.core.views import Failure, Refusal, RefusalReason, RestartApology, SummaryView, View
from translation import Algorithm, BriefbotError, PreparedDocument, SummaryOptions

log = logging.getLogger(__name__)


class InlineJobs:
    """Records, runs, queues and resumes the jobs of chosen inline placeholders."""

    def __init__(self, service: BriefService) -> None:
        self._service = service

    def register(self) -> None:
        """Let restarts and workers resume inline jobs (``BriefService.resume``)."""
        self._service.resumers[INLINE_JOB] = self.resume

    async def start(self, request: InlineRequest, chat: ChatPort) -> None:
        """Admit (rate limits, bounded queue), record and do the job here, or queue it for a
        worker in the scaled mode; a refusal, or a job that cannot be recorded, is said in the
        inline message at once."""
        service = self._service
        if service.intake is not None:
            await self._queue(request, chat, service.intake)
            return
        dest = request.destination
        try:
            async with service.admitted(dest.chat_id, dest.user_id):
                job_id = await service.storage.jobs.create_job(
                    dest.chat_id, dest.user_id, None, INLINE_JOB, request_to_payload(request)
                )
                await self._run(job_id, request, chat)
        except Refused as exc:
            await self._refuse(request, exc.reason, chat)
        except StorageError as exc:
            log.error("Cannot record an inline job: %s", exc.message)
            await _edit(chat, request, Failure(exc, request.ui))

    async def _queue(self, request: InlineRequest, chat: ChatPort, intake: QueuedIntake) -> None:
        """The scaled mode's ingress: a redelivered update is dropped, a cache hit answered
        here, anything else recorded and queued in one transaction (the worker edits)."""
        service = self._service
        dest = request.destination
        key = delivery_key.get()
        try:
            if not await intake.admit(request, key):
                return
            view = await service.cached_summary(dest.chat_id, request.source, request.ui)
            if view is not None:
                await _edit(chat, request, view)
                hit = Outcome("inline", outcome="inline:done", cache_hit=True)
                await service.record(dest.chat_id, hit)
                return
            job_id = await intake.queue.enqueue(request, key=key, progress_message_id=None)
        except Refused as exc:
            await self._refuse(request, exc.reason, chat)
            return
        except StorageError as exc:
            log.error("Cannot queue an inline job: %s", exc.message)
            await _edit(chat, request, Failure(exc, request.ui))
            return
        log.info("Queued inline job %s for user %s", job_id, dest.user_id)

    async def resume(self, job: Job, chat: ChatPort) -> None:
        """Run a recorded inline job (again) after a restart or in a worker; one started too
        often gets the restart apology in its message instead."""
        try:
            request = inline_request_from_payload(job.payload)
        except (KeyError, TypeError, ValueError):
            log.error("Inline job %s has an unreadable payload; giving it up", job.id)
            await self._mark(job.id, "apologized")
            return
        if job.exhausted:
            await _edit(chat, request, RestartApology(request.ui))
            await self._mark(job.id, "apologized")
            return
        dest = request.destination
        async with self._service.admitted(dest.chat_id, dest.user_id, force=True):
            await self._run(job.id, request, chat)

    async def _run(self, job_id: int, request: InlineRequest, chat: ChatPort) -> None:
        """Do the work and edit the message; the job is finished right after the edit (a
        cancellation, i.e. shutdown, leaves it unfinished for the next start)."""
        if not await self._service.storage.jobs.mark_running(job_id):
            return  # already answered, e.g. by a run that finished just before a restart
        answer = await self.work(request, chat)
        await _edit(chat, request, answer)
        if isinstance(answer, Failure):
            await self._mark(job_id, "failed", f"{type(answer.error).__name__}: {answer.error}")
        else:
            await self._mark(job_id, "done")

    async def work(self, request: InlineRequest, files: FilePort) -> SummaryView | Failure:
        """The summary in the user's settings, in a worker slot and within the job timeout,
        cached like a request's; any failure becomes the Failure that says why. The outcome
        is counted in the statistics."""
        service = self._service
        outcome = Outcome("inline", outcome="inline:done")
        answer: SummaryView | Failure
        try:
            async with service.line.turn():
                answer = await self._summary(request, files)
            outcome.cache_hit = answer.cache_hit
            outcome.timings_ms.update(answer.timings_ms)
        except Exception as exc:  # the message says why, whatever it was, as a request's would
            expected = isinstance(exc, BriefbotError | StorageError | TimeoutError)
            log.log(
                logging.INFO if expected else logging.ERROR, "An inline summary failed: %r", exc
            )
            outcome.outcome = f"error:{getattr(exc, 'kind', type(exc).__name__)}"
            answer = Failure(exc, request.ui)
        await service.record(request.destination.chat_id, outcome)
        return answer

    async def _summary(self, request: InlineRequest, files: FilePort) -> SummaryView:
        service = self._service
        source = request.source
        settings = await service.settings(request.destination.chat_id)
        options = SummaryOptions(
            settings.summary_sentences, algorithm=Algorithm(settings.algorithm)
        )

        async def document() -> PreparedDocument:
            return await service.prepare(source, files, ui=request.ui)

        async with asyncio.timeout(service.config.limits.job_timeout_seconds):
            return await service.summary_view(
                source.content_key(),
                document,
                settings.target_languages,
                options,
                show_source=settings.show_source,
                ui=request.ui,
            )

    async def _refuse(self, request: InlineRequest, reason: RefusalReason, chat: ChatPort) -> None:
        log.info("Refused an inline job of user %s: %s", request.destination.user_id, reason)
        refused = Outcome("inline", outcome=f"refused:error.{reason}")
        await self._service.record(request.destination.chat_id, refused)
        await _edit(chat, request, Refusal(reason, request.ui))

    async def _mark(self, job_id: int, status: str, error: str = "") -> None:
        await mark_job(self._service.storage.jobs, job_id, status, error)


async def edit_expired(chat: ChatPort, inline_message_id: str, language: str, ui: str) -> None:
    """A placeholder whose parked link is gone (expired, or a forged result id)."""
    if isinstance(chat, InlineMessagePort):
        await chat.edit_inline(inline_message_id, None, language, ui)


async def _edit(chat: ChatPort, request: InlineRequest, view: View) -> None:
    if not isinstance(chat, InlineMessagePort):
        log.error("This front end cannot edit inline messages; inline job left unanswered")
        return
    if not await chat.edit_inline(request.inline_message_id, view, request.language, request.ui):
        log.info("Inline message %s is gone; nobody to tell", request.inline_message_id)
