"""Load test: N simulated chats send articles concurrently to a real ``briefbot run`` process.

Everything is loopback: the loopback Bot API server (tests/support) and an article web server
run in this process, the bot runs as a subprocess configured by a TOML file in a temp dir
(storage there too), with random-weight test packages de→en and en→fr built once and cached
under ``--work-dir`` (tiny by default; ``--size base`` for transformer-base compute). Chats
want English and French (French via the English pivot).

Traffic: each chat sends ``--requests-per-chat`` German articles (pasted texts, links served
by the article server with ``allow_private_networks = true``, and every tenth a .txt file),
starting within ``--ramp`` seconds, a few seconds apart without waiting for answers; every
``--eager-every``-th chat sends ``--per-user + 2`` in a quick burst, so the per-user rate limit
refuses some. The queue is sized (``--queue-size``) so bursts can fill it: those requests are
refused as busy. Refusals are counted apart from failures. Articles come from the WMT21 and
20 Minuten files in ``--eval-dir`` (read in place), distinct until the pool runs out.

Measured: every request's outcome (the bot's last message replying to it: a summary, a busy or
rate-limit refusal, an error, or nothing by the ``--duration`` cap), latency from push to the
Bot API call that delivered the summary (sendMessage or the edit of the progress message),
the bot's peak RSS (the kernel's VmHWM), and the event loop's worst stall as the bot's own
monitor reports it (``/stats`` after the traffic, and its shutdown log line). Not a test: it
prints figures and always stops by itself.

To compare two versions of the bot, ``--baseline-dir DIR`` (e.g. ``git archive`` of the main commit
unpacked there) runs that tree's bot and this checkout's alternately, ``--rounds`` times each
with the same traffic, and prints every run and the medians side by side as ratios. Also
measured there: the bot's CPU seconds per answered summary during the traffic, which is far
less noisy than summaries per second when both cores are saturated, and its minor page faults
(memory the allocator gave back and the kernel had to map and zero again). ``--bot-pythonpath DIR``
runs only the other tree's bot.

Usage: python -m benchmarks.load_test [--chats 50] [--size tiny|base] [--duration 120]
    [--workers 32] [--bot-pythonpath DIR] [--baseline-dir DIR [--baseline-workers N]] [--rounds N]
       python -m benchmarks.load_test --slow-drip 5 [--baseline-dir DIR]   (issue 13)
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too


from benchmarks.bench_models import (
    DEFAULT_EVAL_DIR,
    DEFAULT_WORK_DIR,
    ensure_packages,
    machine_info,
    markdown_table,
)
from benchmarks.bot_bench import start_briefbot
from benchmarks.bot_bench import write_config as write_bot_config
from benchmarks.bot_process import (
    cpu_seconds,
    minor_faults,
    peak_rss_mb,
    sample_rss,
    stop_bot,
    until,
)
from benchmarks.replies import Request, classify, is_answered
from benchmarks.slow_drip import run_scenario as run_slow_drip
from bot.config import LimitsConfig
from tests.support.bot_api_server import BotApiServer
from tests.support.bot_harness import OWNER_ID, ArticleServer

PAIRS = (("de", "en"), ("en", "fr"))
TARGETS = ("en", "fr")
KINDS = ("text", "link", "document")
FIRST_CHAT = 700_000
OUTCOMES = ("summary", "busy", "rate limited", "error", "unanswered")
_STALL = re.compile(r"worst stall (\d+(?:\.\d+)?) ms")


# -- articles and traffic ------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join([self.title, *self.paragraphs])

    def page(self) -> str:
        """The article as a small news page, for links."""
        body = "\n".join(f"<p>{html.escape(p)}</p>" for p in self.paragraphs)
        title = html.escape(self.title)
        return (
            f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{title}</title>'
            f"</head><body><nav><a href='/'>Startseite</a></nav><article><h1>{title}</h1>"
            f"{body}</article><footer>Impressum · Datenschutz</footer></body></html>"
        )


def _article(lines: Sequence[str]) -> Article:
    body = list(lines[1:])
    return Article(lines[0], [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)])


def load_articles(eval_dir: Path) -> list[Article]:
    """Distinct German articles: 20 Minuten texts, WMT21 de-fr documents, WMT21 de-en chunks."""
    articles = []
    for row in _jsonl(eval_dir / "summ_de.jsonl"):
        paragraphs = [p for p in str(row["text"]).split("\n") if p.strip()]
        articles.append(Article(str(row.get("title") or paragraphs[0]), paragraphs))
    documents: dict[str, list[str]] = {}
    for row in _jsonl(eval_dir / "mt_de_fr.jsonl"):
        documents.setdefault(str(row["doc_id"]), []).append(str(row["de"]))
    articles += [_article(lines) for lines in documents.values() if len(lines) >= 4]
    german = [str(row["de"]) for row in _jsonl(eval_dir / "mt_de_en.jsonl")]
    articles += [_article(german[i : i + 12]) for i in range(0, len(german) - 11, 12)]
    return articles


def _jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def plan_traffic(args: argparse.Namespace, pool: int) -> list[Request]:
    """Who sends what when; deterministic for a given ``--seed``."""
    rng = random.Random(args.seed)
    plan: list[Request] = []
    numbers = itertools.count()
    for chat in range(args.chats):
        eager = args.eager_every > 0 and chat % args.eager_every == args.eager_every - 1
        count = args.per_user + 2 if eager else args.requests_per_chat
        at = rng.uniform(0.0, args.ramp)
        for _ in range(count):
            number = next(numbers)
            kind = "document" if number % 10 == 9 else "link" if number % 10 >= 6 else "text"
            plan.append(Request(FIRST_CHAT + chat, at, kind, number % pool))
            at += rng.uniform(0.1, 0.3) if eager else rng.uniform(0.5, 4.0)
    return sorted(plan, key=lambda r: r.at)


# -- the bot process -------------------------------------------------------------------------------


def write_config(path: Path, api_url: str, packages_dir: Path, args: argparse.Namespace) -> None:
    """The bot's TOML config (realistic decoding bound, loopback links), limits from the options
    (``args.workers`` None: the bot's own default)."""
    limits: dict[str, object] = {
        "queue_size": args.queue_size,
        "per_user_per_minute": args.per_user,
        "per_chat_per_minute": args.per_user + 5,
    }
    if args.workers is not None:
        limits["workers"] = args.workers
    write_bot_config(
        path,
        api_url,
        packages_dir,
        TARGETS,
        fetch={"allow_private_networks": True, "timeout_seconds": 10},
        limits=limits,
    )


@dataclass(frozen=True)
class Contender:
    """One bot in a comparison: its source tree (None: this checkout) and its workers (None:
    that code's own default), both handed to a run as its options."""

    label: str
    pythonpath: Path | None
    workers: int | None

    def options(self, args: argparse.Namespace) -> argparse.Namespace:
        return argparse.Namespace(
            **{**vars(args), "workers": self.workers, "bot_pythonpath": self.pythonpath}
        )


# -- the run --------------------------------------------------------------------------------------


@dataclass
class RunResult:
    requests: list[Request]
    startup_seconds: float
    traffic_seconds: float
    peak_rss_mb: float
    cpu_seconds: float  # the bot's user + system CPU time during the traffic
    page_faults: int  # the bot's minor page faults during the traffic (malloc returning memory)
    stall_stats_ms: float | None
    stall_log_ms: float | None
    exit_code: int
    tracebacks: int
    notes: list[str] = field(default_factory=list)


async def send_traffic(
    server: BotApiServer, articles: list[Article], urls: list[str], plan: list[Request]
) -> None:
    started = time.monotonic()
    for number, request in enumerate(plan):
        await asyncio.sleep(max(0.0, started + request.at - time.monotonic()))
        article = articles[request.article]
        request.pushed = time.monotonic()
        if request.kind == "link":
            message = server.push_message(request.chat_id, urls[request.article])
        elif request.kind == "document":
            document = (f"artikel-{number}.txt", "text/plain", article.text.encode("utf-8"))
            message = server.push_message(request.chat_id, None, document=document)
        else:
            message = server.push_message(request.chat_id, article.text)
        request.message_id = int(message["message_id"])


async def ask_stats(server: BotApiServer) -> float | None:
    """The worst stall the bot's monitor reports to an owner in /stats."""
    since = time.monotonic()
    server.push_message(OWNER_ID, "/stats")
    try:
        call = await server.wait_for(
            "sendMessage", lambda c: int(c.params["chat_id"]) == OWNER_ID, 30, since=since
        )
    except AssertionError:
        return None
    found = _STALL.search(str(call.params.get("text", "")))
    return float(found.group(1)) if found else None


async def run(args: argparse.Namespace, packages_dir: Path, temp: Path) -> RunResult:
    """One run of the traffic against a fresh bot (of ``args.bot_pythonpath``'s tree if given)."""
    articles = load_articles(args.eval_dir)
    plan = [r for r in plan_traffic(args, len(articles)) if r.at < args.duration]
    config, log = temp / "briefbot.toml", temp / "bot.log"
    async with BotApiServer() as server, ArticleServer() as pages:
        urls = [pages.add(f"/artikel/{i}", a.page()) for i, a in enumerate(articles)]
        write_config(config, server.base_url, packages_dir, args)
        launched = time.monotonic()
        tree = args.bot_pythonpath
        extra = {"PYTHONPATH": str(tree)} if tree is not None else None
        process = start_briefbot(config, log, env_extra=extra)
        peak = [0]
        sampler = asyncio.create_task(sample_rss(process.pid, peak))
        try:
            # deleteWebhook starts polling, after post_init; a getUpdates is only recorded
            # when its long poll ends.
            ready = await until(
                lambda: bool(server.calls("deleteWebhook")) or process.poll() is not None,
                args.start_timeout,
            )
            if not ready or process.poll() is not None:
                raise SystemExit(f"the bot did not start; see its log:\n{_tail(log)}")
            startup = time.monotonic() - launched
            began, cpu_before = time.monotonic(), cpu_seconds(process.pid)
            faults_before = minor_faults(process.pid)
            sender = asyncio.create_task(send_traffic(server, articles, urls, plan))
            await until(
                lambda: (
                    (sender.done() and all(is_answered(server, r) for r in plan))
                    or process.poll() is not None
                ),
                args.duration,
                step=0.2,
            )
            sender.cancel()
            traffic = time.monotonic() - began
            cpu = cpu_seconds(process.pid) - cpu_before
            faults = minor_faults(process.pid) - faults_before
            stall_stats = await ask_stats(server) if process.poll() is None else None
            rss = peak_rss_mb(process.pid, peak[0])
        finally:
            sampler.cancel()
            exit_code = await stop_bot(process)
        for request in plan:
            classify(server, request)
    output = log.read_text("utf-8", errors="replace")
    stalls = _STALL.findall(output)
    return RunResult(
        requests=plan,
        startup_seconds=startup,
        traffic_seconds=traffic,
        peak_rss_mb=rss,
        cpu_seconds=cpu,
        page_faults=faults,
        stall_stats_ms=stall_stats,
        stall_log_ms=float(stalls[-1]) if stalls else None,
        exit_code=exit_code,
        tracebacks=output.count("Traceback"),
        notes=[f"{len(plan) - len(articles)} requests repeat an article (cache hits)"]
        if len(plan) > len(articles)
        else [],
    )


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text("utf-8", errors="replace").splitlines()[-lines:])


# -- report -----------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f}"


def latency_cells(latencies: list[float]) -> list[str]:
    """p50, p95 and max in ms ("–" without data)."""
    if not latencies:
        return ["–"] * 3
    if len(latencies) == 1:
        return [_ms(latencies[0])] * 3
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return [_ms(cuts[49]), _ms(cuts[94]), _ms(max(latencies))]


def report(result: RunResult, args: argparse.Namespace) -> str:
    rows = [
        "| requests | sent | answered (summary) | refused: busy | refused: rate limited "
        "| errors | unanswered | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in (*KINDS, "all"):
        group = [r for r in result.requests if kind in ("all", r.kind)]
        counts = Counter(r.outcome for r in group)
        latencies = [r.latency for r in group if r.outcome == "summary" and r.latency is not None]
        cells = [str(len(group)), *(str(counts[o]) for o in OUTCOMES), *latency_cells(latencies)]
        rows.append(f"| {kind} | " + " | ".join(cells) + " |")

    def stall(ms: float | None) -> str:
        return "not reported" if ms is None else f"{ms:.0f} ms"

    summaries = _summaries(result)
    per_summary = _figures(result)["bot CPU s / summary"]
    first = min(result.requests, key=lambda r: r.at)
    facts = [
        ("summaries per second (answered / traffic time)",
         f"{summaries / result.traffic_seconds:.2f}"),
        ("first request (idle bot)", f"{first.outcome}, {_ms(first.latency)} ms"),
        ("bot code", args.bot_pythonpath or "this checkout"),
        ("chats", f"{args.chats} ({args.requests_per_chat} requests each; every "
         f"{args.eager_every}th sends {args.per_user + 2} in a burst)"),
        ("limits", f"queue {args.queue_size}, workers {args.workers}, "
         f"{args.per_user} requests/user/minute"),
        ("packages", f"{args.size} de→en, en→fr; targets en, fr (fr via en)"),
        ("bot start → polling", f"{result.startup_seconds:.1f} s"),
        ("traffic until last answer (cap)", f"{result.traffic_seconds:.1f} s "
         f"({args.duration:.0f} s)"),
        ("peak RSS of the bot process", f"{result.peak_rss_mb:.0f} MB"),
        ("bot CPU during the traffic (per answered summary)",
         f"{result.cpu_seconds:.1f} s ({per_summary:.2f} s)" if summaries
         else f"{result.cpu_seconds:.1f} s (–)"),
        ("bot minor page faults during the traffic", f"{result.page_faults:,}"),
        ("worst event-loop stall (/stats after traffic)", stall(result.stall_stats_ms)),
        ("worst event-loop stall (whole run, shutdown log)", stall(result.stall_log_ms)),
        ("SIGTERM exit code; tracebacks in log", f"{result.exit_code}; {result.tracebacks}"),
    ]  # fmt: skip
    lines = [*rows, "", "| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in facts)]
    errors = Counter(r.answer for r in result.requests if r.outcome == "error")
    lines += [f"- error reply ×{n}: {text!r}" for text, n in errors.most_common(5)]
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines)


def _summaries(result: RunResult) -> int:
    return sum(1 for r in result.requests if r.outcome == "summary")


def _figures(result: RunResult) -> dict[str, float]:
    """The compared figures of one run (NaN where there is none)."""
    count = _summaries(result)
    latencies = [r.latency for r in result.requests if r.outcome == "summary" and r.latency]
    first = min(result.requests, key=lambda r: r.at)
    nan = float("nan")
    return {
        "summaries/s": count / result.traffic_seconds,
        "reply p50 s": statistics.median(latencies) if latencies else nan,
        "first request s": first.latency if first.latency is not None else nan,
        "bot CPU s / summary": result.cpu_seconds / count if count else nan,
        "page faults / summary": result.page_faults / count if count else nan,
        "peak RSS MB": result.peak_rss_mb,
    }


def comparison(runs: Sequence[tuple[Contender, RunResult]]) -> str:
    """Every run, then each bot's medians and the ratios of the last bot to the first."""
    names = list(_figures(runs[0][1]))
    rows = []
    for contender, result in runs:
        counts = Counter(r.outcome for r in result.requests)
        outcomes = " / ".join(str(counts[o]) for o in OUTCOMES)
        rows.append([contender.label, *(f"{v:.2f}" for v in _figures(result).values()), outcomes])
    medians: dict[str, list[float]] = {}
    for contender in dict.fromkeys(c for c, _ in runs):
        figures = [_figures(r) for c, r in runs if c == contender]
        medians[contender.label] = [statistics.median(f[n] for f in figures) for n in names]
        rows.append([f"**{contender.label}, median of {len(figures)}**",
                     *(f"{v:.2f}" for v in medians[contender.label]), ""])  # fmt: skip
    table = markdown_table(["bot", *names, " / ".join(OUTCOMES)], rows)
    if len(medians) < 2:
        return table
    (old, before), *_, (new, after) = medians.items()
    ratios = ", ".join(
        f"{name} {a / b:.2f}x" for name, a, b in zip(names, after, before, strict=True) if b
    )
    return f"{table}\n\nmedians, {new} / {old}: {ratios}"


def add_traffic_options(parser: argparse.ArgumentParser) -> None:
    """The traffic and bot options (shared with ``benchmarks.cluster``)."""
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--requests-per-chat", type=int, default=2)
    parser.add_argument("--eager-every", type=int, default=10, help="0: no bursty chats")
    parser.add_argument("--ramp", type=float, default=15.0, help="seconds over which chats start")
    parser.add_argument("--duration", type=float, default=120.0, help="cap on the traffic phase")
    parser.add_argument("--start-timeout", type=float, default=60.0)
    parser.add_argument("--size", choices=("tiny", "base"), default="tiny")
    parser.add_argument("--queue-size", type=int, default=24)
    parser.add_argument("--workers", type=int, default=LimitsConfig().workers)
    parser.add_argument("--per-user", type=int, default=3, help="requests per user per minute")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_traffic_options(parser)
    parser.add_argument("--keep-temp", action="store_true", help="keep config, database, log")
    parser.add_argument(
        "--slow-drip", type=int, default=0, help="N: the slow-drip scenario (see slow_drip.py)"
    )
    parser.add_argument("--probes", type=int, default=10, help="slow drip: /start probes")
    parser.add_argument("--drip-gap-us", type=int, default=50, help="slow drip: µs per byte")
    parser.add_argument(
        "--baseline-dir", type=Path, default=None, help="the old code's source tree, compared"
    )
    parser.add_argument(
        "--baseline-workers", type=int, default=None, help="default: the old code's own default"
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of each bot, alternating")
    parser.add_argument(
        "--bot-pythonpath", type=Path, default=None, help="run the bot from this source tree"
    )
    args = parser.parse_args(argv)
    if args.slow_drip:
        return run_slow_drip(args)
    if not (args.eval_dir / "mt_de_fr.jsonl").is_file():
        print(f"error: no eval data in {args.eval_dir} (use --eval-dir)", file=sys.stderr)
        return 2

    print(f"# machine: {machine_info()}")
    print("# shared machine: other jobs may run at the same time (see the load average)")
    packages_dir = ensure_packages(args.work_dir, PAIRS, args.size)
    tree, old = args.bot_pythonpath, args.baseline_dir
    label = str(tree) if tree else "this checkout"
    contenders = [Contender(label, tree.resolve() if tree else None, args.workers)]
    if old is not None:
        contenders.insert(0, Contender(f"baseline {old}", old.resolve(), args.baseline_workers))
    runs: list[tuple[Contender, RunResult]] = []
    for number in range(max(1, args.rounds)):
        for contender in contenders:
            options = contender.options(args)
            temp = Path(tempfile.mkdtemp(prefix="briefbot-load-"))
            result = asyncio.run(run(options, packages_dir, temp))
            runs.append((contender, result))
            print(f"## {contender.label}, round {number + 1}", flush=True)
            print(report(result, options), flush=True)
            if args.keep_temp:
                print(f"# config, database and bot log kept in {temp}")
            else:
                shutil.rmtree(temp, ignore_errors=True)
    if len(runs) > 1:
        print(f"\n# side by side ({max(1, args.rounds)} rounds, alternating)")
        print(comparison(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
