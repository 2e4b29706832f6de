"""Inline jobs on the service alone (in-memory ports, the real pipeline with the tiny test
packages): a recorded inline job resumed after a restart edits its inline message once, in its
language; one that kept dying gets the restart apology there; an unreadable one is given up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import Core
from bot.config import Config, DefaultsConfig, ModelsConfig
from bot.core.requests import (
    INLINE_JOB,
    Destination,
    InlineRequest,
    Source,
    inline_request_from_payload,
    request_to_payload,
)
from bot.core.service import BriefService
from bot.core.views import RestartApology, SummaryView, View
from tests.support.bot_harness import GERMAN_ARTICLE
from tests.support.fakes import FakeChat, MemoryStorage
from translation.models.engine import TranslationEngine

USER = 777


class InlineChat(FakeChat):
    """The fake chat, also able to edit inline messages (records what each one shows)."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[tuple[str, View | None, str]] = []

    async def edit_inline(
        self, inline_message_id: str, view: View | None, language: str, ui: str
    ) -> bool:
        self.inline.append((inline_message_id, view, language))
        return True


@pytest.fixture
async def service(
    packages_dir: Path, engine: TranslationEngine, storage: MemoryStorage
) -> AsyncIterator[BriefService]:
    config = Config(
        models=ModelsConfig(packages_dir=packages_dir),
        defaults=DefaultsConfig(target_languages=("en",)),
    )
    async with Core(config, engine=engine, storage=storage, progress_delay=30.0) as core:
        yield core.service


@pytest.fixture
def storage() -> MemoryStorage:
    return MemoryStorage()


def _request(inline_id: str = "im7") -> InlineRequest:
    return InlineRequest(
        Destination(USER, None, USER), Source("text", GERMAN_ARTICLE), inline_id, "en", "en"
    )


async def _record(storage: MemoryStorage, request: InlineRequest) -> int:
    payload = request_to_payload(request)
    assert inline_request_from_payload(payload) == request
    return await storage.jobs.create_job(USER, USER, None, INLINE_JOB, payload)


async def test_a_resumed_inline_job_edits_its_message_once(
    service: BriefService, storage: MemoryStorage
) -> None:
    chat = InlineChat()
    job_id = await _record(storage, _request())
    await storage.jobs.mark_running(job_id)  # the process died mid-job
    assert await service.resume_unfinished(chat) == 1
    await service.idle()
    [(inline_id, view, language)] = chat.inline
    assert (inline_id, language) == ("im7", "en") and isinstance(view, SummaryView)
    assert "en" in view.result.summaries
    assert chat.log == [], "nothing else is sent anywhere"
    assert storage.jobs.jobs[job_id].status == "done"
    assert await service.resume_unfinished(chat) == 0, "nothing is answered twice"


async def test_an_inline_job_that_keeps_dying_gets_the_apology_in_its_message(
    service: BriefService, storage: MemoryStorage
) -> None:
    chat = InlineChat()
    job_id = await _record(storage, _request("im8"))
    for _ in range(2):
        await storage.jobs.mark_running(job_id)
    unreadable = await storage.jobs.create_job(USER, USER, None, INLINE_JOB, {"kind": "inline"})
    await service.resume_unfinished(chat)
    await service.idle()
    assert chat.inline == [("im8", RestartApology("en"), "en")]
    assert storage.jobs.jobs[job_id].status == "apologized"
    assert storage.jobs.jobs[unreadable].status == "apologized"
    assert chat.log == []


def test_an_inline_payload_of_another_kind_is_not_read_as_one() -> None:
    data = request_to_payload(_request()) | {"kind": "summary"}
    with pytest.raises(TypeError):
        inline_request_from_payload(data)
