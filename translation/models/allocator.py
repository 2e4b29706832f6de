"""Keep freed memory in the process, so CTranslate2's decoding does not fault pages in every step.

Each decoding step allocates and frees buffers of a few hundred KB to a few MB (attention
caches, beam reordering, GEMM outputs) from CTranslate2's worker threads. glibc's defaults serve
large blocks with ``mmap`` and return the free top of each arena to the kernel past a small,
adaptive threshold, so later steps get fresh pages that the kernel must fault in and zero
again, and under load (many batches of different shapes at once) that happens all the time.
Fixing both thresholds high (``M_MMAP_THRESHOLD`` 32 MB, glibc's ceiling; ``M_TRIM_THRESHOLD``
1 GB) keeps those pages for reuse. Measured on the 2-core VM (README, *Fifth round*): a base
model decoding batches of 8 takes 0.91-0.97x the CPU with a fifth to a ninth of the page
faults (``benchmarks.allocator``), and the whole bot under the load test 0.85-0.95x the CPU per
summary for 5-13 % more peak memory; a lone request is unchanged. Setting only the trim threshold is
worse than nothing: it also freezes glibc's adaptive mmap threshold at 128 KB.

The price is that memory freed in bulk stays with the process too: a dropped translator's
~100 MB of weights would be kept (the "Longer" prefetch rebuilds its background translator
for each model in turn, and the memory benchmark's peak went from 1.1 to 1.55 GB). So each
translator, once it is gone, calls ``give_back`` (the engine registers it with
``weakref.finalize``), which hands every arena's free pages to the kernel (``malloc_trim``).

An operator's own ``MALLOC_*_`` environment or ``GLIBC_TUNABLES`` wins; elsewhere than glibc
this does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import threading

log = logging.getLogger(__name__)

#: glibc's ``mallopt`` parameter numbers (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Blocks below this come from the arenas and are reused; glibc refuses more (HEAP_MAX_SIZE / 2).
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
#: Free memory at an arena's top is returned to the kernel only past this.
TRIM_THRESHOLD_BYTES = 1024 * 1024 * 1024
#: Environment variables by which an operator tunes glibc's malloc.
OPERATOR_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")

_lock = threading.Lock()
_state: str | None = None


def keep_freed_memory() -> str:
    """Fix glibc's trim and mmap thresholds once per process; say what was done.

    Returns ``"set"``, ``"operator"`` (the environment already tunes malloc), ``"not glibc"``
    or ``"refused"`` (``mallopt`` failed); later calls return the first answer.
    """
    global _state
    with _lock:
        if _state is None:
            _state = _apply()
            log.debug("malloc thresholds: %s", _state)
        return _state


def _apply() -> str:
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if any(os.environ.get(name) for name in OPERATOR_SETTINGS) or "glibc.malloc." in tunables:
        return "operator"
    if platform.libc_ver()[0] != "glibc":
        return "not glibc"
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # The mmap threshold first: fixing the trim threshold alone freezes the mmap one at 128 KB.
    if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1:
        return "refused"
    if mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) != 1:
        return "refused"
    return "set"


def give_back() -> bool:
    """Return the arenas' free memory to the kernel now (after dropping a translator): needed
    only when ``keep_freed_memory`` raised the thresholds. True if memory was released."""
    with _lock:
        if _state != "set":
            return False
    return bool(ctypes.CDLL(None).malloc_trim(0))
