"""Plain value objects shared by every pipeline stage (no behaviour beyond serialisation)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Algorithm(StrEnum):
    """Summarizers users can pick. ``NEWS`` is Briefbot's default (position- and title-aware)."""

    NEWS = "news"
    LEXRANK = "lexrank"
    LSA = "lsa"
    LUHN = "luhn"
    TEXTRANK = "textrank"
    SUMBASIC = "sumbasic"
    KL = "kl"
    LEAD = "lead"


@dataclass(frozen=True)
class LanguageGuess:
    language: str
    probability: float


@dataclass(frozen=True)
class Detection:
    """Outcome of language identification; ``uncertain`` means "do not trust ``language``"."""

    language: str
    confidence: float
    candidates: tuple[LanguageGuess, ...] = ()
    uncertain: bool = False
    method: str = "langdetect"


@dataclass(frozen=True)
class Document:
    """Text ready for the pipeline: an extracted article or a cleaned paste."""

    text: str
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SummaryOptions:
    """How long a summary is (``sentences`` wins over ``ratio``) and which algorithm picks it."""

    sentences: int | None = 3
    ratio: float | None = None
    algorithm: Algorithm = Algorithm.NEWS

    def sentence_count(self, available: int) -> int:
        if self.sentences is not None:
            wanted = self.sentences
        elif self.ratio is not None:
            wanted = round(available * self.ratio)
        else:
            wanted = 3
        return max(1, min(wanted, available)) if available else 0


@dataclass
class PipelineResult:
    """A summary in the source language and in each target language, sentence-aligned."""

    source_language: str
    confidence: float
    detection: Detection
    title: str | None
    url: str | None
    sentence_count: int
    summaries: dict[str, list[str]]
    pivots: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    #: Per missing target, the package codes that would make it reachable ("ar-en").
    missing_packages: dict[str, list[str]] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    algorithm: str = Algorithm.NEWS.value
    #: The title translated into each target language (the original stays in ``title``).
    titles: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["detection"] = {
            "language": self.detection.language,
            "confidence": self.detection.confidence,
            "uncertain": self.detection.uncertain,
            "method": self.detection.method,
            "candidates": [asdict(c) for c in self.detection.candidates],
        }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PipelineResult:
        """The inverse of :meth:`to_json` (results are cached as JSON)."""
        fields = dict(data)
        det = fields.pop("detection")
        detection = Detection(
            language=det["language"],
            confidence=det["confidence"],
            candidates=tuple(LanguageGuess(**c) for c in det.get("candidates", ())),
            uncertain=det.get("uncertain", False),
            method=det.get("method", "langdetect"),
        )
        return cls(detection=detection, **fields)


@dataclass
class FullTranslation:
    """A whole text translated sentence by sentence, paragraphs preserved."""

    source_language: str
    target_language: str
    title: str | None
    url: str | None
    paragraphs: list[list[str]]
    pivot: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(" ".join(p) for p in self.paragraphs)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["text"] = self.text
        return data
