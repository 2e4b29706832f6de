"""Feeds in the scaled mode as real processes: one PostgreSQL, one ``briefbot ingress`` and two
``briefbot worker`` (procrastinate). Three chats follow one feed through the ingress, which
queues the latest article for each (delivered by the workers); the workers' periodic tick
defers the polls. A slow feed is polled once although ticks keep coming and two workers are
free, each new article is fetched once for all chats, a worker killed in the middle of a
delivery neither loses nor repeats it, and a delivery whose task a crash never deferred is
found by the tick."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import psycopg

from tests.support.bot_api_server import BotApiServer
from tests.support.feed_fixtures import HEADLINES, RSS_TYPE, article_html, rss
from tests.support.postgres import free_port
from tests.support.telegram_html import parse_telegram_html
from tests.test_bot_feeds import article_hits, items, news
from tests.test_cluster import _eventually, _logged, _start
from tests.test_cluster import _write_config as write_cluster_config

CHATS = (8101, 8102, 8103)
STALLED_AFTER = 4


def _write_config(path: Path, api_url: str, url: str, packages_dir: Path) -> str:
    """The cluster test's configuration (webhook ingress) with a tick every second; the
    ingress's webhook address."""
    port = free_port()
    write_cluster_config(path, api_url, url, packages_dir, port)
    with path.open("a", encoding="utf-8") as config:
        config.write(
            "\n[feeds]\ntick_seconds = 1\nhost_interval_seconds = 0\ninitial_articles = 1\n"
        )
    return f"http://127.0.0.1:{port}/hook"


def _make_due(url: str) -> None:
    """Time passes: every feed is due now (the workers' next tick polls it)."""
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE feeds SET next_poll_at = 0")


def _deliveries(server: BotApiServer, chat: int, headline: str) -> int:
    return sum(headline in parse_telegram_html(m.text or "") for m in server.sent_messages(chat))


def _everyone_has(server: BotApiServer, headline: str) -> bool:
    return all(_deliveries(server, chat, headline) >= 1 for chat in CHATS)


async def test_workers_poll_once_fetch_once_and_survive_a_kill_mid_delivery(
    tmp_path: Path, packages_dir: Path, postgres_url: str
) -> None:
    config = tmp_path / "briefbot.toml"
    logs = {name: tmp_path / f"{name}.log" for name in ("ingress", "w0", "w1")}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    worker = ["worker", "--concurrency", "2", "--stalled-after", str(STALLED_AFTER)]
    async with news() as site:
        with BotApiServer() as server:
            hook = _write_config(config, server.base_url, postgres_url, packages_dir)
            server.route_updates(hook)
            try:
                processes["ingress"] = _start(["ingress"], config, logs["ingress"])
                for name in ("w0", "w1"):
                    processes[name] = _start(worker, config, logs[name])
                for name, log in logs.items():
                    ready = "Briefbot ready" if name == "ingress" else "Worker ready"
                    await _eventually(_logged(log, ready), 60, f"{name} started")

                feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)
                for chat in CHATS:
                    server.push_message(chat, f"/follow {feed}", user_id=chat)
                await _eventually(lambda: _everyone_has(server, HEADLINES[0]), 90, "follows")
                follows = site.paths_requested().count("/rss.xml")
                assert follows == len(CHATS)
                assert article_hits(site, 0) == 1, "one fetch for the three chats"

                # A slow feed: ticks keep coming while it is read, but it is read once.
                site.add("/rss.xml", rss(items(site, 0, 1, 2)), RSS_TYPE, delay=3.0)
                _make_due(postgres_url)
                await _eventually(
                    lambda: _everyone_has(server, HEADLINES[2]), 90, "first deliveries"
                )
                assert site.paths_requested().count("/rss.xml") == follows + 1
                assert article_hits(site, 1) == 1 and article_hits(site, 2) == 1

                # A worker is killed while it reads the article it is delivering.
                site.add("/artikel/3", article_html(HEADLINES[3]), delay=5.0)
                site.add("/rss.xml", rss(items(site, 0, 1, 2, 3)), RSS_TYPE)
                _make_due(postgres_url)
                await _eventually(lambda: article_hits(site, 3) >= 1, 60, "slow article")
                busy = _delivering(postgres_url, logs, "/artikel/3")
                processes[busy].kill()
                assert processes[busy].wait(10) == -signal.SIGKILL
                await _eventually(lambda: _everyone_has(server, HEADLINES[3]), 90, "after kill")
                await _eventually(
                    _logged(logs["w0" if busy == "w1" else "w1"], "stalled (its worker died)"),
                    30,
                    "requeued",
                )

                # A worker died after recording a delivery but before deferring it: the tick
                # finds the job without a task (older than a minute) and delivers it.
                site.add("/artikel/4", article_html(HEADLINES[4]))
                _orphan_job(postgres_url, CHATS[0], site.url("/artikel/4"), HEADLINES[4])
                await _eventually(
                    lambda: _deliveries(server, CHATS[0], HEADLINES[4]) == 1, 60, "orphan job"
                )
            finally:
                for process in processes.values():
                    if process.poll() is None:
                        process.kill()
                        process.wait(10)

            for chat in CHATS:
                for number in (0, 1, 2, 3):
                    assert _deliveries(server, chat, HEADLINES[number]) == 1, (chat, number)
                assert len(server.sent_messages(chat)) == 5 + (chat == CHATS[0]), "and no more"

    with psycopg.connect(postgres_url) as conn:
        jobs = conn.execute(
            "SELECT chat_id, status, attempts, payload FROM jobs WHERE kind = 'feed_article'"
        ).fetchall()
    assert len(jobs) == 4 * len(CHATS) + 1, "one job per chat and article"
    assert {status for _c, status, _a, _p in jobs} == {"done"}, "none lost"
    retried = [attempts for _c, _s, attempts, payload in jobs if "/artikel/3" in payload]
    assert sorted(retried)[-1] == 2, "the killed delivery ran again"
    output = "".join(log.read_text("utf-8", errors="replace") for log in logs.values())
    assert "Traceback" not in output


def _orphan_job(url: str, chat: int, article: str, title: str) -> None:
    """A feed job recorded two minutes ago whose task was never deferred."""
    payload = json.dumps({"url": article, "title": title, "feed_title": "Stadtanzeiger"})
    then = time.time() - 120
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO jobs (chat_id, kind, payload, status, created_at, updated_at) "
            "VALUES (%s, 'feed_article', %s, 'queued', %s, %s)",
            (chat, payload, then, then),
        )


def _delivering(url: str, logs: dict[str, Path], path: str) -> str:
    """The worker whose log says it works on a running delivery of the article at ``path``."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id FROM jobs WHERE status = 'running' AND payload LIKE %s", (f"%{path}%",)
        ).fetchall()
    for name in ("w0", "w1"):
        text = logs[name].read_text("utf-8", errors="replace")
        if any(f"Delivering feed job {job_id} " in text for (job_id,) in rows):
            return name
    raise AssertionError(f"no worker delivers {path}: {rows}")
