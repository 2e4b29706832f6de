"""A ``briefbot run`` subprocess from the outside: its memory, waiting, stopping it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Callable

import psutil


def peak_rss_mb(pid: int, sampled: int) -> float:
    """The kernel's high-water mark (VmHWM) of the process, or the highest sample seen."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return sampled / 2**20


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process and all its threads so far (0 once it is gone)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def minor_faults(pid: int) -> int:
    """Minor page faults of the process so far (0 once it is gone): pages the kernel had to
    map and zero, e.g. after malloc gave memory back."""
    fields = _stat(pid)
    return int(fields[7]) if fields else 0


def _stat(pid: int) -> list[str]:
    """``/proc/PID/stat`` after the command name (field 3 onwards), or [] once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return []


async def sample_rss(pid: int, peak: list[int]) -> None:
    """Fallback where /proc has no VmHWM: poll RSS a few times a second."""
    process = psutil.Process(pid)
    while True:
        try:
            peak[0] = max(peak[0], process.memory_info().rss)
        except psutil.Error:
            return
        await asyncio.sleep(0.25)


async def until(condition: Callable[[], bool], seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def stop_bot(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM (the graceful path), SIGKILL only if it does not exit in 30 s. Waits without
    blocking the loop: the Bot API server the bot talks to while stopping runs on it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        if not await until(lambda: process.poll() is not None, 30.0):
            process.kill()
    return process.wait(10)
