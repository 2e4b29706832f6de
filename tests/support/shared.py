"""Where the read-only ``shared`` folder is: the nearest ancestor of the checkout that has one.

The main checkout sits next to it (``/work/main`` and ``/work/shared``); a git worktree may sit
one level deeper (``/work/wt/<name>``), so a fixed ``parents[2]`` misses it there.
"""

from __future__ import annotations

from pathlib import Path


def shared_dir() -> Path:
    here = Path(__file__).resolve()
    for ancestor in here.parents:
        if (ancestor / "shared" / "seed-article-de.txt").is_file():
            return ancestor / "shared"
    return here.parents[3] / "shared"


SEED_ARTICLE = shared_dir() / "seed-article-de.txt"
