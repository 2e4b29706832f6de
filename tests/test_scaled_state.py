"""The scaled mode's shared state on a real PostgreSQL with procrastinate's schema: places in line
by priority, a held job blocks the worker that claims it, full-translation claims are atomic
across processes, and a retried job sends only the parts of a long answer still missing."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import telegram

from bot.config import LimitsConfig
from bot.core.positions import PositionRefresher
from bot.core.queued import current_job
from bot.core.requests import Destination, Origin, Source, SummaryRequest
from bot.core.views import ProgressView, TranslationView
from bot.storage.queue_positions import PgWaitingBoard
from bot.storage.scaled_state import DeliveredParts, FullTranslationClaims, WorkerRegistry
from bot.telegram.callback_data import CallbackCodec
from bot.telegram.chat import TelegramChat
from bot.telegram.formatting import render_full_translation
from tests.support.bot_api_server import DEFAULT_TOKEN, BotApiServer
from tests.support.fakes import FakeChat
from tests.support.storage_fixtures import Ingress
from tests.support.telegram_html import parse_telegram_html
from translation import FullTranslation

CHAT = 6601


def _request(chat: int, origin: Origin = "private") -> SummaryRequest:
    return SummaryRequest(
        Destination(chat, reply_to=7, user_id=chat), Source("text", "Ein Text."), origin=origin
    )


async def test_places_in_line_follow_procrastinates_order_auto_jobs_last(
    ingresses: list[Ingress],
) -> None:
    queue = ingresses[0].queue
    jobs: dict[str, int] = {}
    order: list[tuple[str, Origin, int]] = [
        ("asked", "private", 0),
        ("auto", "auto", 0),
        ("later", "asked", 2),
    ]
    for name, origin, shown in order:
        ahead = await queue.ahead(auto=origin == "auto")
        assert ahead == {"asked": 0, "auto": 1, "later": 1}[name], name
        job = await queue.enqueue(
            _request(CHAT + len(jobs), origin), key=None, progress_message_id=50, position=shown
        )
        assert job is not None
        jobs[name] = job
    # The asked job queued after the auto one goes before it; places not shown yet are given.
    board = PgWaitingBoard(ingresses[1].db)
    moved = await board.positions(older_than=float("inf"))
    assert moved == {jobs["asked"]: 1, jobs["auto"]: 3}, "'later' shows its place (2) already"
    async with board.hold(jobs["auto"], 3) as held:
        assert held is not None and held.chat_id == CHAT + 1 and held.message_id == 50
        assert held.payload["origin"] == "auto"
    assert await board.positions(older_than=float("inf")) == {jobs["asked"]: 1}


async def _waiting_for_a_lock(url: str) -> None:
    """Until some session waits for a row lock (the worker's UPDATE)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        while True:
            cursor = await conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            )
            if await cursor.fetchall():
                return
            await asyncio.sleep(0.02)


async def test_a_worker_starting_a_held_job_waits_and_a_started_job_is_never_held(
    ingresses: list[Ingress], postgres_url: str
) -> None:
    ingress, worker = ingresses
    job = await ingress.queue.enqueue(_request(CHAT), key=None, progress_message_id=50)
    assert job is not None
    board = PgWaitingBoard(ingress.db)
    order: list[str] = []
    async with board.hold(job, 1) as held:
        assert held is not None
        start = asyncio.create_task(worker.storage.jobs.mark_running(job))
        await asyncio.wait_for(_waiting_for_a_lock(postgres_url), 30)
        assert not start.done(), "the worker waits for the edit of its message"
        order.append("edited")
    assert await start is True
    order.append("started")
    assert order == ["edited", "started"]
    async with board.hold(job, 1) as held:
        assert held is None, "a job a worker started is not edited any more"
    assert await board.positions(older_than=float("inf")) == {}


async def test_one_claim_per_message_and_language_across_processes(
    ingresses: list[Ingress],
) -> None:
    claims = [FullTranslationClaims(p.db) for p in ingresses]
    results = await asyncio.gather(*(c.claim(CHAT, 9, "en") for c in claims for _ in range(3)))
    assert sorted(results, key=str) == [None, *["running"] * 5]
    assert await claims[1].claim(CHAT, 9, "fr") is None, "another language is another claim"
    await claims[0].settle(CHAT, 9, "en", posted=True)
    await claims[1].settle(CHAT, 9, "en", posted=False)  # a posted claim stays posted
    assert await claims[1].claim(CHAT, 9, "en") == "posted"
    await claims[0].settle(CHAT, 9, "fr", posted=False)  # failed: may be asked again
    assert await claims[0].claim(CHAT, 9, "fr") is None


async def test_the_ingress_follows_the_newest_live_workers_models(
    ingresses: list[Ingress],
) -> None:
    now = [1000.0]
    registry = WorkerRegistry(ingresses[0].db, clock=lambda: now[0])
    assert await registry.models_version() is None
    await registry.publish("old", "2/aaa", 2)
    now[0] += 10
    await registry.publish("new", "2/bbb", 2)
    await registry.publish("old", "2/aaa", 2)  # a refresh is no new start
    assert await WorkerRegistry(ingresses[1].db, clock=lambda: now[0]).models_version() == "2/bbb"
    now[0] += 1000
    assert await registry.models_version() is None, "no live worker"


def _long_translation() -> FullTranslation:
    paragraph = ["Der Stadtrat hat am Dienstag ein neues Verkehrskonzept beschlossen."] * 4
    return FullTranslation("de", "en", "Titel", None, [paragraph] * 36)


async def test_a_retried_job_sends_only_the_parts_still_missing(ingresses: list[Ingress]) -> None:
    translation = _long_translation()
    expected = [parse_telegram_html(p) for p in render_full_translation(translation, "en")]
    assert len(expected) == 3, "several messages, not yet a file"
    view = TranslationView(translation, "en")
    async with BotApiServer() as server:
        bot = telegram.Bot(
            DEFAULT_TOKEN,
            base_url=f"{server.base_url}/bot",
            base_file_url=f"{server.base_url}/file/bot",
        )
        async with bot:
            with ThreadPoolExecutor(1) as executor:
                codec = CallbackCodec(b"k" * 32)
                chats = []
                for process in ingresses:  # the first worker, and the one retrying its job
                    chat = TelegramChat(bot, codec, _no_migration, LimitsConfig(), executor)
                    chat.parts = DeliveredParts(process.db)
                    chats.append(chat)
                server.add_chat(CHAT)
                server.add_chat(CHAT + 1)
                progress = (await bot.send_message(CHAT, "Working on it…")).message_id
                server.fail_next("sendMessage", status=400, description="Bad Request: boom")
                token = current_job.set(42)
                try:
                    with pytest.raises(telegram.error.BadRequest):  # died after one part
                        await chats[0].deliver(CHAT, view, reply_to=None, replace=progress)
                    first = await chats[1].deliver(CHAT, view, reply_to=None, replace=progress)
                    again = await chats[0].deliver(CHAT, view, reply_to=None, replace=progress)
                finally:
                    current_job.reset(token)
                # Outside a job (the embedded mode) nothing is recorded or skipped.
                await chats[0].deliver(CHAT + 1, view, reply_to=None, replace=None)
    shown = [parse_telegram_html(m.text or "") for m in server.sent_messages(CHAT)]
    assert shown == expected, "each part once, the first in place of the progress message"
    assert first == again == progress
    assert len(server.sent_messages(CHAT + 1)) == 3
    recorded = await DeliveredParts(ingresses[0].db).delivered(42)
    assert sorted(recorded) == [0, 1, 2] and recorded[0] == progress


async def _no_migration(old: int, new: int) -> None:
    raise AssertionError("no chat migrates here")


async def test_a_long_line_is_refreshed_nearest_places_first_a_few_edits_at_a_time(
    ingresses: list[Ingress],
) -> None:
    queue = ingresses[0].queue
    for n in range(4):
        await queue.enqueue(_request(CHAT + n), key=None, progress_message_id=60 + n)
    now = [time.time() + 10.0]  # every place was shown long enough ago
    board = PgWaitingBoard(ingresses[1].db, clock=lambda: now[0])
    chat = FakeChat()
    refresher = PositionRefresher(board, chat, max_edits=3, clock=lambda: now[0])
    assert await refresher.refresh() == 3
    places = [(s.message_id, s.view) for s in chat.log]
    assert [(m, v.position) for m, v in places if isinstance(v, ProgressView)] == [
        (60, 1),
        (61, 2),
        (62, 3),
    ]
    assert await refresher.refresh() == 1 and chat.log[-1].message_id == 63, "the rest next"
    assert await refresher.refresh() == 0, "every place is shown"
