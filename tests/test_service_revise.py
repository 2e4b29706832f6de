"""BriefService.revise on in-memory ports: an edited request redoes its answer in place, and
the job remembers that message, so a restart in the middle still edits the same answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import Core
from bot.config import Config, DefaultsConfig, ModelsConfig
from bot.core.requests import Destination, Source, SummaryRequest
from bot.core.service import BriefService
from bot.core.views import SummaryView
from tests.support.bot_harness import GERMAN_ARTICLE
from tests.support.fakes import FakeChat, MemoryStorage
from translation.models.engine import TranslationEngine

CHAT, REQUEST_MESSAGE = 555, 40
OTHER_ARTICLE = "\n\n".join(GERMAN_ARTICLE.split("\n\n")[2:])


@pytest.fixture
async def service(packages_dir: Path, engine: TranslationEngine) -> AsyncIterator[BriefService]:
    config = Config(
        models=ModelsConfig(packages_dir=packages_dir),
        defaults=DefaultsConfig(target_languages=("en",)),
    )
    async with Core(config, engine=engine, storage=MemoryStorage(), progress_delay=30.0) as core:
        yield core.service


def _request(text: str) -> SummaryRequest:
    return SummaryRequest(Destination(CHAT, REQUEST_MESSAGE, CHAT), Source("text", text))


async def test_a_revision_replaces_the_answer_and_survives_a_restart(
    service: BriefService,
) -> None:
    chat = FakeChat()
    await service.submit(_request(GERMAN_ARTICLE), chat)
    [answer] = [s for s in chat.log if s.action == "deliver"]
    assert answer.message_id is not None

    assert await service.revise(_request(GERMAN_ARTICLE + "  "), chat) is False
    assert await service.revise(_request(OTHER_ARTICLE), chat) is True
    revised = [s for s in chat.log if s.action == "deliver"][-1]
    assert revised.message_id == answer.message_id and isinstance(revised.view, SummaryView)

    storage = service.storage
    assert isinstance(storage, MemoryStorage)
    job = max(storage.jobs.jobs.values(), key=lambda j: j.id)
    assert job.progress_message_id == answer.message_id, "a resumed run edits the same answer"
    # As if the process had died during the revision: the resumed job edits that message.
    await storage.jobs.create_job(CHAT, CHAT, REQUEST_MESSAGE, "summary", job.payload)
    pending = max(storage.jobs.jobs)
    await storage.jobs.set_progress_message(pending, answer.message_id)
    restarted = FakeChat()
    assert await service.resume_unfinished(restarted) == 1
    await service.idle()
    [resumed] = [s for s in restarted.log if s.action == "deliver"]
    assert resumed.message_id == answer.message_id
