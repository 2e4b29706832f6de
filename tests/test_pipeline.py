"""The pipeline service layer end to end with real parts: detection, sumy, CTranslate2 models."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.shared import SEED_ARTICLE
from translation.domain import Algorithm, PipelineResult, SummaryOptions
from translation.errors import InputError, LimitExceededError, ModelMissingError, NoTextError
from translation.inputs import FileInput, TextInput
from translation.models.engine import TranslationEngine
from translation.pipeline import Pipeline, PipelineLimits, PreparedDocument

SEED = SEED_ARTICLE

ARTICLE_HTML = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Neue Brücke eröffnet | Lokalzeitung</title></head><body>
<nav><a href="/">Startseite</a> <a href="/politik">Politik</a></nav>
<div class="cookie">Wir verwenden Cookies. Alle akzeptieren</div>
<article><h1>Neue Brücke in Hamburg eröffnet</h1>
<p>Die neue Brücke über die Elbe ist am Montag nach vier Jahren Bauzeit eröffnet worden.
Der Bürgermeister sprach von einem wichtigen Tag für die Stadt.</p>
<p>Die Baukosten lagen bei rund 120 Millionen Euro und damit deutlich über der Planung.
Kritiker bemängeln seit Jahren die Verzögerungen beim Bau.</p>
<p>Täglich sollen künftig bis zu 40.000 Fahrzeuge die Brücke nutzen. Auch Radfahrer und
Fußgänger erhalten eigene Spuren, die durch Geländer vom Verkehr getrennt sind.</p>
</article><footer>© 2024 Lokalzeitung. Alle Rechte vorbehalten.</footer></body></html>"""


@pytest.fixture
def pipeline(engine: TranslationEngine) -> Pipeline:
    return Pipeline(engine)


async def test_text_summary_in_every_target(pipeline: Pipeline) -> None:
    text = SEED.read_text(encoding="utf-8")
    result = await pipeline.summarize(TextInput(text), ["en", "fr", "de"], SummaryOptions())
    assert result.source_language == "de"
    assert result.title == "Fluchtplan für Elon Musk? Russland bietet ihm Asyl an!"
    assert list(result.summaries) == ["de", "en", "fr"]
    assert all(len(s) == 3 for s in result.summaries.values())
    assert result.pivots == {"fr": "en"}
    assert not result.missing
    assert result.sentence_count > 10
    assert {"clean", "detect", "segment", "summarize", "translate"} <= set(result.timings_ms)


async def test_pivot_reuses_the_english_hop(pipeline: Pipeline, engine: TranslationEngine) -> None:
    """fr via en must equal en→fr applied to the en summary, so the de→en hop is shared."""
    text = SEED.read_text(encoding="utf-8")
    result = await pipeline.summarize(TextInput(text), ["en", "fr"], SummaryOptions())
    again = engine.translate(result.summaries["en"], "en", "fr").sentences
    assert again == result.summaries["fr"]


async def test_missing_language_keeps_the_rest(pipeline: Pipeline) -> None:
    text = SEED.read_text(encoding="utf-8")
    result = await pipeline.summarize(TextInput(text), ["ja", "en"], SummaryOptions(sentences=2))
    assert "ja" in result.missing and "ja" not in result.summaries
    assert result.missing_packages == {"ja": ["en-ja"]}  # de→en is installed: only en→ja lacks
    assert len(result.summaries["en"]) == 2


async def test_summary_bullets_lose_their_dateline_but_the_article_keeps_it(
    pipeline: Pipeline,
) -> None:
    text = (
        "Hamburg (dpa) – Die neue Brücke über die Elbe ist am Montag nach vier Jahren Bauzeit "
        "eröffnet worden. Der Bürgermeister sprach von einem wichtigen Tag für die Stadt. "
        "Die Baukosten lagen bei rund 120 Millionen Euro und damit deutlich über der Planung. "
        "Kritiker bemängeln seit Jahren die Verzögerungen beim Bau."
    )
    prepared = await pipeline.prepare(TextInput(text))
    assert prepared.sentences[0].startswith("Hamburg (dpa) – Die neue Brücke")
    result = pipeline.summarize_prepared(prepared, ["de"], SummaryOptions(sentences=2))
    assert result.summaries["de"][0].startswith("Die neue Brücke über die Elbe")


async def test_html_file_is_extracted(pipeline: Pipeline) -> None:
    source = FileInput(ARTICLE_HTML.encode("utf-8"), "page.html")
    result = await pipeline.summarize(source, ["en"], SummaryOptions(sentences=2))
    assert result.source_language == "de"
    assert result.title and "Brücke" in result.title
    joined = " ".join(result.summaries["de"])
    assert "Cookies" not in joined and "Rechte vorbehalten" not in joined
    assert "extract" in result.timings_ms


async def test_markdown_and_latin1_text_files(pipeline: Pipeline) -> None:
    text = SEED.read_text(encoding="utf-8")
    md = FileInput(("# " + text).encode("utf-8"), "article.md")
    result = await pipeline.summarize(md, [], SummaryOptions(sentences=1))
    assert result.source_language == "de" and len(result.summaries["de"]) == 1
    latin = FileInput(text.encode("latin-1", "ignore"), "a.txt")
    result = await pipeline.summarize(latin, [], SummaryOptions(sentences=1))
    assert result.source_language == "de"


@pytest.mark.parametrize(
    "source",
    [
        TextInput(""),
        TextInput("   \n\t "),
        TextInput("\u200b\u200d\ufeff"),
        FileInput(b"%PDF-1.7\n" + bytes(range(256)) * 8, "doc.txt"),
    ],
)
async def test_unusable_input(pipeline: Pipeline, source: TextInput | FileInput) -> None:
    with pytest.raises(InputError):
        await pipeline.summarize(source, ["en"], SummaryOptions())


async def test_a_few_words_repeated_are_no_text_not_a_language(pipeline: Pipeline) -> None:
    with pytest.raises(NoTextError, match="only a few words repeated"):
        await pipeline.summarize(TextInput("lol " * 500), ["en"], SummaryOptions())


async def test_limits_name_themselves(engine: TranslationEngine) -> None:
    small = Pipeline(engine, limits=PipelineLimits(max_text_chars=500, max_file_bytes=100))
    with pytest.raises(LimitExceededError) as exc:
        await small.summarize(TextInput("Ein Satz. " * 200), ["en"], SummaryOptions())
    assert exc.value.limit == "max_text_chars"
    with pytest.raises(LimitExceededError) as exc:
        await small.summarize(FileInput(b"x" * 101, "a.txt"), ["en"], SummaryOptions())
    assert exc.value.limit == "max_file_bytes"
    few = Pipeline(engine, limits=PipelineLimits(max_sentences=5))
    with pytest.raises(LimitExceededError) as exc:
        await few.summarize(TextInput(SEED.read_text(encoding="utf-8")), [], SummaryOptions())
    assert exc.value.limit == "max_sentences"


async def test_single_word_is_flagged_uncertain(pipeline: Pipeline) -> None:
    result = await pipeline.summarize(TextInput("Hallo"), ["en"], SummaryOptions())
    assert result.detection.uncertain
    assert result.summaries[result.source_language] == ["Hallo"]


async def test_full_translation_keeps_paragraphs(pipeline: Pipeline) -> None:
    prepared = await pipeline.prepare(TextInput(SEED.read_text(encoding="utf-8")))
    full = pipeline.translate_prepared(prepared, "fr")
    assert full.pivot == "en"
    assert [len(p) for p in full.paragraphs] == [len(p) for p in prepared.paragraphs]
    assert full.title and full.title != prepared.document.title
    assert all(s for p in full.paragraphs for s in p)
    same = pipeline.translate_prepared(prepared, "de")
    assert same.paragraphs == prepared.paragraphs and same.pivot is None
    with pytest.raises(ModelMissingError):
        pipeline.translate_prepared(prepared, "ja")


async def test_prepared_document_and_result_roundtrip_json(pipeline: Pipeline) -> None:
    prepared = await pipeline.prepare(TextInput(SEED.read_text(encoding="utf-8")))
    restored = PreparedDocument.from_json(prepared.to_json())
    assert restored.paragraphs == prepared.paragraphs
    assert restored.detection == prepared.detection
    options = SummaryOptions(sentences=2, algorithm=Algorithm.LEAD)
    a = pipeline.summarize_prepared(prepared, ["en"], options)
    b = pipeline.summarize_prepared(restored, ["en"], options)
    assert a.summaries == b.summaries
    assert PipelineResult.from_json(a.to_json()).summaries == a.summaries


async def test_the_title_is_translated_in_the_same_batch(
    pipeline: Pipeline, engine: TranslationEngine
) -> None:
    """Issue 14: one extra sentence per target, split off again; the original stays."""
    text = SEED.read_text(encoding="utf-8")
    result = await pipeline.summarize(TextInput(text), ["en", "fr"], SummaryOptions())
    assert result.title == "Fluchtplan für Elon Musk? Russland bietet ihm Asyl an!"
    assert set(result.titles) == {"en", "fr"}
    assert all(len(s) == 3 for s in result.summaries.values())
    batch = [*result.summaries["de"], result.title]
    assert engine.translate(batch, "de", "en").sentences == [
        *result.summaries["en"],
        result.titles["en"],
    ]
    assert PipelineResult.from_json(result.to_json()).titles == result.titles


async def test_cpu_stages_run_one_at_a_time_but_translation_does_not_wait_for_them(
    engine: TranslationEngine,
) -> None:
    """A burst of requests runs its Python stages one after another (they hold the GIL anyway)
    instead of all at once beside the older requests' translation threads; a request waiting
    on decoding holds no stage."""
    with ThreadPoolExecutor(8) as executor:
        pipeline = Pipeline(engine, executor=executor)
        lock = threading.Lock()
        running, most = [0], [0]

        def stage() -> None:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

        await asyncio.gather(*(pipeline._run(stage) for _ in range(6)))
        assert most[0] == 1

        translating = threading.Event()
        released = threading.Event()

        def waits_on_decoding() -> None:
            translating.set()
            released.wait(10)

        waiting = asyncio.ensure_future(pipeline._run_translating(waits_on_decoding))
        await asyncio.to_thread(translating.wait, 10)
        await asyncio.wait_for(pipeline._run(stage), 5)  # not held up by the waiting request
        released.set()
        await waiting
