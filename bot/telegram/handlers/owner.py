"""Owner-only commands: /stats and /models (list; ``/models install PATH`` on the server)."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.telegram.authz import is_owner
from bot.telegram.formatting import render_text, split_message
from bot.telegram.handlers.messages import NEW_MESSAGES
from bot.telegram.i18n import t
from bot.telegram.runtime import BriefContext, Runtime, runtime, settings_and_ui

log = logging.getLogger(__name__)


async def _allowed(update: Update, rt: Runtime) -> str | None:
    """The UI language if the user is an owner; otherwise answers "not allowed"."""
    message = update.effective_message
    assert message is not None
    _settings, ui = await settings_and_ui(update, rt)
    if not is_owner(update.effective_user, rt.owners):
        await message.reply_text(render_text("error.not_allowed", ui), parse_mode=ParseMode.HTML)
        return None
    return ui


async def _reply_lines(update: Update, lines: list[str]) -> None:
    message = update.effective_message
    assert message is not None
    for part in split_message("\n".join(lines), escaped=True):
        await message.reply_text(part, parse_mode=ParseMode.HTML)


async def stats_command(update: Update, context: BriefContext) -> None:
    rt = runtime(context)
    ui = await _allowed(update, rt)
    if ui is None:
        return
    summary = await rt.service.stats()
    rate = summary.cache_hit_rate
    queue = rt.service.queue_status()
    errors = sum(n for outcome, n in summary.by_outcome.items() if outcome != "ok")
    lines = [
        t("stats.heading", ui),
        t("stats.requests", ui, total=summary.total, today=await _today(rt)),
        t("stats.cache_hit_rate", ui, rate="–" if rate is None else f"{rate:.0%}"),
        t("stats.errors", ui, count=errors),
        t("stats.queue", ui, length=queue.waiting, running=queue.running, capacity=queue.capacity),
        *_loop_lag_line(context, ui),
        t("stats.latency_heading", ui),
    ]
    lines += [
        t("stats.latency_line", ui, stage=stage, ms=f"{ms:.0f}")
        for stage, ms in sorted(summary.median_ms.items())
    ]
    await _reply_lines(update, lines)


def _loop_lag_line(context: BriefContext, ui: str) -> list[str]:
    monitor = context.bot_data.monitor
    if monitor is None:
        return []
    lag = monitor.lag()
    return [t("stats.loop_lag", ui, ms=f"{lag.worst_ms:.0f}", stalls=lag.stalls)]


async def _today(rt: Runtime) -> int:
    return (await rt.service.stats(since=time.time() - 86400.0)).total


async def models_command(update: Update, context: BriefContext) -> None:
    """List installed packages; ``/models install PATH`` installs a file or folder on the host."""
    rt = runtime(context)
    ui = await _allowed(update, rt)
    if ui is None:
        return
    args = context.args or []
    lines: list[str] = []
    if len(args) >= 2 and args[0] == "install":
        (result,) = await rt.service.install_models([" ".join(args[1:])])
        if result.error is not None:
            lines.append(f"⚠️ {result.error}")
        else:
            lines += [f"✓ {p.from_code} → {p.to_code} {p.version}" for p in result.packages]
            log.info("Owner installed %s", ", ".join(p.code for p in result.packages))
        lines.append("")
    packages = rt.engine.packages()
    lines.append(t("models.heading", ui))
    if not packages:
        lines.append(t("models.none", ui))
    for p in packages:
        name = f"{p.from_name} → {p.to_name}"
        lines.append(
            "• "
            + t(
                "models.line",
                ui,
                source=p.from_code,
                target=p.to_code,
                name=name,
                version=p.version,
            )
        )
    limit = rt.config.translation.max_loaded_models
    lines.append(t("models.loaded", ui, count=rt.engine.loaded_count(), limit=limit))
    await _reply_lines(update, lines)


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    return [
        CommandHandler("stats", stats_command, NEW_MESSAGES),
        CommandHandler("models", models_command, NEW_MESSAGES),
    ]
