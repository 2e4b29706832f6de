"""What a request can start from. The pipeline turns each of these into a cleaned Document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class TextInput:
    """Pasted text (may itself be HTML, which is then extracted)."""

    text: str


@dataclass(frozen=True)
class UrlInput:
    """A link to an article, fetched under the configured FetchPolicy."""

    url: str


@dataclass(frozen=True)
class FileInput:
    """An uploaded or local file: bytes plus a name whose suffix hints at the format."""

    data: bytes
    filename: str

    @property
    def suffix(self) -> str:
        return PurePath(self.filename).suffix.lower()


InputSource = TextInput | UrlInput | FileInput
