"""Cache keys: what makes two requests the same answer (content and every option that changes
the reply), so a cache lookup can never return a summary made for other settings."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable

_SPACE = re.compile(r"\s+")


def normalize_content(content: str) -> str:
    """The same text pasted twice (other whitespace, other Unicode composition) is one entry."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", content)).strip()


def make_cache_key(
    content: str,
    target_languages: Iterable[str],
    sentences: int,
    algorithm: str,
    version: str,
    kind: str = "summary",
    ratio: float | None = None,
) -> str:
    """sha256 over the normalized text or URL and everything that changes the answer.

    ``version`` should change whenever results would (pipeline version, installed models), so
    an upgrade never serves stale answers.
    """
    parts = {
        "kind": kind,
        "content": normalize_content(content),
        "targets": sorted(set(target_languages)),
        "sentences": sentences,
        "algorithm": str(algorithm),
        "version": version,
    }
    if ratio is not None:  # only the CLI asks by ratio; keys without one stay as they were
        parts["ratio"] = ratio
    encoded = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
