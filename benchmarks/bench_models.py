"""Shared setup for translation benchmarks: base-size packages, eval sentences, machine facts."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import ctranslate2

from translation.models.argos_packages import list_installed
from translation.models.package_builder import PackageSize, build_test_package

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
DEFAULT_WORK_DIR = PROJECT_ROOT / "build" / "bench"
SEED_ARTICLE = PROJECT_ROOT.parent / "shared" / "seed-article-de.txt"
#: Random weights never end a sentence: decode about as many tokens as a real model would.
REALISTIC_LENGTH_RATIO = 1.1

T = TypeVar("T")


def ensure_packages(
    work_dir: Path, pairs: Iterable[tuple[str, str]], size: PackageSize = "base"
) -> Path:
    """A packages dir under ``work_dir`` holding ``pairs``; builds are cached across runs."""
    from translation.models.argos_packages import install_from_path

    packages_dir = work_dir / f"packages-{size}"
    installed = {(p.from_code, p.to_code) for p in list_installed(packages_dir)}
    for source, target in pairs:
        if (source, target) in installed:
            continue
        started = time.perf_counter()
        file = build_test_package(
            source, target, work_dir / "files", size=size, cache_dir=work_dir / "cache"
        )
        install_from_path(file, packages_dir=packages_dir)
        print(
            f"# built/installed {size} {source}→{target} in {time.perf_counter() - started:.1f} s"
        )
    return packages_dir


def load_sentences(eval_dir: Path, field: str = "de", limit: int = 1000) -> list[str]:
    """The first ``limit`` ``field`` texts of ``mt_de_en.jsonl`` (read in place, never copied)."""
    path = eval_dir / "mt_de_en.jsonl"
    sentences: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if len(sentences) >= limit:
                break
            if line.strip():
                sentences.append(json.loads(line)[field])
    return sentences


def machine_info() -> str:
    """One line naming the machine, so figures are never quoted without it."""
    cpu = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"{ram:.0f} GiB RAM, "
        f"Python {platform.python_version()}, CTranslate2 {ctranslate2.__version__}, "
        f"load average {load}"
    )


def print_machine() -> None:
    print(f"# machine: {machine_info()}")
    print("# shared machine: other jobs may run at the same time (see the load average)")


def existing_file(value: str) -> Path:
    """argparse type: a path that must name a file (a usage error otherwise)."""
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no file at {path}")
    return path


def timed(run: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def median_run(run: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median wall time of ``repeat`` runs (the machine is shared; the median resists noise)."""
    runs = [timed(run) for _ in range(max(1, repeat))]
    return statistics.median(seconds for seconds, _ in runs), runs[-1][1]


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, interpolated between the samples."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q * 100) - 1]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Rows as a Markdown table (first column left-aligned, the rest right-aligned)."""
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
