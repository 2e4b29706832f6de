"""`make mutation`: mutation testing (mutmut) of the code that protects users and data.

A passing suite says the code works; a killed mutant says the suite would notice if it broke.
This runs mutmut on the functions listed in ``SCOPE`` (mutmut runs, per mutant, only the tests
that reached the mutated function; ``[tool.mutmut]`` in pyproject.toml lists the suites), then
prints the share of mutants killed per module and every survivor. Mutants that cannot change
behaviour are listed in ``EQUIVALENT`` with the reason and left out of the score.

    python -m tests.support.mutation [--jobs N] [--min-score 90] [--report-only]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Module -> the functions mutated there ("*": all). mutmut names a mutant
#: ``module.x_function__mutmut_N`` or ``module.xǁClassǁmethod__mutmut_N``.
SCOPE: dict[str, tuple[str, ...]] = {
    "bot.telegram.authz": ("*",),
    "translation.web.netguard": ("*",),
    # The fetch policy and its enforcement, not find_urls (which finds links in a message).
    "translation.web.fetching": (
        "x_fetch_url",
        "x__fetch",
        "x__checked_url",
        "x__refused",
        "x__redirect_location",
        "x__read_page",
        "x__check_status",
        "x__read_body",
        "x__too_large",
        "x__timeout_error",
        "x__as_fetch_error",
        "x__ssl_context",
        "xǁGuardedTransportǁ*",
    ),
    "bot.core.admission": ("*",),
    "bot.core.cache_keys": ("*",),
    "bot.storage.jobs_store": ("*",),
    "bot.telegram.callback_data": ("*",),
    # HTML escaping: what turns user text into Telegram HTML, and the length it is cut to.
    "bot.telegram.formatting": (
        "x_utf16_len",
        "x_escape",
        "x_clean_text",
        "x_one_line",
        "x__plain_char",
        "x__escaped_char",
        "xǁ_Measureǁprefix_fitting",
        "x_truncate",
        "x__safe_href",
        "x__heading",
        "x__italic",
        "xǁ_SummaryLayoutǁrender",
        "x__section_header",
        "x_render_error",
        "x_render_text",
    ),
}


def _named(module: str, function: str, *numbers: int) -> list[str]:
    return [f"{module}.{function}__mutmut_{n}" for n in numbers]


_FETCHING = "translation.web.fetching"
_NETGUARD = "translation.web.netguard"
_JOBS = "bot.storage.jobs_store"
_CALLBACK = "bot.telegram.callback_data"

_HEADER_CASE = "HTTP header names ignore case (httpx.Headers); the request is the same"
_SQL_CASE = "SQLite keywords and identifiers and sqlite3.Row keys ignore case"
_UNREACHABLE = "safety net: on Python 3.11 every address is_global rejects is in the tables"

#: Mutants that cannot change behaviour, each with the reason (left out of the score). The
#: names follow mutmut's numbering for the current source: when a module changes, the report
#: says which entries no longer exist, and they are re-checked by hand.
EQUIVALENT: dict[str, str] = {
    **dict.fromkeys(_named(_FETCHING, "x__fetch", 5, 6, 8, 9, 13, 14), _HEADER_CASE),
    **dict.fromkeys(_named(_FETCHING, "x__redirect_location", 8), _HEADER_CASE),
    **dict.fromkeys(_named(_FETCHING, "x__read_page", 10), _HEADER_CASE),
    **dict.fromkeys(_named(_FETCHING, "x__read_body", 7, 17), _HEADER_CASE),
    **dict.fromkeys(
        _named(_FETCHING, "x__read_body", 8), "a non-numeric default, like the empty one"
    ),
    **dict.fromkeys(_named(_FETCHING, "x__fetch", 44), "httpx upper-cases the method"),
    **dict.fromkeys(
        _named(_FETCHING, "x__fetch", 28, 31),
        "with its own transport httpx never uses an environment proxy (a test sets one)",
    ),
    **dict.fromkeys(
        _named(_JOBS, "xǁJobsStoreǁcreate_job", 15, 17, 18),
        "the payload reads back as the same dict whether non-ASCII is escaped or not",
    ),
    **dict.fromkeys(_named(_CALLBACK, "x_derive_secret", 9), "codec names ignore case"),
    **dict.fromkeys(
        _named(_FETCHING, "x__fetch", 22, 23, 27),
        "None and the default are both false: no redirects followed, no environment proxy",
    ),
    **dict.fromkeys(
        _named(_FETCHING, "x__checked_url", 67, 68, 69, 70, 71, 72, 73),
        "the default port only meets BLOCKED_PORTS, which has none of 80, 81, 443, 444",
    ),
    **dict.fromkeys(_named(_NETGUARD, "x__ipv4_reason", 3, 4, 5), _UNREACHABLE),
    **dict.fromkeys(_named(_NETGUARD, "x__ipv6_reason", 15, 16, 17), _UNREACHABLE),
    **dict.fromkeys(
        _named(_NETGUARD, "x_system_resolver", 4, 8),
        "the port and socket type change how often an address is listed, not which",
    ),
    **dict.fromkeys(
        _named(_JOBS, "x__job", 28, 30, 32, 34, 36, 38, 41, 43, 45, 47, 49, 51, 53), _SQL_CASE
    ),
    **dict.fromkeys(_named(_JOBS, "xǁJobsStoreǁcount_unfinished", 4, 6), _SQL_CASE),
    **dict.fromkeys(_named(_JOBS, "xǁJobsStoreǁcreate_job", 7, 8, 10, 12), _SQL_CASE),
    **dict.fromkeys(_named(_JOBS, "xǁJobsStoreǁget_job", 7, 8), _SQL_CASE),
    **dict.fromkeys(_named(_JOBS, "xǁJobsStoreǁset_progress_message", 8), _SQL_CASE),
    **dict.fromkeys(
        _named(_JOBS, "xǁJobsStoreǁcount_unfinished", 17, 20), "SELECT COUNT(*) always has a row"
    ),
    **dict.fromkeys(
        _named("bot.core.cache_keys", "x_make_cache_key", 22, 36),
        "ensure_ascii=None is false as well; Python's codec names ignore case",
    ),
    **dict.fromkeys(
        _named(_CALLBACK, "xǁCallbackCodecǁencode", 9, 10, 11, 12),
        "safety net: no payload that passes validation is longer than 50 bytes",
    ),
    **dict.fromkeys(
        _named(_CALLBACK, "x__validate", 16, 19, 20),
        "the argument count is checked just before, so zip's strictness never matters",
    ),
    # Not equivalent but out of mutmut's reach: these build ACTIONS when the module is
    # imported, and mutmut switches mutants on at call time, after that.
    **dict.fromkeys(
        [
            *_named(_CALLBACK, "x__one_of", 1, 2, 3, 4),
            *_named(_CALLBACK, "x__pattern", 1, 2, 3, 4, 5),
        ],
        "runs at import only (validator table); mutmut 3 cannot activate it in a test",
    ),
}

KILLED = frozenset({"killed", "timeout", "caught by type check", "segfault"})


def patterns() -> list[str]:
    """mutmut name globs for SCOPE."""
    return [
        f"{module}.{function}__mutmut_*"
        for module, functions in SCOPE.items()
        for function in functions
    ]


@dataclass
class ModuleScore:
    module: str
    statuses: Counter[str]
    survivors: list[str]
    equivalent: int

    @property
    def total(self) -> int:
        """Mutants tested (an interrupted run leaves some "not checked")."""
        return sum(n for status, n in self.statuses.items() if status != "not checked")

    @property
    def unchecked(self) -> int:
        return self.statuses["not checked"]

    @property
    def killed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status in KILLED)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 100.0


def _results() -> dict[str, str]:
    """Mutant name -> mutmut's status, from the ``.meta`` files of the last run."""
    from mutmut.stats import status_by_exit_code

    statuses: dict[str, str] = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, code in data.get("exit_code_by_key", {}).items():
            statuses[name] = status_by_exit_code[code]
    return statuses


def scores(statuses: dict[str, str]) -> list[ModuleScore]:
    globs = patterns()
    result: list[ModuleScore] = []
    for module in SCOPE:
        counted: Counter[str] = Counter()
        survivors: list[str] = []
        equivalent = 0
        for name, status in sorted(statuses.items()):
            if not name.startswith(module + ".") or not any(
                fnmatch.fnmatchcase(name, g) for g in globs
            ):
                continue
            if name in EQUIVALENT:
                equivalent += 1
                continue
            counted[status] += 1
            if status not in KILLED and status != "not checked":
                survivors.append(f"{name}: {status}")
        result.append(ModuleScore(module, counted, survivors, equivalent))
    return result


def report(results: list[ModuleScore]) -> str:
    lines = [f"{'module':28} {'tested':>7} {'killed':>6} {'score':>6} {'marked':>6} {'not run':>7}"]
    for r in results:
        lines.append(
            f"{r.module:28} {r.total:7d} {r.killed:6d} {r.score:5.1f}% "
            f"{r.equivalent:6d} {r.unchecked:7d}"
        )
    total = sum(r.total for r in results)
    killed = sum(r.killed for r in results)
    lines.append(f"{'all':28} {total:7d} {killed:6d} {100.0 * killed / max(total, 1):5.1f}%")
    survivors = [s for r in results for s in r.survivors]
    if survivors:
        lines += ["", "Not killed:", *(f"  {s}" for s in survivors)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--min-score", type=float, default=0.0)
    parser.add_argument("--report-only", action="store_true", help="only read the last run")
    args = parser.parse_args(argv)
    if not args.report_only:
        # Hypothesis runs derandomized (tests/conftest.py), so a mutant's verdict is repeatable.
        env = {**os.environ, "CI": "true"}
        command = [str(Path(sys.executable).with_name("mutmut")), "run"]
        command += ["--max-children", str(args.jobs), *patterns()]
        done = subprocess.run(command, cwd=ROOT, env=env, check=False)
        if done.returncode != 0:
            print(f"mutmut run failed with exit code {done.returncode}", file=sys.stderr)
            return done.returncode
    statuses = _results()
    results = scores(statuses)
    print(report(results))
    for name in sorted(set(EQUIVALENT) - set(statuses)):
        print(f"EQUIVALENT lists {name}, which mutmut no longer makes: update the list")
    below = [r.module for r in results if r.score < args.min_score]
    if below:
        print(f"below {args.min_score:g}%: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
