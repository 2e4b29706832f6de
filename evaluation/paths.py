"""The shared eval folder: ``shared/eval`` in the nearest ancestor of the checkout that has it.

The main checkout sits next to ``shared`` (``/work/main``); a git worktree one level deeper
(``/work/wt/<name>``) finds the same folder instead of a missing sibling.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_eval_dir() -> Path:
    for ancestor in PROJECT_ROOT.parents:
        if (ancestor / "shared" / "eval").is_dir():
            return ancestor / "shared" / "eval"
    return PROJECT_ROOT.parent / "shared" / "eval"
