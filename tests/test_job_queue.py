"""The scaled mode's queue and intake on a real PostgreSQL with procrastinate's real schema:
recording and deferring commit together, a delivery key makes one job, auto-mode jobs queue
behind asked ones, the ingress refuses as busy past ``queue_size`` and shares rate limits."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from bot.bootstrap import Core
from bot.cli import main
from bot.config import Config, DefaultsConfig, LimitsConfig, ModelsConfig
from bot.core.queued import QueuedIntake, delivery_key
from bot.core.requests import Destination, Origin, Source, SummaryRequest
from bot.core.views import ProgressView, Refusal
from bot.storage import Storage, StorageError
from bot.storage.job_queue import (
    ASKED_PRIORITY,
    AUTO_PRIORITY,
    TASK_NAME,
    ProcrastinateQueue,
    ensure_queue_schema,
    make_app,
)
from bot.storage.postgres import PostgresDatabase
from tests.support.bot_harness import GERMAN_ARTICLE, bot_env, buttons
from tests.support.fakes import FakeChat
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import TranslationEngine

CHAT, USER = 4401, 4402


def _request(chat: int = CHAT, origin: Origin = "private", user: int = USER) -> SummaryRequest:
    return SummaryRequest(
        Destination(chat, reply_to=7, user_id=user), Source("text", "Ein Text."), origin=origin
    )


@dataclasses.dataclass
class Ingress:
    storage: Storage
    queue: ProcrastinateQueue


@pytest.fixture
async def ingresses(postgres_url: str) -> AsyncIterator[list[Ingress]]:
    """Two ingress processes' worth of storage and queue on one database."""
    opened: list[Ingress] = []
    for _ in range(2):
        storage = await Storage.open_postgres(postgres_url, pool_size=4)
        assert isinstance(storage.db, PostgresDatabase)
        await ensure_queue_schema(storage.db)
        app = make_app(postgres_url)
        await app.open_async()
        opened.append(Ingress(storage, ProcrastinateQueue(app, storage.db)))
    yield opened
    for ingress in opened:
        await ingress.queue.app.close_async()
        await ingress.storage.close()


def _queued(url: str) -> list[tuple[str, str, int, dict[str, int]]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT task_name, lock, priority, args FROM procrastinate_jobs ORDER BY id"
        ).fetchall()
    return [(task, lock, priority, args) for task, lock, priority, args in rows]


async def test_a_job_is_recorded_and_deferred_with_its_chat_lock_and_priority(
    ingresses: list[Ingress], postgres_url: str
) -> None:
    queue, storage = ingresses[0].queue, ingresses[0].storage
    asked = await queue.enqueue(_request(), key="update:1", progress_message_id=55)
    auto = await queue.enqueue(_request(origin="auto"), key="update:2", progress_message_id=None)
    assert asked is not None and auto is not None
    job = await storage.jobs.get_job(asked)
    assert job is not None and job.status == "queued" and job.progress_message_id == 55
    assert json.loads(json.dumps(job.payload))["source"]["value"] == "Ein Text."
    assert _queued(postgres_url) == [
        (TASK_NAME, f"chat:{CHAT}", ASKED_PRIORITY, {"job_id": asked}),
        (TASK_NAME, f"chat:{CHAT}", AUTO_PRIORITY, {"job_id": auto}),
    ]
    assert ASKED_PRIORITY > AUTO_PRIORITY, "procrastinate runs higher priorities first"
    assert await queue.waiting() == 2
    assert await queue.seen("update:1") and not await queue.seen("update:3")


async def test_the_same_update_at_two_ingresses_at_once_makes_one_job(
    ingresses: list[Ingress], postgres_url: str
) -> None:
    results = await asyncio.gather(
        *(
            ingress.queue.enqueue(_request(), key="update:9", progress_message_id=None)
            for ingress in ingresses
            for _ in range(3)
        )
    )
    assert sum(r is not None for r in results) == 1
    assert len(_queued(postgres_url)) == 1
    assert len(await ingresses[1].storage.jobs.unfinished_jobs()) == 1


async def test_a_job_that_cannot_be_queued_is_not_recorded_either(
    ingresses: list[Ingress], postgres_url: str
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "ALTER FUNCTION procrastinate_defer_jobs_v1(procrastinate_job_to_defer_v1[]) "
            "RENAME TO moved_away"
        )
    queue, storage = ingresses[0].queue, ingresses[0].storage
    with pytest.raises(StorageError, match="cannot queue a job"):
        await queue.enqueue(_request(), key="update:5", progress_message_id=None)
    assert await storage.jobs.unfinished_jobs() == []
    assert not await queue.seen("update:5"), "the delivery key was rolled back too"


async def test_the_queue_schema_is_created_once(postgres_url: str) -> None:
    storage = await Storage.open_postgres(postgres_url)
    try:
        assert isinstance(storage.db, PostgresDatabase)
        created = await asyncio.gather(*(ensure_queue_schema(storage.db) for _ in range(3)))
    finally:
        await storage.close()
    assert sorted(created) == [False, False, True]


# -- the intake ----------------------------------------------------------------------------------


@pytest.fixture
async def intakes(
    ingresses: list[Ingress], packages_dir: Path, engine: TranslationEngine
) -> AsyncIterator[list[QueuedIntake]]:
    config = Config(
        models=ModelsConfig(packages_dir=packages_dir),
        defaults=DefaultsConfig(target_languages=("en",)),
        limits=dataclasses.replace(LimitsConfig(), queue_size=2, per_user_per_minute=3),
    )
    cores = [Core(config, engine=engine, storage=i.storage) for i in ingresses]
    made = []
    for core, ingress in zip(cores, ingresses, strict=True):
        service = await core.start()
        service.intake = QueuedIntake(service, ingress.queue, ingress.storage.rate_limits)
        made.append(service.intake)
    yield made
    for core in cores:
        await core.close()


async def test_the_ingress_shows_progress_first_then_queues_and_refuses_past_the_queue_size(
    intakes: list[QueuedIntake],
) -> None:
    chat = FakeChat()
    for n, intake in enumerate([*intakes, intakes[0]]):
        delivery_key.set(f"update:{n}")
        await intake.service.submit(_request(user=USER + n), chat)
    sent = [(s.action, s.view) for s in chat.log]
    assert [type(view) for _action, view in sent] == [ProgressView, ProgressView, Refusal]
    assert isinstance(sent[2][1], Refusal) and sent[2][1].reason == "busy"
    jobs = await intakes[1].service.storage.jobs.unfinished_jobs()
    assert [job.progress_message_id for job in jobs] == [
        chat.log[0].message_id,
        chat.log[1].message_id,
    ]


async def test_a_redelivered_update_is_ignored_and_rate_limits_hold_across_ingresses(
    intakes: list[QueuedIntake],
) -> None:
    chat = FakeChat()
    delivery_key.set("update:1")
    await intakes[0].service.submit(_request(), chat)
    await intakes[1].service.submit(_request(), chat)  # Telegram delivered it again
    assert len(chat.log) == 1 and isinstance(chat.log[0].view, ProgressView)
    for n in range(3):  # the user's 2nd-4th request in the minute, alternating ingresses
        delivery_key.set(f"update:{10 + n}")
        await intakes[n % 2].service.submit(_request(chat=CHAT + 1 + n), chat)
    refusals = [s.view for s in chat.log if isinstance(s.view, Refusal)]
    assert [r.reason for r in refusals] == ["busy", "rate_limited_user"]


def _job_statuses(url: str) -> list[tuple[str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT status FROM jobs").fetchall()


async def test_briefbot_run_on_postgresql_is_ingress_and_worker_in_one_process(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, postgres_url: str
) -> None:
    async with bot_env(tmp_path, packages_dir, engine, storage={"url": postgres_url}) as env:
        shown = await env.ask(CHAT, GERMAN_ARTICLE, user_id=CHAT)
        assert [parse_telegram_html(m.text or "") for m in shown] == ["Working on it…"]

        def answered() -> bool:  # the final answer carries its buttons (a live one does not yet)
            message = env.server.sent_messages(CHAT)[0]
            return "German (de)" in parse_telegram_html(message.text or "") and bool(
                buttons(message)
            )

        deadline = time.monotonic() + 30
        while not answered():
            assert time.monotonic() < deadline, "the in-process worker answered"
            await asyncio.sleep(0.05)
        assert len(env.server.sent_messages(CHAT)) == 1, "the progress message became the answer"
        # The job is marked done right after the answer's Bot API call returns, which can be
        # a retry later than the chat shows the answer: wait for that before stopping the bot.
        while _job_statuses(postgres_url) != [("done",)]:
            assert time.monotonic() < deadline, _job_statuses(postgres_url)
            await asyncio.sleep(0.05)
    assert _job_statuses(postgres_url) == [("done",)]
    assert _queued(postgres_url) == [], "done jobs leave procrastinate's table"


def test_db_migrate_creates_the_queue_and_the_roles_need_a_postgresql_url(
    tmp_path: Path,
    postgres_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "briefbot.toml"
    config.write_text(f"[storage]\nurl = '{postgres_url}'\n", encoding="utf-8")
    assert main(["db", "migrate", "--config", str(config)]) == 0
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    assert row == (True,)
    capsys.readouterr()

    monkeypatch.setenv("BRIEFBOT_TELEGRAM_TOKEN", "123:abc")
    config.write_text(f"[storage]\npath = '{tmp_path / 'bot.sqlite3'}'\n", encoding="utf-8")
    for role in (["ingress"], ["worker", "--concurrency", "2"]):
        assert main([*role, "--config", str(config)]) == 2
        err = capsys.readouterr().err
        assert (
            err == f'briefbot: error: briefbot {role[0]} needs [storage] url = "postgresql://…"\n'
        )


async def test_an_edit_is_queued_to_replace_the_earlier_answer_even_when_delivered_twice(
    intakes: list[QueuedIntake],
) -> None:
    """An edited request's job edits the bot's earlier answer (its "progress message"): no new
    progress message, and a twin delivery at the other ingress never deletes that answer."""
    chat = FakeChat()
    delivery_key.set("update:40")
    await asyncio.gather(
        *(intake.service.submit(_request(), chat, replace=77) for intake in intakes)
    )
    assert chat.log == []
    jobs = await intakes[0].service.storage.jobs.unfinished_jobs()
    assert [job.progress_message_id for job in jobs] == [77]
