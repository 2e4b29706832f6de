"""Issue 14, bug 3: a request waiting for a worker shows its place in line, and the place
moves as the line does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.core.admission import WaitingLine
from bot.core.progress import Progress
from bot.core.views import ProgressView
from tests.support.bot_api_objects import RecordedCall
from tests.support.bot_harness import (
    LOOPBACK_ARTICLES,
    ArticleServer,
    BotEnv,
    bot_env,
    german_article_html,
)
from tests.support.fakes import FakeChat
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import TranslationEngine

CHATS = (5001, 5002, 5003)


async def test_waiting_line_is_first_come_first_served_and_reports_moves() -> None:
    line = WaitingLine(1)
    seen: dict[str, list[int]] = {"b": [], "c": []}
    order: list[str] = []
    release = {name: asyncio.Event() for name in "abc"}

    async def job(name: str) -> None:
        async def moved(position: int) -> None:
            seen[name].append(position)

        async with line.turn(moved):
            order.append(name)
            await release[name].wait()

    first = asyncio.create_task(job("a"))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(job(n)) for n in ("b", "c")]
    await asyncio.sleep(0.01)
    assert line.waiting == 2
    assert seen == {"b": [1], "c": [2]}
    release["a"].set()
    await asyncio.sleep(0.01)
    assert order == ["a", "b"] and seen == {"b": [1], "c": [2, 1]}
    release["b"].set()
    release["c"].set()
    await asyncio.gather(first, *rest)
    assert order == ["a", "b", "c"]
    assert line.waiting == 0


async def test_a_long_line_is_told_few_moves_a_second_nearest_places_first() -> None:
    line = WaitingLine(1, moves_per_second=5, clock=lambda: 0.0)  # time stands still
    seen: dict[int, list[int]] = {n: [] for n in range(31)}
    release = {n: asyncio.Event() for n in range(31)}

    async def job(n: int) -> None:
        async def moved(position: int) -> None:
            seen[n].append(position)

        async with line.turn(moved):
            await release[n].wait()

    tasks = [asyncio.create_task(job(n)) for n in range(31)]  # job 0 runs, 30 wait
    await asyncio.sleep(0.01)
    assert [seen[n] for n in range(1, 31)] == [[n] for n in range(1, 31)], "first places: all"
    release[0].set()  # the first job ends: everyone moves up one place
    await asyncio.sleep(0.01)
    told = {n: places[1:] for n, places in seen.items() if len(places) > 1}
    assert told == {2: [1], 3: [2], 4: [3], 5: [4], 6: [5]}, "five moves, the nearest"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_cancelled_waiter_leaves_the_line() -> None:
    line = WaitingLine(1)
    async with line.turn():
        waiting = asyncio.create_task(line.turn().__aenter__())
        await asyncio.sleep(0.01)
        assert line.waiting == 1
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        assert line.waiting == 0
    async with line.turn() as waited:
        assert waited is False  # the slot was freed, not leaked


@asynccontextmanager
async def _one_worker(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> AsyncIterator[BotEnv]:
    """A bot with one worker slot that reads loopback articles and shows every move in line."""
    limits = {"workers": 1, "per_user_per_minute": 1000, "per_chat_per_minute": 1000}
    async with bot_env(
        tmp_path, packages_dir, engine, progress_delay=0.0, limits=limits, fetch=LOOPBACK_ARTICLES
    ) as env:
        env.runtime.service.progress_edit_interval = 0.0
        yield env


async def test_queued_requests_show_their_place_and_watch_it_move(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with ArticleServer() as articles, _one_worker(tmp_path, packages_dir, engine) as env:
        for index, chat in enumerate(CHATS):
            url = articles.add(f"/slow{index}", german_article_html(), delay=1.2)
            env.server.push_message(chat, url, chat_type="private", user_id=chat)
            await asyncio.sleep(0.2)  # arrive in this order
        await env.settled()

        def shown(chat: int) -> list[str]:
            texts = [
                c.params["text"]
                for c in [
                    *env.server.calls("sendMessage"),
                    *env.server.calls("editMessageText"),
                ]
                if c.params.get("chat_id") == chat
            ]
            return [parse_telegram_html(text) for text in texts]

        assert not any("Waiting in line" in text for text in shown(CHATS[0]))
        assert "Waiting in line (position 1)…" in shown(CHATS[1])
        third = shown(CHATS[2])
        assert "Waiting in line (position 2)…" in third
        assert third.index("Waiting in line (position 2)…") < third.index(
            "Waiting in line (position 1)…"
        )
        for chat in CHATS:  # each ends with its summary, in the progress message's place
            (answer,) = env.server.sent_messages(chat)
            assert "Source language: German (de)" in parse_telegram_html(answer.text or "")


async def test_moves_in_line_are_spaced_but_the_latest_place_is_shown() -> None:
    chat = FakeChat()
    progress = Progress(chat, 7, None, delay=0.0, edit_interval=0.2)
    progress.start(ProgressView("queued", "en", position=5))
    await asyncio.sleep(0.01)  # shown: "position 5"
    for position in (4, 3, 2):
        await progress.stage(ProgressView("queued", "en", position=position))
    await asyncio.sleep(0.3)
    positions = [v.position for v in chat.views() if isinstance(v, ProgressView)]
    assert positions == [5, 2], "three quick moves became one edit, to the latest place"
    await progress.stage(ProgressView("working", "en"))  # a new stage is never held back
    last = chat.views()[-1]
    assert isinstance(last, ProgressView) and last.stage == "working"
    await progress.finish(ProgressView("working", "en"))


class GatedArticles(ArticleServer):
    """Pages under ``/slow`` are held until ``gate`` opens: requests that keep a worker busy
    for as long as the test needs, with no timing involved."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def _handle(self, request: Any) -> Any:
        if request.path.startswith("/slow"):
            await self.gate.wait()
        return await super()._handle(request)


def _in_chat(chat: int) -> Callable[[RecordedCall], bool]:
    return lambda call: call.params.get("chat_id") == chat


def _texts(env: BotEnv, chat: int, since: float = 0.0) -> list[str]:
    calls = [*env.server.calls("sendMessage"), *env.server.calls("editMessageText")]
    return [
        parse_telegram_html(c.params["text"])
        for c in calls
        if c.params.get("chat_id") == chat and c.time >= since
    ]


async def test_a_cache_hit_is_answered_before_the_line_with_no_place_shown(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    hit_chat = 5009
    articles = GatedArticles()
    async with articles, _one_worker(tmp_path, packages_dir, engine) as env:
        known = articles.add("/known", german_article_html())
        (first,) = await env.ask(hit_chat, known, chat_type="private", user_id=hit_chat)
        assert "Source language: German (de)" in parse_telegram_html(first.text or "")
        for chat in CHATS[:2]:  # one holds the only worker slot, one waits behind it
            url = articles.add(f"/slow{chat}", german_article_html())
            env.server.push_message(chat, url, chat_type="private", user_id=chat)
        for chat in CHATS[:2]:  # a progress message: the request is past the line's door
            await env.server.wait_for("sendMessage", _in_chat(chat), 20)

        since = time.monotonic()
        env.server.push_message(hit_chat, known, chat_type="private", user_id=hit_chat)
        await env.server.wait_for(
            "sendMessage",
            lambda c: c.params.get("chat_id") == hit_chat and c.time >= since,
            timeout=20,
        )
        assert not articles.gate.is_set()  # both slow requests are still unanswered
        (hit,) = _texts(env, hit_chat, since)  # one message, no place in line, no edit
        assert "Source language: German (de)" in hit
        assert hit == parse_telegram_html(first.text or "")

        articles.gate.set()
        await env.settled()
        assert any("Waiting in line" in t for c in CHATS[:2] for t in _texts(env, c))
        for chat in CHATS[:2]:
            (answer,) = env.server.sent_messages(chat)
            assert "Source language: German (de)" in parse_telegram_html(answer.text or "")
        stats = await env.storage.stats.summary()
        assert (stats.total, stats.cache_hits) == (4, 1)
        # Durable jobs for the three misses, none for the hit.
        jobs = [await env.storage.jobs.get_job(n) for n in range(1, 5)]
        assert [job is not None and job.finished for job in jobs] == [True] * 3 + [False]
