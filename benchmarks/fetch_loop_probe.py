"""The fetcher alone on one event loop: N slow-drip downloads and how late the loop wakes up.

Run by ``benchmarks/slow_drip.py`` once per code tree (``PYTHONPATH`` picks the tree; this file
imports nothing else of the project but ``translation.web.fetching``, which every version has),
so the loop's stalls are the fetcher's own, without the rest of the bot or Telegram traffic.
A child process serves every connection a page one byte per TCP segment; a monitor task sleeps
10 ms at a time and records how late it wakes. Prints one JSON line.

Usage: PYTHONPATH=TREE python benchmarks/fetch_loop_probe.py LINKS SECONDS GAP_US
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import socket
import sys
import threading
import time
from typing import Any

from translation.web.fetching import FetchPolicy, fetch_url

INTERVAL = 0.01
# No Content-Length: the body ends when the server closes (it never does)
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"


def serve(ports: Any, gap: float, sent: Any = None) -> None:
    """One byte per connection per ``gap``, from one sender thread (no GIL contention);
    ``sent`` (a shared counter), when given, counts the bytes."""
    listener = socket.create_server(("127.0.0.1", 0))
    ports.put(listener.getsockname()[1])
    connections: list[socket.socket] = []
    lock = threading.Lock()

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.recv(65_536)
            conn.sendall(HEAD)
            with lock:
                connections.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    while True:
        with lock:
            current = list(connections)
        for conn in current:
            try:
                conn.send(b"a")
            except OSError:  # the client hung up: that is the point
                with lock:
                    connections.remove(conn)
        if sent is not None:
            with sent.get_lock():
                sent.value += len(current)
        deadline = time.perf_counter() + gap
        while time.perf_counter() < deadline:
            pass


async def measure(links: int, seconds: float, port: int) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    lags: list[float] = []

    async def monitor() -> None:
        while True:
            before = loop.time()
            await asyncio.sleep(INTERVAL)
            lags.append(loop.time() - before - INTERVAL)

    policy = FetchPolicy(allow_private_networks=True, timeout_seconds=seconds)
    # first use loads httpx, the CA bundle and more: not part of what a download costs
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    await asyncio.gather(fetch_url(f"http://127.0.0.1:{closed}/", policy), return_exceptions=True)
    watcher = asyncio.create_task(monitor())
    cpu, started = time.process_time(), time.monotonic()
    results = await asyncio.gather(
        *(fetch_url(f"http://127.0.0.1:{port}/{n}", policy) for n in range(links)),
        return_exceptions=True,
    )
    watcher.cancel()
    return {
        "wall_s": time.monotonic() - started,
        "cpu_s": time.process_time() - cpu,
        "worst_stall_ms": max(lags) * 1000,
        "p99_stall_ms": sorted(lags)[int(len(lags) * 0.99)] * 1000,
        "stalls_over_100ms": sum(lag > 0.1 for lag in lags),
        "failed": sum(isinstance(r, Exception) for r in results),
    }


def main() -> int:
    links, seconds, gap_us = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=serve, args=(ports, gap_us / 1e6), daemon=True)
    server.start()
    try:
        print(json.dumps(asyncio.run(measure(links, seconds, int(ports.get(timeout=30))))))
    finally:
        server.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
