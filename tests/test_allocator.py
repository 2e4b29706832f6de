"""glibc keeps freed memory for the next decoding step instead of faulting fresh pages in.

Each check runs in a fresh interpreter, since malloc's thresholds are per process and this
one's were fixed when the session's engine loaded its first model.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: What each script starts with: the module under test, glibc's malloc and free.
PRELUDE = textwrap.dedent(
    """
    import ctypes, os, resource, sys
    from translation.models import allocator
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)
    """
)

#: Four 8 MB blocks allocated, written and freed, five times: the sizes of a decoding step's
#: buffers, past glibc's default mmap threshold and twice past its default trim threshold.
CYCLES = PRELUDE + textwrap.dedent(
    """
    if sys.argv[1] == "tuned":
        print(allocator.keep_freed_memory())
    size = 8 << 20

    def cycle():
        blocks = [libc.malloc(size) for _ in range(4)]
        for block in blocks:
            ctypes.memset(block, 1, size)
        for block in blocks:
            libc.free(block)

    cycle()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        cycle()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)
#: The pages those five cycles write.
CYCLE_PAGES = 5 * 4 * (8 << 20) // 4096

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")


def _run(script: str, argument: str, **env: str) -> list[str]:
    """Run ``script`` in a fresh interpreter without the caller's malloc settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    clean.pop("GLIBC_TUNABLES", None)
    done = subprocess.run(
        [sys.executable, "-c", script, argument],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.split()


@glibc_only
def test_freed_blocks_are_reused_without_page_faults() -> None:
    (untuned,) = _run(CYCLES, "default")
    state, tuned = _run(CYCLES, "tuned")
    assert state == "set"
    assert int(untuned) > CYCLE_PAGES // 2  # the defaults return the blocks and fault them in
    assert int(tuned) < CYCLE_PAGES // 50


@glibc_only
def test_an_operators_own_malloc_settings_win() -> None:
    state, faults = _run(CYCLES, "tuned", MALLOC_TRIM_THRESHOLD_="131072")
    assert state == "operator"
    assert int(faults) > CYCLE_PAGES // 2
    state, _ = _run(CYCLES, "tuned", GLIBC_TUNABLES="glibc.malloc.trim_threshold=131072")
    assert state == "operator"


GIVES_BACK = PRELUDE + textwrap.dedent(
    """
    print(allocator.keep_freed_memory())

    def rss_mb():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20

    blocks = [libc.malloc(1 << 20) for _ in range(200)]  # like a translator's weights
    for block in blocks:
        ctypes.memset(block, 1, 1 << 20)
    loaded = rss_mb()
    for block in blocks:
        libc.free(block)
    print(loaded - rss_mb())
    print(allocator.give_back())
    print(loaded - rss_mb())
    """
)


@glibc_only
def test_memory_freed_in_bulk_is_kept_until_given_back() -> None:
    state, kept_freed, released, after = _run(GIVES_BACK, "")
    assert state == "set"
    assert int(kept_freed) < 20  # the thresholds keep the 200 MB just freed
    assert released == "True"
    assert int(after) > 180  # give_back returns it to the kernel


LOADS_A_MODEL = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from translation.models import allocator
    from translation.models.engine import TranslationEngine
    engine = TranslationEngine(Path(sys.argv[1]))
    print(allocator._state)
    print(engine.translate(["Guten Morgen."], "de", "en").sentences[0] != "")
    print(allocator._state)
    engine.close()
    """
)


@glibc_only
def test_loading_a_model_fixes_the_thresholds_first(packages_dir: Path) -> None:
    assert _run(LOADS_A_MODEL, str(packages_dir)) == ["None", "True", "set"]
