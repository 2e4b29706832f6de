"""The event-loop stall monitor: it sees a loop blocked on purpose, and owners read it in /stats."""

from __future__ import annotations

import asyncio
import re
import time

from bot.telegram.loop_monitor import LoopLagMonitor
from tests.support.bot_harness import OWNER_ID, BotEnv
from tests.support.telegram_html import parse_telegram_html


async def test_monitor_measures_a_blocked_loop() -> None:
    monitor = LoopLagMonitor(interval=0.01)
    monitor.start()
    await asyncio.sleep(0.05)
    assert monitor.lag().checks >= 1
    time.sleep(0.3)  # noqa: ASYNC251 - blocking the loop on purpose, as CPU work would
    await asyncio.sleep(0.05)
    lag = await monitor.stop()
    assert lag.worst_ms >= 250  # no upper bound: a busy shared machine only adds to it
    assert lag.stalls >= 1 and lag.worst_at is not None
    assert lag.checks >= 2
    assert "worst stall" in lag.describe()
    checks = lag.checks
    await asyncio.sleep(0.05)
    assert monitor.lag().checks == checks, "stopped means stopped"


async def test_stats_shows_the_worst_stall(env: BotEnv) -> None:
    assert env.app is not None
    monitor = env.app.bot_data.monitor
    assert monitor is not None
    monitor.record(0.42)
    reply = await env.ask_one(OWNER_ID, "/stats", user_id=OWNER_ID)
    stats = parse_telegram_html(reply.text or "")
    found = re.search(r"Event loop: worst stall (\d+) ms \((\d+) stalls over 100 ms\)", stats)
    assert found is not None, stats
    assert int(found.group(1)) >= 420 and int(found.group(2)) >= 1
