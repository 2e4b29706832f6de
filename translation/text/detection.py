"""Language identification that is deterministic, thread-safe and honest about uncertainty.

Each detector where it measures best (``python -m evaluation.langid`` prints the figures):

* **Article-length text** (``LONG_TEXT_LETTERS`` letters or more): langdetect decides, on a
  bounded sample, so a 1 MB paste costs what an article costs (~16 ms for 100 kB). It runs from
  a private seeded factory with a fresh ``Detector`` per call: deterministic, and no lock.
* **Short text**: lingua's low-accuracy mode (character trigrams; ~60 MB for all product
  languages, 0.3-0.7 s to build) combined, naive-Bayes style, with how frequent each word is in
  each language (``translation.text.wordlists``, wordfreq's lists, ~170 MB). On lingua's test sets
  this beats lingua's high-accuracy mode, which for these 43 languages costs ~980 MB preloaded
  (4.2 s to build); lazily it grows to ~850 MB, or, capped, reloads 0.25 s models on most calls.
* **Mixed text**: sentence-aligned chunks are voted on separately; without a clear majority the
  answer is uncertain and the other languages appear among the candidates. The same votes name
  languages langdetect has no profile for (az, eo, ga, ms: Malay would come out Indonesian).

lingua and the word lists only consider ``ARGOS_LANGUAGES``, the languages Argos Translate
publishes models for: Briefbot can translate nothing else, so a short text in another language
cannot be served anyway, and each extra candidate costs accuracy on the languages that can.
langdetect runs unrestricted on long text, where the evidence suffices to name a language the
product cannot translate (say "hr") instead of forcing it onto a neighbour. On short text
langdetect is not consulted: as a second opinion it caught no more wrong answers than a stricter
threshold did, and cost 4 ms per call.

Gathering evidence (``gather_evidence``) is separate from deciding (``UncertaintyPolicy``), so
``evaluation/langid.py --calibrate`` can choose thresholds by measurement.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import regex

from translation.domain import Detection, LanguageGuess
from translation.text.wordlists import WordFrequencies, words_of

if TYPE_CHECKING:
    from langdetect.detector_factory import DetectorFactory
    from lingua import Language, LanguageDetector

T = TypeVar("T")

#: Every language of the Argos Translate package index (argostranslate 1.9), as source or target.
#: "zt" (traditional Chinese) is detected as "zh". lingua knows all 43; langdetect all but
#: az, eo, ga and ms.
ARGOS_LANGUAGE_NAMES: dict[str, str] = {
    "ar": "Arabic",
    "az": "Azerbaijani",
    "bg": "Bulgarian",
    "bn": "Bengali",
    "ca": "Catalan",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "eo": "Esperanto",
    "es": "Spanish",
    "et": "Estonian",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "ms": "Malay",
    "nb": "Norwegian Bokmål",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sq": "Albanian",
    "sv": "Swedish",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "zh": "Chinese",
}
ARGOS_LANGUAGES: frozenset[str] = frozenset(ARGOS_LANGUAGE_NAMES)

LONG_TEXT_LETTERS = 200
"""From this many letters on langdetect decides (it matches lingua from ~120 letters on)."""
SHORT_TEXT_METHOD = "lingua+words"
NOT_PROSE_METHOD = "not-prose"
"""No language: long input of a handful of repeated words (``PreparedText.varied``)."""
CHARACTER_WEIGHT = 0.5
"""Weight of lingua's log-confidence against the words' log-frequencies on short text."""

RAW_WINDOWS = 4
RAW_WINDOW_CHARS = 650
SAMPLE_LETTERS = 2_000
LONG_CHUNK_LETTERS = 250
SHORT_CHUNK_LETTERS = 20
"""Chunks for the mixed-language check: a few sentences of an article, or one of a short text."""
MAX_CANDIDATES = 5
MIN_DISTINCT_WORDS = 5

# langdetect has no profile for these Argos languages; the chunk votes name them instead.
_UNKNOWN_TO_LANGDETECT = frozenset({"az", "eo", "ga", "ms"})
_LANGDETECT_CODES = {"zh-cn": "zh", "zh-tw": "zh", "no": "nb"}

# Links with a scheme, www. or a path, and bare lower-case host names ("lemonde.fr"): what is
# left of them ("lemonde fr") would otherwise be read as prose in some language.
_URL = (
    r"(?:https?://|ftp://|www\.)\S+|\b(?:[\w-]+\.)+[a-z]{2,}/\S*"
    r"|(?-i:\b(?:[a-z0-9-]+\.)+[a-z]{2,24}\b)"
)
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_HANDLE = r"[@#][\w-]+"
_NOISE = regex.compile(rf"{_URL}|{_EMAIL}|{_HANDLE}", regex.IGNORECASE)
_SENTENCE_END = regex.compile(r"[.!?;:…。！？\n]+")
_NOT_LETTER = regex.compile(r"[^\p{L}\p{M}'’\n]+")
_VISIBLE = regex.compile(r"[^\s\p{Cf}]")
_LETTER = regex.compile(r"\p{L}")
_BLANK_LINES = regex.compile(r" *\n\s*")
_FIRST_TOKEN = regex.compile(r"\A\S*")
_LAST_TOKEN = regex.compile(r"\S*\Z")


@dataclass(frozen=True)
class Evidence:
    """What the detectors found, before any threshold is applied."""

    language: str
    scores: Mapping[str, float] = field(default_factory=dict)
    method: str = "none"
    words: int = 0
    letter_ratio: float = 0.0
    majority_share: float | None = None
    """Multi-chunk text: share of letters in chunks whose language is ``language``."""

    @property
    def confidence(self) -> float:
        return self.scores.get(self.language, 0.0)


@dataclass(frozen=True)
class UncertaintyPolicy:
    """When an answer is flagged ``uncertain``; defaults measured on the lingua test sets (even
    lines chosen, odd lines checked; ``evaluation/langid.py --calibrate`` reprints the sweep)."""

    short_thresholds: tuple[float, ...] = (0.995, 0.97, 0.7)
    """Minimum confidence on short text by word count: 1, 2, 3 or more words. Calibrated for at
    most 0.5% wrong confident answers: 0.995 and 0.97; for 3+ words 0.5 sufficed, 0.7 is kept as
    a margin for what the sets lack (mixed or unusual short texts)."""
    long_threshold: float = 0.75
    """Minimum confidence (langdetect blended with the majority share) on long text."""
    majority_share: float = 0.65
    """Below this share of the chunks the text is a mix with no clear winner."""
    min_letter_ratio: float = 0.5
    """Below this share of letters among visible characters it is not prose (binary, tables)."""

    def is_uncertain(self, evidence: Evidence) -> bool:
        if not evidence.language:
            return True
        if evidence.method == SHORT_TEXT_METHOD:
            index = min(max(evidence.words, 1), len(self.short_thresholds)) - 1
            threshold = self.short_thresholds[index]
        else:
            threshold = self.long_threshold
        share = evidence.majority_share
        return (
            evidence.confidence < threshold
            or (share is not None and share < self.majority_share)
            or evidence.letter_ratio < self.min_letter_ratio
        )

    def decide(self, evidence: Evidence) -> Detection:
        return Detection(
            language=evidence.language,
            confidence=round(evidence.confidence, 4),
            candidates=_candidates(evidence.scores, evidence.language),
            uncertain=self.is_uncertain(evidence),
            method=evidence.method,
        )


DEFAULT_POLICY = UncertaintyPolicy()


def detect_language(text: str, policy: UncertaintyPolicy = DEFAULT_POLICY) -> Detection:
    """Identify the language of ``text``; never raises, ``uncertain`` says when not to trust it.
    Empty, whitespace-only or letter-free input gives ``language=""`` and confidence 0."""
    return policy.decide(gather_evidence(text))


def gather_evidence(text: str) -> Evidence:
    prepared = prepare_text(text)
    if prepared.letters == 0:
        return Evidence(language="")
    if not prepared.varied:
        return Evidence(language="", method=NOT_PROSE_METHOD, letter_ratio=prepared.letter_ratio)
    if prepared.letters >= LONG_TEXT_LETTERS:
        return _long_text_evidence(prepared)
    return _short_text_evidence(prepared)


def preload() -> None:
    """Build every detector now (~3 s) so the first request does not wait for it."""
    _langdetect_factory()
    _low_accuracy_detector()
    _word_frequencies()


# -- text preparation --------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedText:
    """A bounded sample, one sentence per line, nothing in it but letters and apostrophes."""

    text: str
    letters: int
    letter_ratio: float

    @property
    def flat(self) -> str:
        return self.text.replace("\n", " ")

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def varied(self) -> bool:
        """False for long "text" of a handful of words repeated ("xxxx…", "lol lol …"): no
        language's prose says a hundred letters with fewer than ``MIN_DISTINCT_WORDS`` words,
        yet detectors answer confidently (4,000 × "x" is Somali to langdetect)."""
        if self.letters < LONG_TEXT_LETTERS:
            return True
        return len(set(self.text.lower().split())) >= MIN_DISTINCT_WORDS


def prepare_text(text: str) -> PreparedText:
    """Strip URLs, e-mail addresses, @mentions, #hashtags, digits, emoji and punctuation (they
    skew detectors). A long text is sampled in evenly spaced windows, each capped, so the cost
    is bounded and the sample still covers the whole text (and any mix of languages in it)."""
    cleaned = [_NOISE.sub(" ", window) for window in _windows(text)]
    if len(cleaned) > 1 and not any(_LETTER.search(piece) for piece in cleaned):
        cleaned = [_NOISE.sub(" ", text)]  # the windows missed the only prose; look at all of it
    budget = SAMPLE_LETTERS // len(cleaned)
    visible = letters = 0
    parts = []
    for piece in cleaned:
        visible += len(_VISIBLE.findall(piece))
        normalized = _BLANK_LINES.sub("\n", _NOT_LETTER.sub(" ", _SENTENCE_END.sub("\n", piece)))
        letters += len(_LETTER.findall(normalized))
        parts.append(_cap(normalized.strip(), budget))
    sample = "\n".join(part for part in parts if part)
    ratio = min(1.0, letters / visible) if visible else 0.0
    return PreparedText(sample, len(_LETTER.findall(sample)), ratio)


def _windows(text: str) -> list[str]:
    if len(text) <= RAW_WINDOW_CHARS * RAW_WINDOWS:
        return [text]
    step = (len(text) - RAW_WINDOW_CHARS) // (RAW_WINDOWS - 1)
    return [
        _whole_tokens(text, index * step, index * step + RAW_WINDOW_CHARS)
        for index in range(RAW_WINDOWS)
    ]


def _whole_tokens(text: str, start: int, end: int) -> str:
    """``text[start:end]`` without the tokens cut at its edges: a window starting inside a
    link would see "/la-politique-de-la-france.html" as French prose, not as a URL."""
    window = text[start:end]
    if start > 0 and not text[start - 1].isspace():
        window = _FIRST_TOKEN.sub("", window, count=1)
    if end < len(text) and not text[end].isspace():
        window = _LAST_TOKEN.sub("", window, count=1)
    return window


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit]


# -- long text: langdetect, with per-chunk votes ----------------------------------------------


def _long_text_evidence(prepared: PreparedText) -> Evidence:
    votes = _langdetect_probabilities(prepared.flat)
    # One chunk only (a short article): lingua+words' posterior stands in for the chunk votes.
    shares = _chunk_shares(prepared.text, LONG_CHUNK_LETTERS) or _short_text_scores(prepared.flat)
    if not votes or _best(shares) in _UNKNOWN_TO_LANGDETECT:
        # langdetect cannot name some languages (Malay comes out as Indonesian); lingua+words can.
        return _evidence(prepared, shares, shares, SHORT_TEXT_METHOD)
    if _best(votes) not in ARGOS_LANGUAGES:
        return _evidence(prepared, votes, {}, "langdetect")  # the votes cannot see it (say "hr")
    return _evidence(prepared, votes, shares, "langdetect")


# -- short text: lingua low-accuracy characters + word frequencies ------------------------------


def _short_text_evidence(prepared: PreparedText) -> Evidence:
    scores = _short_text_scores(prepared.flat)
    if not scores:
        return Evidence(language="", method=SHORT_TEXT_METHOD, letter_ratio=prepared.letter_ratio)
    shares = _chunk_shares(prepared.text, SHORT_CHUNK_LETTERS)
    return _evidence(prepared, scores, shares, SHORT_TEXT_METHOD)


def _short_text_scores(text: str) -> dict[str, float]:
    """Posterior over the languages lingua deems possible (its script rules zero the rest):
    softmax of weighted ln(character confidence) plus ln(frequency) of every word."""
    characters = _low_accuracy_confidences(text)
    if not characters:
        return {}
    words = words_of(text)
    frequencies = _word_frequencies()
    logits = {
        lang: CHARACTER_WEIGHT * math.log(value) + frequencies.log_likelihood(lang, words)
        for lang, value in characters.items()
    }
    top = max(logits.values())
    weights = {lang: math.exp(logit - top) for lang, logit in logits.items()}
    total = sum(weights.values())
    return {lang: weight / total for lang, weight in weights.items()}


# -- mixed-language text: votes per chunk ---------------------------------------------------------


def _evidence(
    prepared: PreparedText, votes: Mapping[str, float], shares: Mapping[str, float], method: str
) -> Evidence:
    """The winner of ``votes``; its confidence averaged with its share of the chunks, so a
    mix shows in the confidence and its other languages among the candidates."""
    language = _best(votes)
    blended = dict(votes)
    if shares:
        keys = set(votes) | set(shares)
        blended = {key: 0.5 * votes.get(key, 0.0) + 0.5 * shares.get(key, 0.0) for key in keys}
    return Evidence(
        language=language,
        scores=blended,
        method=method,
        words=prepared.words,
        letter_ratio=prepared.letter_ratio,
        majority_share=shares.get(language, 0.0) if shares else None,
    )


def _chunk_shares(text: str, chunk_letters: int) -> dict[str, float]:
    """Share of letters per language over sentence-aligned chunks (empty below two chunks)."""
    chunks = _chunks(text, chunk_letters)
    if len(chunks) < 2:
        return {}
    weights: dict[str, float] = {}
    total = 0
    for chunk in chunks:
        size = len(_LETTER.findall(chunk))
        total += size
        top = _best(_short_text_scores(chunk))
        if top:
            weights[top] = weights.get(top, 0.0) + size
    return {lang: weight / total for lang, weight in weights.items()} if total else {}


def _chunks(text: str, chunk_letters: int) -> list[str]:
    """Whole sentences (one per line) gathered until each chunk has ``chunk_letters``."""
    chunks: list[str] = []
    current: list[str] = []
    letters = 0
    for line in _bounded_lines(text, 2 * LONG_CHUNK_LETTERS):
        current.append(line)
        letters += len(_LETTER.findall(line))
        if letters >= chunk_letters:
            chunks.append(" ".join(current))
            current, letters = [], 0
    if current and letters >= chunk_letters // 2:
        chunks.append(" ".join(current))
    elif current and chunks:
        chunks[-1] += " " + " ".join(current)
    return chunks


def _bounded_lines(text: str, limit: int) -> Iterator[str]:
    """Sentences, but text without punctuation is cut every ``limit`` characters at a space."""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            yield line[:cut]
            line = line[cut:].lstrip()
        yield line


# -- detector construction (lazy, once, thread-safe) ------------------------------------------


_build_lock = threading.RLock()


def _once(build: Callable[[], T]) -> Callable[[], T]:
    """Build on first use, exactly once even under concurrent first calls; later calls take no
    lock. Importing this module therefore stays cheap."""
    built: list[T] = []

    def get() -> T:
        if not built:
            with _build_lock:
                if not built:
                    built.append(build())
        return built[0]

    return get


@_once
def _langdetect_factory() -> DetectorFactory:
    """A private, seeded factory with profiles loaded in sorted order (never the global one)."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    profiles = sorted(path for path in Path(PROFILES_DIRECTORY).iterdir() if path.is_file())
    factory.load_json_profile([path.read_text(encoding="utf-8") for path in profiles])
    factory.set_seed(0)
    return factory


@_once
def _low_accuracy_detector() -> LanguageDetector:
    from lingua import LanguageDetectorBuilder

    languages = [_lingua_language(code) for code in sorted(ARGOS_LANGUAGES)]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return builder.with_low_accuracy_mode().with_preloaded_language_models().build()


@_once
def _word_frequencies() -> WordFrequencies:
    return WordFrequencies.load(ARGOS_LANGUAGES)


# -- adapters and small helpers ----------------------------------------------------------------


def _langdetect_probabilities(text: str) -> dict[str, float]:
    from langdetect.lang_detect_exception import LangDetectException

    detector = _langdetect_factory().create()
    detector.append(text)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:  # no usable n-grams, e.g. only capitalised words
        return {}
    probabilities: dict[str, float] = {}
    for guess in ranked:
        code = _LANGDETECT_CODES.get(guess.lang, guess.lang)
        probabilities[code] = probabilities.get(code, 0.0) + guess.prob
    return probabilities


def _low_accuracy_confidences(text: str) -> dict[str, float]:
    values = _low_accuracy_detector().compute_language_confidence_values(text)
    return {_lingua_code(value.language): value.value for value in values if value.value > 0.0}


def _lingua_language(code: str) -> Language:
    from lingua import IsoCode639_1, Language

    return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))


def _lingua_code(language: Language) -> str:
    return str(language.iso_code_639_1.name).lower()


def _ranked(scores: Mapping[str, float]) -> list[str]:
    """Best first; ties broken by code so the order never depends on dict history."""
    return sorted(scores, key=lambda lang: (-scores[lang], lang))


def _best(scores: Mapping[str, float]) -> str:
    ranked = _ranked(scores)
    return ranked[0] if ranked else ""


def _candidates(scores: Mapping[str, float], winner: str) -> tuple[LanguageGuess, ...]:
    runners = [lang for lang in _ranked(scores) if lang != winner and scores[lang] >= 0.01]
    return tuple(LanguageGuess(lang, round(scores[lang], 4)) for lang in runners[:MAX_CANDIDATES])
