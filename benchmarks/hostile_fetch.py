"""Bombs against the fetcher and the extractor: how each ends, in what time, at what peak RSS.

Each case runs in a fresh Python process (``--case NAME``) so its peak RSS (the kernel's
VmHWM) is its own: the table shows RSS after imports and the peak while the case ran, the
wall time and how the fetch ended. Pages come from a loopback server (tests/support) with the
default fetch policy (5 MB cap, 15 s deadline) and private networks allowed for loopback.

Usage: python -m benchmarks.hostile_fetch
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import machine_info
from tests.support.http_servers import PageServer, Route
from translation.errors import BriefbotError
from translation.web.extraction import extract_article
from translation.web.fetching import FetchPolicy, fetch_url

BOMB_BYTES = 256 * 1024 * 1024
POLICY = FetchPolicy(allow_private_networks=True)


def _peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _zlib_bomb(wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    return b"".join(compressor.compress(block) for _ in range(BOMB_BYTES // len(block))) + (
        compressor.flush()
    )


def _brotli_bomb() -> bytes:
    import brotli

    compressor = brotli.Compressor(quality=5)
    block = bytes(1024 * 1024)
    parts = [compressor.process(block) for _ in range(BOMB_BYTES // len(block))]
    return b"".join(parts) + compressor.finish()


def _routes() -> dict[str, Callable[[], Route]]:
    return {
        "gzip bomb (256 MB → 250 kB)": lambda: Route(
            body=_zlib_bomb(31), headers={"Content-Encoding": "gzip"}
        ),
        "deflate bomb (256 MB)": lambda: Route(
            body=_zlib_bomb(15), headers={"Content-Encoding": "deflate"}
        ),
        "brotli bomb (256 MB)": lambda: Route(
            body=_brotli_bomb(), headers={"Content-Encoding": "br"}
        ),
        "gzip inside gzip": lambda: Route(
            body=gzip.compress(_zlib_bomb(31)), headers={"Content-Encoding": "gzip, gzip"}
        ),
        "endless body, no length": lambda: Route(body=b"<p>spam</p>" * 1000, endless=True),
        "Content-Length: 10 GB": lambda: Route(
            body=b"<p>x</p>", headers={"Content-Length": "10000000000"}
        ),
        "1-byte segments, fast, endless": lambda: Route(body=b"a", chunk_size=1, endless=True),
        "1-byte drip, 100 B/s": lambda: Route(body=b"a" * 10_000, chunk_size=1, drip_interval=0.01),
    }


EXTRACTION_CASES = {
    "HTML: 100,000 nested <div>": "<html><body>" + "<div>" * 100_000 + "x" + "</div>" * 100_000,
    "HTML: 2 MB of <p> in one <div>": "<html><body><div>" + "<p>Wort</p>" * 180_000,
}


async def _fetch_case(route: Route) -> str:
    async with PageServer() as server:
        url = server.route("/bomb", route)
        try:
            page = await fetch_url(url, replace(POLICY))
        except BriefbotError as exc:
            return f"refused: {exc.message}"
    return f"accepted {len(page.text):,} characters"


def _extract_case(name: str) -> str:
    try:
        document = extract_article(EXTRACTION_CASES[name])
    except BriefbotError as exc:
        return f"refused: {exc.message}"
    return f"accepted {len(document.text):,} characters"


def run_case(name: str) -> dict[str, object]:
    route = None if name in EXTRACTION_CASES else _routes()[name]()  # built before measuring
    before = _peak_rss_mb()
    started = time.monotonic()
    outcome = _extract_case(name) if route is None else asyncio.run(_fetch_case(route))
    return {
        "case": name,
        "outcome": outcome,
        "seconds": time.monotonic() - started,
        "rss_before_mb": before,
        "peak_mb": _peak_rss_mb(),
    }


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2])))
        return 0
    print(f"# machine: {machine_info()}")
    print("| bomb | outcome | time s | RSS after imports MB | peak RSS MB |")
    print("|---|---|---:|---:|---:|")
    for name in [*_routes(), *EXTRACTION_CASES]:
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.hostile_fetch", "--case", name],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=Path(__file__).resolve().parent.parent,
        )
        if child.returncode != 0:
            print(f"| {name} | failed: {child.stderr.strip().splitlines()[-1:]} | | | |")
            continue
        row = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"| {name} | {row['outcome']} | {row['seconds']:.2f} | "
            f"{row['rss_before_mb']:.0f} | {row['peak_mb']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
