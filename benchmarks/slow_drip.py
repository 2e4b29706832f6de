"""Slow-drip scenario of the load test (issue 13): N links to pages served in 1-byte TCP
segments for the whole fetch deadline, then ``/start`` probes from an unrelated chat.

A real ``briefbot run`` process (loopback Bot API, storage in a temp dir) gets ``--slow-drip``
links at once to a server (a child process, ``fetch_loop_probe.serve``) that sends each an
endless page one byte per TCP segment (TCP_NODELAY), ``--drip-gap-us`` apart, until the bot
hangs up. While the fetches run,
``--probes`` ``/start`` messages are sent from another chat, one every half second; each answer's
latency is measured (push → ``sendMessage``). The event loop's stalls come from the bot's own
monitor via ``/stats``, asked before the links and after the probes. Then the fetcher alone
(``fetch_loop_probe.py``): the same drip on one event loop with nothing else on it. With
``--baseline-dir`` (a checkout of another commit, e.g. ``git archive d0ff57c | tar -x -C DIR``)
the same scenario runs against that code first, and the report shows both and their ratio.

Usage: python -m benchmarks.load_test --slow-drip 5 [--baseline-dir DIR] [--probes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_models import DEFAULT_WORK_DIR, ensure_packages, machine_info
from benchmarks.bot_bench import ask_owner, write_config
from benchmarks.bot_process import cpu_seconds, stop_bot, until
from benchmarks.fetch_loop_probe import serve
from tests.support.bot_api_server import DEFAULT_TOKEN, BotApiServer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIRST_DRIP_CHAT = 810_000
PROBE_CHAT = 820_000
_LAG = re.compile(r"(\d+) ms[^\n]*?(\d+)")


class DripServer:
    """A child process whose threads answer every request with a page sent one byte per TCP
    segment, ``gap`` seconds apart (its own process: the GIL here must not pace it)."""

    def __init__(self, gap: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.sent = context.Value("q", 0)
        ports = context.Queue()
        self._process = context.Process(target=serve, args=(ports, gap, self.sent))
        self._process.start()
        self.port = int(ports.get(timeout=30))

    @property
    def bytes_sent(self) -> int:
        return int(self.sent.value)

    def close(self) -> None:
        self._process.terminate()
        self._process.join(10)


@dataclass
class DripResult:
    label: str
    probe_ms: list[float]
    unanswered: int
    worst_stall_before_ms: float | None
    worst_stall_ms: float | None
    stalls_during: int | None
    bot_cpu_seconds: float
    bytes_dripped: int


async def _ask_lag(server: BotApiServer) -> tuple[float, int] | None:
    """(worst stall ms, stalls over 100 ms) from the owner's /stats."""
    try:
        text = await ask_owner(server, "/stats")
    except AssertionError:
        return None
    line = next((ln for ln in text.splitlines() if "stall" in ln.lower()), "")
    found = _LAG.search(line)
    return (float(found.group(1)), int(found.group(2))) if found else None


def _start(config: Path, log: Path, code_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BRIEFBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = str(code_dir)
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
            cwd=code_dir,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


async def run_once(
    label: str, code_dir: Path, packages_dir: Path, temp: Path, args: argparse.Namespace
) -> DripResult:
    config, log = temp / "briefbot.toml", temp / "bot.log"
    drip = DripServer(args.drip_gap_us / 1e6)
    async with BotApiServer() as server:
        write_config(
            config,
            server.base_url,
            packages_dir,
            ("en",),
            fetch={"allow_private_networks": True, "timeout_seconds": 15},
            limits={"queue_size": 32, "workers": 2, "per_user_per_minute": 30},
        )
        process = _start(config, log, code_dir)
        try:
            ready = await until(
                lambda: bool(server.calls("deleteWebhook")) or process.poll() is not None, 90
            )
            if not ready or process.poll() is not None:
                raise SystemExit(f"the bot ({label}) did not start; see {log}")
            await asyncio.sleep(2.0)  # let start-up work (detector warm-up) finish
            before = await _ask_lag(server)
            cpu_before = cpu_seconds(process.pid)
            for number in range(args.slow_drip):
                url = f"http://127.0.0.1:{drip.port}/drip/{number}"
                server.push_message(FIRST_DRIP_CHAT + number, url)
            await asyncio.sleep(1.0)  # the fetches are under way
            latencies: list[float] = []
            unanswered = 0
            for _ in range(args.probes):
                pushed = time.monotonic()
                server.push_message(PROBE_CHAT, "/start")
                try:
                    call = await server.wait_for(
                        "sendMessage",
                        lambda c: int(c.params["chat_id"]) == PROBE_CHAT,
                        10,
                        since=pushed,
                    )
                    latencies.append((call.time - pushed) * 1000)
                except AssertionError:
                    unanswered += 1
                await asyncio.sleep(max(0.0, pushed + 0.5 - time.monotonic()))
            cpu = cpu_seconds(process.pid) - cpu_before
            after = await _ask_lag(server)
        finally:
            await stop_bot(process)
            drip.close()
    return DripResult(
        label=label,
        probe_ms=latencies,
        unanswered=unanswered,
        worst_stall_before_ms=before[0] if before else None,
        worst_stall_ms=after[0] if after else None,
        stalls_during=after[1] - before[1] if after and before else None,
        bot_cpu_seconds=cpu,
        bytes_dripped=drip.bytes_sent,
    )


def _stall(result: DripResult) -> str:
    """The worst stall during the drip: /stats' worst if it grew, else "≤" the earlier worst."""
    before, after = result.worst_stall_before_ms, result.worst_stall_ms
    if before is None or after is None:
        return "–"
    return f"{after:.0f}" if after > before else f"≤ {before:.0f} (start-up)"


def _cells(result: DripResult) -> list[str]:
    probes = result.probe_ms
    return [
        f"{statistics.median(probes):.0f}" if probes else "–",
        f"{max(probes):.0f}" if probes else "–",
        str(result.unanswered),
        _stall(result),
        "–" if result.stalls_during is None else str(result.stalls_during),
        f"{result.bot_cpu_seconds:.1f}",
        f"{result.bytes_dripped:,}",
    ]


def report(results: list[DripResult], args: argparse.Namespace) -> str:
    rows = [
        f"Slow drip: {args.slow_drip} links served 1 byte per TCP segment, "
        f"({args.drip_gap_us} µs apart), {args.probes} /start probes 0.5 s apart while they load",
        "",
        "| code | /start p50 ms | /start max ms | unanswered | worst loop stall ms "
        "| stalls > 100 ms during drip | bot CPU s during probes | bytes dripped |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows += [f"| {r.label} | " + " | ".join(_cells(r)) + " |" for r in results]
    if len(results) == 2 and results[0].probe_ms and results[1].probe_ms:
        base, new = results
        ratio = statistics.median(new.probe_ms) / statistics.median(base.probe_ms)
        cpu = new.bot_cpu_seconds / base.bot_cpu_seconds if base.bot_cpu_seconds else 0.0
        rows.append(f"\nratio {new.label}/{base.label}: /start p50 ×{ratio:.2f}, CPU ×{cpu:.2f}")
    return "\n".join(rows)


PROBE_SECONDS = 10.0


def fetcher_alone(code_dir: Path, args: argparse.Namespace) -> dict[str, float]:
    """``fetch_loop_probe.py`` on ``code_dir``'s fetcher: loop stalls without the bot around."""
    probe = Path(__file__).with_name("fetch_loop_probe.py")
    command = [sys.executable, str(probe), str(args.slow_drip), str(PROBE_SECONDS)]
    child = subprocess.run(
        [*command, str(args.drip_gap_us)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(code_dir)},
    )
    if child.returncode != 0:
        raise SystemExit(f"fetch_loop_probe failed on {code_dir}: {child.stderr[-500:]}")
    result: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def report_alone(rows: list[tuple[str, dict[str, float]]]) -> str:
    lines = [
        f"\nThe fetcher alone: {PROBE_SECONDS:g} s of the same drip on one event loop "
        "(benchmarks/fetch_loop_probe.py)",
        "",
        "| code | worst loop stall ms | p99 stall ms | stalls > 100 ms | CPU s |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, row in rows:
        lines.append(
            f"| {label} | {row['worst_stall_ms']:.0f} | {row['p99_stall_ms']:.0f} "
            f"| {row['stalls_over_100ms']:.0f} | {row['cpu_s']:.2f} |"
        )
    return "\n".join(lines)


def run_scenario(args: argparse.Namespace) -> int:
    """Entry point of ``load_test --slow-drip N``."""
    work_dir: Path = getattr(args, "work_dir", DEFAULT_WORK_DIR)
    packages_dir = ensure_packages(work_dir, (("de", "en"),), "tiny")
    runs = [("this checkout", PROJECT_ROOT)]
    if args.baseline_dir is not None:
        runs.insert(0, ("baseline", args.baseline_dir.resolve()))
    results = []
    for label, code_dir in runs:
        with tempfile.TemporaryDirectory(prefix="briefbot-drip-") as temp:
            results.append(asyncio.run(run_once(label, code_dir, packages_dir, Path(temp), args)))
    alone = [(label, fetcher_alone(code_dir, args)) for label, code_dir in runs]
    print(machine_info())
    print(report(results, args))
    print(report_alone(alone))
    return 0
