"""The layer rules in pyproject.toml are enforced: a forbidden import breaks ``lint-imports``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_copy(tmp_path: Path, leak: tuple[str, str] | None) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on a copy of the project, with ``leak`` = (module file, import) added."""
    for package in ("bot", "translation"):
        shutil.copytree(
            PROJECT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")
    if leak is not None:
        module, statement = leak
        (tmp_path / module).write_text(f'"""A layer violation."""\n\n{statement}\n')
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_project_keeps_its_layers(tmp_path: Path) -> None:
    result = _lint_copy(tmp_path, None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("bot/core/_leak.py", "import telegram", "the core knows no front end"),
        ("bot/core/_leak.py", "from bot.telegram import rendering", "the core knows no front end"),
        ("bot/core/_leak.py", "from bot.storage import database", "the core knows no front end"),
        ("bot/storage/_leak.py", "from telegram import Bot", "storage adapters know no front end"),
        ("translation/_leak.py", "import bot.core.service", "the pipeline never imports the bot"),
    ],
)
def test_a_forbidden_import_breaks_the_build(
    tmp_path: Path, module: str, statement: str, contract: str
) -> None:
    result = _lint_copy(tmp_path, (module, statement))
    assert result.returncode != 0
    verdicts = [line.strip() for line in result.stdout.splitlines()]
    assert any(v.startswith(contract) and v.endswith("BROKEN") for v in verdicts), result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


def test_the_pipeline_has_one_cheap_public_api() -> None:
    """``import translation`` loads nothing heavy; every public name resolves on first use."""
    code = (
        "import sys, translation\n"
        "heavy = {'ctranslate2', 'sumy', 'trafilatura', 'lingua', 'torch', 'stanza', 'spacy'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
        "for name in translation.__all__:\n"
        "    assert getattr(translation, name) is not None, name\n"
        "assert not {'torch', 'stanza', 'spacy'} & set(sys.modules)\n"
        "print(len(translation.__all__))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=PROJECT
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 30
    with pytest.raises(AttributeError):
        import translation

        _ = translation.no_such_name
