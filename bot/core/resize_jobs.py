"""The buttons that resize a summary ("Shorter", "Longer", "Original summary"), in both modes.

Embedded, a press is admitted and done here, as before. In the scaled mode the ingress has no
models: it admits the press with the shared limits, answers it at once when the resized summary
is already in the results cache (an edit, no job), and otherwise records a job (kind
``resize``) that a worker runs: it edits the summary message in place, so a retry edits the
same message again ("message is not modified" counts as done) and never posts anything new.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.job_marks import mark_job
from bot.core.ports import ChatPort
from bot.core.queued import QueuedIntake, delivery_key
from bot.core.records import Job
from bot.core.requests import RESIZE_JOB, ResizeRequest, resize_request_from_payload
from bot.core.service import BriefService, Outcome

log = logging.getLogger(__name__)


class ResizeJobs:
    """Does, queues and runs (in a worker) the presses of the resizing buttons."""

    def __init__(self, service: BriefService) -> None:
        self._service = service

    def register(self) -> None:
        """Let workers (and restarts) run resize jobs (``BriefService.resume``)."""
        self._service.resumers[RESIZE_JOB] = self.resume

    async def press(self, request: ResizeRequest, chat: ChatPort) -> None:
        """Resize here, or queue it for a worker in the scaled mode. Raises Refused,
        ResultExpired (the document left the cache), or the pipeline's BriefbotError for the
        button's pop-up; anything raised means nothing was queued."""
        service = self._service
        dest = request.destination
        assert dest.reply_to is not None
        if service.intake is not None:
            await self._queue(request, chat, service.intake)
            return
        view = await service.resize(
            dest.chat_id,
            dest.user_id,
            request.doc_key,
            request.sentences,
            request.show_source,
            request.ui,
        )
        await chat.edit(dest.chat_id, dest.reply_to, view)

    async def _queue(self, request: ResizeRequest, chat: ChatPort, intake: QueuedIntake) -> None:
        """The scaled mode's ingress: admitted (a redelivered press does nothing), a cached
        result edited in at once, else recorded and queued in one transaction."""
        service = self._service
        dest = request.destination
        assert dest.reply_to is not None
        key = delivery_key.get()
        if not await intake.admit(request, key):
            return
        await service.cached_document(request.doc_key)  # ResultExpired: the pop-up says so
        settings = await service.settings(dest.chat_id)
        options = service.resize_options(request.sentences, settings.algorithm)
        view = await service.cached_view(
            request.doc_key, settings.target_languages, options, request.show_source, request.ui
        )
        if view is not None:
            if key is not None and not await intake.queue.claim_key(key):
                return  # the same press, delivered to another ingress at once, answers
            await chat.edit(dest.chat_id, dest.reply_to, view)
            await service.record(dest.chat_id, Outcome(RESIZE_JOB, cache_hit=True))
            return
        job_id = await intake.queue.enqueue(request, key=key, progress_message_id=None)
        log.info("Queued resize job %s for chat %s", job_id, dest.chat_id)

    async def resume(self, job: Job, chat: ChatPort) -> None:
        """Run a recorded resize job (again) in a worker. The summary stays as it was when the
        job cannot be done (gone from the cache, failed, started too often): the press is
        long answered, and the summary shown is still a true answer."""
        try:
            request = resize_request_from_payload(job.payload)
        except (KeyError, TypeError, ValueError):
            log.error("Resize job %s has an unreadable payload; giving it up", job.id)
            await self._mark(job.id, "apologized")
            return
        if job.exhausted:
            await self._mark(job.id, "apologized")
            return
        dest = request.destination
        async with self._service.admitted(dest.chat_id, dest.user_id, force=True):
            await self._run(job.id, request, chat)

    async def _run(self, job_id: int, request: ResizeRequest, chat: ChatPort) -> None:
        service = self._service
        dest = request.destination
        assert dest.reply_to is not None
        if not await service.storage.jobs.mark_running(job_id):
            return  # already done, e.g. by a run that finished just before a restart
        outcome = Outcome(RESIZE_JOB)
        try:
            async with asyncio.timeout(service.config.limits.job_timeout_seconds):
                view = await service.resized(
                    dest.chat_id,
                    request.doc_key,
                    request.sentences,
                    request.show_source,
                    request.ui,
                )
        except Exception as exc:  # the summary shown stays; the job says why it failed
            log.warning("Resize job %s failed: %r", job_id, exc)
            outcome.outcome = f"error:{getattr(exc, 'kind', type(exc).__name__)}"
            await service.record(dest.chat_id, outcome)
            await self._mark(job_id, "failed", f"{type(exc).__name__}: {exc}")
            return
        outcome.cache_hit = view.cache_hit
        outcome.timings_ms.update(view.timings_ms)
        await chat.edit(dest.chat_id, dest.reply_to, view)
        await service.record(dest.chat_id, outcome)
        await self._mark(job_id, "done")

    async def _mark(self, job_id: int, status: str, error: str = "") -> None:
        await mark_job(self._service.storage.jobs, job_id, status, error)
