"""Where the team's shared read-only material (``shared/``: eval data, the seed article) is.

Next to the checkout in the main tree (``/work/main`` → ``/work/shared``), but a git worktree
lives one level deeper (``/work/wt/<name>``): the first ``shared`` folder up the tree wins.
"""

from __future__ import annotations

from pathlib import Path


def shared_dir() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared"
        if (candidate / "seed-article-de.txt").is_file():
            return candidate
    return here.parents[3] / "shared"


SEED_ARTICLE_DE = shared_dir() / "seed-article-de.txt"
