"""The bot under measurement, for the benchmarks that time or weigh the whole bot.

A loopback Bot API server that also notes when each update left it (where the bot receives
it), the TOML config of a ``briefbot run`` process, the process itself (the installed console
script), when a request was answered, what an owner's ``/models`` says, and which heavy
libraries a process has mapped. Outcome classification, RSS and shutdown come from
``load_test``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_models import PROJECT_ROOT, REALISTIC_LENGTH_RATIO
from benchmarks.replies import Request, classify
from bot.telegram.i18n import EN
from tests.support.bot_api_server import DEFAULT_TOKEN, BotApiServer
from tests.support.bot_harness import LOOPBACK_ARTICLES, OWNER_ID, bot_config

if TYPE_CHECKING:
    from bot.telegram.runtime import BriefApplication
    from translation.models.engine import TranslationEngine
from tests.support.telegram_html import parse_telegram_html

#: Libraries that must never be on the request path (argostranslate.translate pulls them in).
HEAVY_LIBRARIES = ("torch", "stanza", "spacy", "thinc")
HEAVY_MODULES = ("torch", "stanza", "spacy", "argostranslate.translate", "argostranslate.sbd")
_LOADED = re.compile(
    re.escape(EN["models.loaded"])
    .replace(re.escape("{count}"), r"(?P<count>\d+)")
    .replace(re.escape("{limit}"), r"(?P<limit>\d+)")
)

_STAGE = re.compile(
    "^"
    + re.escape(EN["stats.latency_line"])
    .replace(re.escape("{stage}"), r"\W*(?P<stage>\w+)")
    .replace(re.escape("{ms}"), r"(?P<ms>\d+(?:\.\d+)?)"),
    re.MULTILINE,
)


class HandoverServer(BotApiServer):
    """Also records when each message left in a ``getUpdates`` answer: the moment the bot
    receives it, unlike a push, which may wait for the next long poll."""

    def __init__(self) -> None:
        super().__init__()
        self.handed_over: dict[tuple[int, int], float] = {}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        batch = await super()._get_updates(params)
        now = time.monotonic()
        with self._lock:
            for update in batch:
                message = update.get("message")
                if message is not None:
                    key = (int(message["chat"]["id"]), int(message["message_id"]))
                    self.handed_over.setdefault(key, now)
        return batch


def write_config(
    path: Path,
    api_url: str,
    packages_dir: Path,
    targets: Sequence[str],
    **sections: dict[str, object],
) -> None:
    """A ``briefbot run`` config next to its database: loopback API, owner ``OWNER_ID``,
    chats wanting ``targets``, a realistic decoding bound; ``sections`` add or override keys."""
    tables: dict[str, dict[str, object]] = {
        "telegram": {"api_base_url": api_url, "owners": [OWNER_ID]},
        "storage": {"path": str(path.parent / "briefbot.sqlite3")},
        "models": {"packages_dir": str(packages_dir)},
        "defaults": {"target_languages": list(targets)},
        "translation": {"length_ratio": REALISTIC_LENGTH_RATIO, "length_extra": 0},
        "logging": {"level": "INFO"},
    }
    for name, values in sections.items():
        tables[name] = {**tables.get(name, {}), **values}
    # JSON spells these values (strings, numbers, booleans, lists) exactly as TOML does.
    text = "\n".join(
        f"[{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in table.items())
        for name, table in tables.items()
    )
    path.write_text(text, encoding="utf-8")


def in_process_bot(
    temp: Path, api_url: str, packages_dir: Path, targets: Sequence[str], engine: TranslationEngine
) -> BriefApplication:
    """The bot as the in-process benchmarks run it: loopback articles allowed, ``targets``, the
    engine's decoding bound, and the product's progress delay."""
    from bot.telegram.app import build_application  # only the in-process benchmarks need PTB

    config = bot_config(
        temp,
        api_url,
        packages_dir,
        defaults={"target_languages": tuple(targets)},
        fetch=LOOPBACK_ARTICLES,
        translation={"length_ratio": engine.options.length_ratio, "length_extra": 0},
    )
    return build_application(config, engine=engine)


def start_briefbot(
    config: Path,
    log: Path,
    role: Sequence[str] = ("run",),
    env_extra: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``briefbot run`` (or another ``role``: ``ingress``, ``worker …``) as an operator starts
    it (the console script next to this Python); ``env_extra`` adds BRIEFBOT_* settings."""
    script = Path(sys.executable).with_name("briefbot")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "bot.cli"]
    env = {**os.environ, "BRIEFBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN, "PYTHONUNBUFFERED": "1"}
    env.update(env_extra or {})
    with log.open("ab") as sink:
        return subprocess.Popen(
            [*command, *role, "--config", str(config)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def push_request(server: BotApiServer, chat_id: int, text: str, pushed: float) -> Request:
    """Send ``text`` from a private chat; the answer's latency counts from ``pushed``."""
    request = Request(chat_id, 0.0, "text", 0, pushed=pushed)
    request.message_id = int(server.push_message(chat_id, text)["message_id"])
    return request


def answer_time(server: BotApiServer, request: Request) -> float | None:
    """``time.monotonic()`` when the bot's final answer (a summary) reached the server."""
    classify(server, request)
    if request.outcome != "summary" or request.latency is None or request.pushed is None:
        return None
    return request.pushed + request.latency


def stage_medians(text: str) -> dict[str, float]:
    """Median milliseconds per pipeline stage from an owner's ``/stats`` answer (plain text)."""
    return {found["stage"]: float(found["ms"]) for found in _STAGE.finditer(text)}


def loaded_models(text: str) -> tuple[int, int] | None:
    """(loaded, limit) from an owner's ``/models`` answer (plain text)."""
    found = _LOADED.search(text)
    return (int(found["count"]), int(found["limit"])) if found else None


def heavy_libraries(pid: int) -> list[str]:
    """Heavy libraries whose files the process has mapped (shared objects, e.g. libtorch)."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return []
    parts = {part for path in paths for part in Path(path).parts}
    return [name for name in HEAVY_LIBRARIES if name in parts]


async def ask_owner(server: BotApiServer, command: str, wait_seconds: float = 30.0) -> str:
    """An owner's command (e.g. ``/models``) and the bot's answer as plain text."""
    since = time.monotonic()
    server.push_message(OWNER_ID, command)
    call = await server.wait_for(
        "sendMessage", lambda c: int(c.params["chat_id"]) == OWNER_ID, wait_seconds, since=since
    )
    return parse_telegram_html(str(call.params.get("text", "")))
