"""The light install: argos-translate-lt instead of argostranslate, so neither PyTorch, stanza
nor spaCy is installed, and nothing Briefbot does imports them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "stanza", "spacy")


@pytest.mark.parametrize("module", HEAVY)
def test_the_heavy_stack_is_not_installed(module: str) -> None:
    assert importlib.util.find_spec(module) is None, f"{module} is installed"


def test_argos_translate_lt_provides_the_argostranslate_module() -> None:
    from importlib.metadata import distribution, packages_distributions

    assert "argos-translate-lt" in packages_distributions()["argostranslate"]
    assert distribution("argos-translate-lt").version.startswith("1.")


def test_the_bot_and_a_translation_import_none_of_it(packages_dir: Path) -> None:
    code = f"""
import asyncio, sys
import bot.cli, bot.telegram.app, bot.bootstrap
import argostranslate.package, argostranslate.translate
from translation import Pipeline, SummaryOptions, TextInput, TranslationEngine
from pathlib import Path
engine = TranslationEngine(Path({str(packages_dir)!r}))
text = "Der Stadtrat hat am Dienstag ein neues Verkehrskonzept beschlossen. " * 3
result = asyncio.run(Pipeline(engine).summarize(TextInput(text), ["en", "fr"], SummaryOptions()))
assert set(result.summaries) == {{"de", "en", "fr"}}, result.summaries
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
