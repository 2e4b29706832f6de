"""The scaled deployment as real processes: one PostgreSQL, two ``briefbot ingress`` in webhook
mode, two ``briefbot worker``, the loopback Bot API server delivering updates by webhook to
either ingress (and the same update to both). One worker is SIGKILLed mid-job and one ingress
restarted; every request is still answered exactly once, and no job is lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg
from prometheus_client.parser import text_string_to_metric_families

from tests.support.bot_api_server import DEFAULT_TOKEN, BotApiServer
from tests.support.bot_harness import GERMAN_ARTICLE, ArticleServer, german_article_html
from tests.support.postgres import free_port
from tests.support.telegram_html import parse_telegram_html

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SETTINGS_CHAT, SLOW_CHAT, TWICE_CHAT = 7001, 7002, 7003
PLAIN_CHATS = (7010, 7011, 7012, 7013)
AFTER_RESTART_CHAT = 7020
STALLED_AFTER = 4
SECRET = "cluster-secret"


def _write_config(path: Path, api_url: str, url: str, packages_dir: Path, port: int) -> None:
    path.write_text(
        f"""
[telegram]
api_base_url = {json.dumps(api_url)}
mode = "webhook"
webhook_url = "http://127.0.0.1:{port}/hook"
webhook_secret = "{SECRET}"
listen = "127.0.0.1"
port = {port}

[storage]
url = {json.dumps(url)}

[models]
packages_dir = {json.dumps(str(packages_dir))}

[fetch]
allow_private_networks = true
timeout_seconds = 15

[logging]
level = "INFO"
""",
        encoding="utf-8",
    )


def _start(role: list[str], config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BRIEFBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN,
        "BRIEFBOT_LIMITS_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *role, "--config", str(config)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


async def _eventually(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not in time: {what}"
        await asyncio.sleep(0.05)


def _logged(log: Path, text: str, times: int = 1) -> Callable[[], bool]:
    return lambda: log.exists() and log.read_text("utf-8", errors="replace").count(text) >= times


def _summaries(server: BotApiServer, chat: int) -> list[int]:
    """Bullet counts of the summaries now shown in ``chat`` (a progress message edited into
    its answer counts once)."""
    texts = [parse_telegram_html(m.text or "") for m in server.sent_messages(chat)]
    return [text.count("• ") for text in texts if "German (de)" in text]


async def test_two_ingresses_and_two_workers_answer_every_request_exactly_once(
    tmp_path: Path, packages_dir: Path, articles: ArticleServer, postgres_url: str
) -> None:
    slow_url = articles.add("/langsam", german_article_html(), delay=4.0)
    ports = free_port(), free_port()
    metrics = {name: free_port() for name in ("in0", "w0", "w1")}
    hooks = [f"http://127.0.0.1:{port}/hook" for port in ports]
    configs = [tmp_path / f"ingress-{i}.toml" for i in range(2)]
    logs = {name: tmp_path / f"{name}.log" for name in ("in0", "in1", "w0", "w1")}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    with BotApiServer() as server:
        for config, port in zip(configs, ports, strict=True):
            _write_config(config, server.base_url, postgres_url, packages_dir, port)
        worker = ["worker", "--concurrency", "2", "--stalled-after", str(STALLED_AFTER)]
        try:
            for i in range(2):
                ingress = ["ingress", *_metrics_flag(metrics.get(f"in{i}"))]
                processes[f"in{i}"] = _start(ingress, configs[i], logs[f"in{i}"])
                work = [*worker, *_metrics_flag(metrics[f"w{i}"])]
                processes[f"w{i}"] = _start(work, configs[0], logs[f"w{i}"])
            for name, log in logs.items():
                ready = "Briefbot ready" if name.startswith("in") else "Worker ready"
                await _eventually(_logged(log, ready), 60, f"{name} started")

            # Settings changed through one ingress are seen by the other at once.
            server.route_updates(hooks[0])
            server.push_message(SETTINGS_CHAT, "/settings length 2", user_id=SETTINGS_CHAT)
            await server.wait_for("sendMessage", lambda c: c.params["chat_id"] == SETTINGS_CHAT, 30)
            server.route_updates(hooks[1])
            server.push_message(SETTINGS_CHAT, GERMAN_ARTICLE, user_id=SETTINGS_CHAT)

            # A slow job; its worker is killed while it fetches the article.
            server.route_updates(hooks[0])
            server.push_message(SLOW_CHAT, slow_url, user_id=SLOW_CHAT)
            await _eventually(lambda: articles.hits.get("/langsam", 0) >= 1, 30, "slow fetch")
            busy = next(
                name
                for name in ("w0", "w1")
                if _logged(logs[name], "Working on job")()
                and slow_url.split("/")[-1] in _job_urls(postgres_url, logs[name])
            )
            processes[busy].kill()
            assert processes[busy].wait(10) == -signal.SIGKILL

            # The same update delivered to both ingresses at once, and plain requests to both.
            server.route_updates(*hooks)
            server.push_message(TWICE_CHAT, GERMAN_ARTICLE, user_id=TWICE_CHAT)
            for i, chat in enumerate(PLAIN_CHATS):
                server.route_updates(hooks[i % 2])
                server.push_message(chat, GERMAN_ARTICLE, user_id=chat)

            # One ingress restarts; what it is sent after its restart is answered too.
            await _eventually(
                lambda: all(_summaries(server, c) for c in PLAIN_CHATS), 60, "plain answers"
            )
            processes["in1"].send_signal(signal.SIGTERM)
            assert processes["in1"].wait(30) == 0
            processes["in1"] = _start(["ingress"], configs[1], logs["in1"])
            server.route_updates(hooks[1])
            server.push_message(AFTER_RESTART_CHAT, GERMAN_ARTICLE, user_id=AFTER_RESTART_CHAT)

            everyone = (SETTINGS_CHAT, SLOW_CHAT, TWICE_CHAT, *PLAIN_CHATS, AFTER_RESTART_CHAT)
            await _eventually(
                lambda: all(_summaries(server, c) for c in everyone), 60, "every answer"
            )
            await asyncio.sleep(STALLED_AFTER + 1)  # a duplicate would have shown up by now
            survivor = "w1" if busy == "w0" else "w0"
            worker_figures = _scrape(metrics[survivor])
            ingress_figures = _scrape(metrics["in0"])
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait(10)

        assert _summaries(server, SETTINGS_CHAT) == [2], "ingress 1 saw ingress 0's setting"
        for chat in everyone[1:]:
            assert _summaries(server, chat) == [3], f"chat {chat} answered once"
            assert len(server.sent_messages(chat)) == 1, f"chat {chat}: one message in all"
        twice = {
            c.params["url"]
            for c in server.calls("webhookDelivery")
            if c.params["update"]["message"]["chat"]["id"] == TWICE_CHAT
        }
        assert twice == set(hooks), "the same update went to both ingresses"

    with psycopg.connect(postgres_url) as conn:
        jobs = conn.execute("SELECT chat_id, status, attempts FROM jobs ORDER BY id").fetchall()
    # The article sent after the restart was answered by the restarted ingress from the
    # results cache (a worker's result): no job for it, one for every other request.
    queued = sorted(c for c in everyone if c != AFTER_RESTART_CHAT)
    assert sorted(chat for chat, _s, _a in jobs) == queued, "one job per request"
    assert {status for _c, status, _a in jobs} == {"done"}, "no job lost"
    assert [a for c, _s, a in jobs if c == SLOW_CHAT] == [2], "retried after the kill"
    # /metrics: the surviving worker answered and requeued the dead worker's job; the queue
    # drained (as the ingress sees it).
    answered = worker_figures.get(("briefbot_requests_total", ("summary", "ok")), 0)
    assert answered >= 1
    assert worker_figures[("briefbot_stalled_jobs_requeued_total", ())] >= 1
    assert ingress_figures[("briefbot_queue_depth", ())] == 0
    output = "".join(log.read_text("utf-8", errors="replace") for log in logs.values())
    assert "stalled (its worker died)" in output
    assert f"Answered chat {AFTER_RESTART_CHAT} from the cache, with no job" in output
    assert DEFAULT_TOKEN.split(":")[1] not in output


def _job_urls(url: str, log: Path) -> str:
    """The payloads of the jobs a worker's log says it works on."""
    ids = [
        line.split("Working on job ")[1].split()[0]
        for line in log.read_text("utf-8", errors="replace").splitlines()
        if "Working on job " in line
    ]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT payload FROM jobs WHERE id = ANY(%s)", ([int(i) for i in ids],)
        ).fetchall()
    return " ".join(row[0] for row in rows)


def _metrics_flag(port: int | None) -> list[str]:
    return [] if port is None else ["--metrics-port", str(port)]


def _scrape(port: int) -> dict[tuple[str, tuple[str, ...]], float]:
    """A process's /metrics as {(sample name, label values): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
