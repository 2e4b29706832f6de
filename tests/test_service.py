"""BriefService on its own: in-memory fakes of its ports (no HTTP, no PTB), the real pipeline
with the tiny CTranslate2 test packages."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import Core
from bot.config import Config, DefaultsConfig, LimitsConfig, ModelsConfig
from bot.core.requests import (
    Destination,
    Origin,
    Source,
    SummaryRequest,
    TranslationRequest,
    request_to_payload,
)
from bot.core.service import BriefService, Refused, ResultExpired
from bot.core.views import (
    Failure,
    ProgressView,
    Refusal,
    RestartApology,
    SummaryView,
    TranslationView,
)
from tests.support.bot_harness import GERMAN_ARTICLE
from tests.support.fakes import FakeChat, MemoryStorage
from translation.errors import NoTextError
from translation.models.engine import TranslationEngine

CHAT, USER = 555, 777


def _config(packages_dir: Path, **limits: int) -> Config:
    return Config(
        models=ModelsConfig(packages_dir=packages_dir),
        defaults=DefaultsConfig(target_languages=("en",)),
        limits=dataclasses.replace(LimitsConfig(), **limits),
    )


@pytest.fixture
def storage() -> MemoryStorage:
    return MemoryStorage()


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()


@pytest.fixture
def limits(request: pytest.FixtureRequest) -> dict[str, int]:
    """``[limits]`` overrides; tests set them with ``parametrize(..., indirect=True)``."""
    overrides: dict[str, int] = getattr(request, "param", {})
    return overrides


@pytest.fixture
async def service(
    packages_dir: Path, engine: TranslationEngine, storage: MemoryStorage, limits: dict[str, int]
) -> AsyncIterator[BriefService]:
    config = _config(packages_dir, **limits)
    async with Core(config, engine=engine, storage=storage, progress_delay=30.0) as core:
        yield core.service
    assert not storage.closed, "a storage passed in is left open"


def _summary(
    text: str = GERMAN_ARTICLE, *, user: int | None = USER, origin: Origin = "private"
) -> SummaryRequest:
    return SummaryRequest(
        Destination(CHAT, reply_to=9, user_id=user), Source("text", text), ui="en", origin=origin
    )


def _answers(chat: FakeChat) -> list[SummaryView]:
    return [v for v in chat.views("deliver") if isinstance(v, SummaryView)]


async def test_a_request_is_answered_once_and_its_job_finished(
    service: BriefService, chat: FakeChat, storage: MemoryStorage
) -> None:
    await service.submit(_summary(), chat)
    (view,) = _answers(chat)
    assert view.result.source_language == "de"
    assert set(view.result.summaries) == {"de", "en"}
    assert len(view.result.summaries["en"]) == 3
    assert view.menu.sentences == 3 and view.menu.can_shorter and view.menu.can_longer
    assert view.menu.targets == ("en",) and not view.cache_hit
    (job,) = storage.jobs.jobs.values()
    assert (job.status, job.attempts) == ("done", 1)
    assert storage.stats.records == [(CHAT, "summary", "ok", False)]


async def test_the_same_text_again_comes_from_the_cache(
    service: BriefService, chat: FakeChat, storage: MemoryStorage
) -> None:
    await service.submit(_summary(), chat)
    await service.submit(_summary(GERMAN_ARTICLE.replace("\n\n", "\n\n\n")), chat)
    first, second = _answers(chat)
    assert second.cache_hit and second.result.summaries == first.result.summaries
    assert [r[3] for r in storage.stats.records] == [False, True]


async def test_the_cache_key_follows_the_chats_targets_algorithm_and_length(
    service: BriefService, chat: FakeChat
) -> None:
    await service.submit(_summary(), chat)
    await service.change_settings(CHAT, target_languages=("en", "fr"))
    await service.submit(_summary(), chat)
    await service.change_settings(CHAT, algorithm="lexrank")
    await service.submit(_summary(), chat)
    await service.change_settings(CHAT, summary_sentences=2)
    await service.submit(_summary(), chat)
    first, with_french, lexrank, shorter = _answers(chat)
    assert "fr" not in first.result.summaries
    assert not with_french.cache_hit and "fr" in with_french.result.summaries
    assert not lexrank.cache_hit and lexrank.result.algorithm == "lexrank"
    assert not shorter.cache_hit and len(shorter.result.summaries["en"]) == 2


@pytest.mark.parametrize("limits", [{"per_user_per_minute": 1}], indirect=True)
async def test_a_user_over_the_rate_limit_is_refused_with_the_reason(
    service: BriefService, chat: FakeChat, storage: MemoryStorage
) -> None:
    await service.submit(_summary(), chat)
    await service.submit(_summary(), chat)
    refusal = chat.views("send")[-1]
    assert refusal == Refusal("rate_limited_user", "en")
    assert storage.stats.records[-1][2] == "refused:error.rate_limited_user"
    assert len(storage.jobs.jobs) == 1, "a refused request records no job"


@pytest.mark.parametrize("limits", [{"per_chat_per_minute": 1}], indirect=True)
async def test_a_busy_chat_is_refused_and_an_unasked_request_stays_silent(
    service: BriefService, chat: FakeChat
) -> None:
    await service.submit(_summary(), chat)
    await service.submit(_summary(user=None, origin="auto"), chat)
    assert not any(isinstance(v, Refusal) for v in chat.views()), "auto mode is silent"
    await service.submit(_summary(user=None), chat)
    assert chat.views("send")[-1] == Refusal("rate_limited_chat", "en")


@pytest.mark.parametrize("limits", [{"queue_size": 1}], indirect=True)
async def test_a_full_queue_refuses_as_busy(service: BriefService, chat: FakeChat) -> None:
    async with service.admitted(CHAT + 1, USER + 1):
        await service.submit(_summary(), chat)
    assert chat.views("send") == [Refusal("busy", "en")]
    await service.submit(_summary(), chat)
    assert len(_answers(chat)) == 1, "the place is free again"


async def test_a_failure_is_delivered_as_data_and_the_job_marked_failed(
    service: BriefService, chat: FakeChat, storage: MemoryStorage
) -> None:
    await service.submit(_summary("lol " * 200), chat)
    (failure,) = chat.views("deliver")
    assert isinstance(failure, Failure) and isinstance(failure.error, NoTextError)
    (job,) = storage.jobs.jobs.values()
    assert job.status == "failed" and job.error
    assert storage.stats.records[-1][2] == "error:input"


async def test_an_unasked_failure_removes_its_progress_message_silently(
    service: BriefService, chat: FakeChat
) -> None:
    service.progress_delay = 0.0
    await service.submit(_summary("lol " * 200, user=None, origin="auto"), chat)
    assert not chat.views("deliver")
    shown = [s for s in chat.log if s.action in ("send", "delete")]
    assert [s.action for s in shown] in ([], ["send", "delete"])


async def test_progress_is_shown_then_replaced_by_the_answer(
    service: BriefService, chat: FakeChat
) -> None:
    service.progress_delay = 0.0
    await service.submit(_summary(), chat)
    sends = [s for s in chat.log if s.action == "send"]
    assert sends and all(isinstance(s.view, ProgressView) for s in sends)
    (progress_id,) = {s.message_id for s in sends}
    delivered = [s for s in chat.log if s.action == "deliver"]
    assert len(delivered) == 1 and delivered[0].message_id == progress_id


async def test_resume_after_a_restart_answers_once_in_the_progress_message(
    service: BriefService, chat: FakeChat, storage: MemoryStorage
) -> None:
    request = _summary()
    job_id = await storage.jobs.create_job(CHAT, USER, 9, "summary", request_to_payload(request))
    await storage.jobs.mark_running(job_id)  # the process died mid-job
    await storage.jobs.set_progress_message(job_id, 4242)
    assert await service.resume_unfinished(chat) == 1
    await service.idle()
    (delivered,) = [s for s in chat.log if s.action == "deliver"]
    assert isinstance(delivered.view, SummaryView) and delivered.message_id == 4242
    assert storage.jobs.jobs[job_id].status == "done"
    assert await service.resume_unfinished(chat) == 0, "nothing is answered twice"


async def test_a_job_that_keeps_dying_gets_an_apology(
    service: BriefService, chat: FakeChat, storage: MemoryStorage
) -> None:
    job_id = await storage.jobs.create_job(CHAT, USER, 9, "summary", request_to_payload(_summary()))
    for _ in range(2):
        await storage.jobs.mark_running(job_id)
    unreadable = await storage.jobs.create_job(CHAT, USER, 10, "summary", {"kind": "?"})
    await service.resume_unfinished(chat)
    await service.idle()
    assert chat.views("deliver") == [RestartApology("en"), RestartApology("en")]
    assert storage.jobs.jobs[job_id].status == "apologized"
    assert storage.jobs.jobs[unreadable].status == "apologized"


async def test_buttons_resize_from_the_cached_document(
    service: BriefService, chat: FakeChat
) -> None:
    await service.submit(_summary(), chat)
    (view,) = _answers(chat)
    shorter = await service.resize(CHAT, USER, view.menu.doc_key, 2, False, "en")
    assert shorter.menu.sentences == 2 and len(shorter.result.summaries["en"]) == 2
    original = await service.resize(CHAT, USER, view.menu.doc_key, 3, True, "en")
    assert original.show_source and original.cache_hit
    with pytest.raises(ResultExpired):
        await service.resize(CHAT, USER, "0" * 16, 3, False, "en")


@pytest.mark.parametrize("limits", [{"per_user_per_minute": 2}], indirect=True)
async def test_buttons_are_admitted_like_requests(service: BriefService, chat: FakeChat) -> None:
    await service.submit(_summary(), chat)
    doc_key = _answers(chat)[0].menu.doc_key
    await service.resize(CHAT, USER, doc_key, 2, False, "en")
    with pytest.raises(Refused) as refused:
        await service.resize(CHAT, USER, doc_key, 1, False, "en")
    assert refused.value.reason == "rate_limited_user"


async def test_full_translation_of_a_summarized_document(
    service: BriefService, chat: FakeChat, storage: MemoryStorage
) -> None:
    await service.submit(_summary(), chat)
    doc_key = _answers(chat)[0].menu.doc_key
    request = TranslationRequest(Destination(CHAT, 11, USER), "fr", ui="en", doc_key=doc_key)
    await service.submit(request, chat)
    translation = chat.views("deliver")[-1]
    assert isinstance(translation, TranslationView)
    assert translation.translation.target_language == "fr"
    assert translation.translation.pivot == "en"
    assert translation.translation.paragraphs
    assert [job.status for job in storage.jobs.jobs.values()] == ["done", "done"]


async def test_a_full_translation_of_an_expired_document_fails_politely(
    service: BriefService, chat: FakeChat
) -> None:
    request = TranslationRequest(Destination(CHAT, 11, USER), "en", ui="en", doc_key="f" * 16)
    await service.submit(request, chat)
    (failure,) = chat.views("deliver")
    assert isinstance(failure, Failure) and isinstance(failure.error, ResultExpired)


async def test_a_file_is_read_through_the_file_port(service: BriefService) -> None:
    chat = FakeChat(files={"file-1": GERMAN_ARTICLE.encode("latin-1")})
    source = Source("file", "file-1", filename="artikel.txt", file_unique_id="u1")
    request = SummaryRequest(Destination(CHAT, 9, USER), source, ui="en")
    await service.submit(request, chat)
    (view,) = _answers(chat)
    assert view.result.source_language == "de"


async def test_settings_rules_and_model_installs(
    service: BriefService, tmp_path: Path, storage: MemoryStorage
) -> None:
    assert {"en", "fr"} <= service.available_targets()
    settings = await service.change_settings(CHAT, target_languages=("en", "fr"))
    assert settings.target_languages == ("en", "fr")
    (result,) = await service.install_models([str(tmp_path / "missing.argosmodel")])
    assert result.packages == () and result.error and "missing.argosmodel" in result.error
    await service.migrate_chat(CHAT, CHAT - 1)
    assert storage.migrations == [(CHAT, CHAT - 1)]
