"""Build valid argos ``.argosmodel`` packages with random weights for tests and benchmarks.

No real argos model can be downloaded here, so tests and benchmarks run on packages this
module makes: a SentencePiece model trained on text shipped in ``translation/data/spm_corpus``
and a CTranslate2 Transformer with random weights whose vocabulary is exactly the
SentencePiece pieces. The result installs with ``argostranslate.package.install_from_path``
and translates with stock argostranslate; only the output is gibberish.

The decoder's output bias forbids ``<unk>``, ``<s>`` and ``</s>``: random weights would not
emit end-of-sentence anyway, and forbidding it outright makes every output exactly as long
as the caller's decoding bound, which tests and benchmarks rely on.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np
import sentencepiece as spm

from translation.errors import InputError

PackageSize = Literal["tiny", "base"]

#: Bump when the output of the builder changes, so stale cached builds are not reused.
BUILDER_VERSION = 1
PACKAGE_VERSION = "1.0"
ARGOS_VERSION = "1.9.0"
SUPPRESSED_LOGIT_BIAS = -30.0
#: metadata.json key that marks a package as ours, with random weights (tools label their scores).
TEST_PACKAGE_KEY = "briefbot_test_package"

LANGUAGE_NAMES = {
    "ar": "Arabic",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "hu": "Hungarian",
    "it": "Italian",
    "ja": "Japanese",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sv": "Swedish",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "zh": "Chinese",
}


@dataclass(frozen=True)
class ModelShape:
    """Transformer dimensions and SentencePiece vocabulary of one package size."""

    encoder_layers: int
    decoder_layers: int
    d_model: int
    heads: int
    ffn: int
    vocab_size: int
    synthetic_sentences: int


SHAPES: dict[str, ModelShape] = {
    "tiny": ModelShape(2, 2, 64, 4, 256, 1000, synthetic_sentences=0),
    # transformer-base as in "Attention is all you need" and the argos packages.
    "base": ModelShape(6, 6, 512, 8, 2048, 32000, synthetic_sentences=120_000),
}

_sp_cache: dict[str, bytes] = {}
_sp_lock = threading.Lock()


def build_test_package(
    from_code: str,
    to_code: str,
    out_dir: Path,
    size: PackageSize = "tiny",
    seed: int = 0,
    *,
    cache_dir: Path | None = None,
) -> Path:
    """Write ``translate-{from}_{to}-{size}.argosmodel`` into ``out_dir`` and return its path.

    The zip is byte-for-byte deterministic for the same arguments. With ``cache_dir``, a
    package built before with the same arguments is copied from there instead of rebuilt.
    """
    _check_code(from_code)
    _check_code(to_code)
    if from_code == to_code:
        raise InputError(f"A package needs two different languages, got {from_code}→{to_code}.")
    if size not in SHAPES:
        raise InputError(f"Unknown package size {size!r}: use one of {', '.join(SHAPES)}.")
    out_dir.mkdir(parents=True, exist_ok=True)
    filename = f"translate-{from_code}_{to_code}-{size}.argosmodel"
    target = out_dir / filename
    if cache_dir is not None:
        cached = (
            cache_dir / f"{from_code}_{to_code}-{size}-seed{seed}-v{BUILDER_VERSION}.argosmodel"
        )
        if not cached.exists():
            cache_dir.mkdir(parents=True, exist_ok=True)
            _write_package(cached, from_code, to_code, SHAPES[size], size, seed, cache_dir)
        if cached.resolve() != target.resolve():
            _atomic_copy(cached, target)
        return target
    _write_package(target, from_code, to_code, SHAPES[size], size, seed, None)
    return target


def _check_code(code: str) -> None:
    if not (2 <= len(code) <= 8 and code.replace("-", "").isalnum() and code.islower()):
        raise InputError(f"Not a language code: {code!r} (expected e.g. 'de' or 'en').")


def _atomic_copy(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def _write_package(
    target: Path,
    from_code: str,
    to_code: str,
    shape: ModelShape,
    size: str,
    seed: int,
    cache_dir: Path | None,
) -> None:
    sp_model = sentencepiece_model(shape, size, cache_dir)
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    pair_seed = zlib.crc32(f"{from_code}-{to_code}-{seed}".encode())
    package_dir_name = f"translate-{from_code}_{to_code}"
    metadata = _metadata(from_code, to_code, size, seed, shape, len(pieces))
    with tempfile.TemporaryDirectory(prefix="briefbot-build-") as tmp:
        model_dir = Path(tmp) / "model"
        _save_random_transformer(model_dir, shape, pieces, pair_seed)
        files: dict[str, bytes] = {
            "metadata.json": json.dumps(metadata, indent=2, sort_keys=True).encode(),
            "README.md": _readme(metadata).encode(),
            "sentencepiece.model": sp_model,
        }
        for path in sorted(model_dir.iterdir()):
            files[f"model/{path.name}"] = path.read_bytes()
    tmp_target = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with zipfile.ZipFile(tmp_target, "w") as archive:
        archive.writestr(_zip_entry(f"{package_dir_name}/"), b"")
        archive.writestr(_zip_entry(f"{package_dir_name}/model/"), b"")
        for name, data in files.items():
            compress = not name.endswith(".bin")
            archive.writestr(_zip_entry(f"{package_dir_name}/{name}", compress), data)
    os.replace(tmp_target, target)


def _zip_entry(name: str, compress: bool = False) -> zipfile.ZipInfo:
    """A zip member with a fixed timestamp, so identical inputs give identical bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = (0o40755 << 16 | 0x10) if name.endswith("/") else (0o644 << 16)
    return info


def _metadata(
    from_code: str, to_code: str, size: str, seed: int, shape: ModelShape, vocab: int
) -> dict[str, Any]:
    return {
        "package_version": PACKAGE_VERSION,
        "argos_version": ARGOS_VERSION,
        "type": "translate",
        "code": f"translate-{from_code}_{to_code}",
        "from_code": from_code,
        "from_name": LANGUAGE_NAMES.get(from_code, from_code),
        "to_code": to_code,
        "to_name": LANGUAGE_NAMES.get(to_code, to_code),
        "links": [],
        TEST_PACKAGE_KEY: {
            "size": size,
            "seed": seed,
            "builder_version": BUILDER_VERSION,
            "random_weights": True,
            "layers": [shape.encoder_layers, shape.decoder_layers],
            "d_model": shape.d_model,
            "heads": shape.heads,
            "ffn": shape.ffn,
            "vocab_size": vocab,
        },
    }


def _readme(metadata: dict[str, Any]) -> str:
    return (
        f"# Briefbot test package {metadata['from_code']}→{metadata['to_code']}\n\n"
        "A CTranslate2 Transformer with RANDOM weights, built by "
        "translation.models.package_builder "
        "for tests and benchmarks. Its output is meaningless text.\n"
    )


# --- SentencePiece --------------------------------------------------------------------------


def sentencepiece_model(shape: ModelShape, size: str, cache_dir: Path | None = None) -> bytes:
    """The serialized SentencePiece model for one package size, trained once and cached."""
    recipe = f"{BUILDER_VERSION}:{shape.synthetic_sentences}:" + "\n".join(shipped_corpus())
    digest = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    key = f"spm-{size}-{shape.vocab_size}-{digest}"
    with _sp_lock:
        if key in _sp_cache:
            return _sp_cache[key]
        cached = cache_dir / f"{key}.model" if cache_dir is not None else None
        if cached is not None and cached.exists():
            model = cached.read_bytes()
        else:
            corpus = training_sentences(shape.synthetic_sentences)
            model = _train_sentencepiece(corpus, shape.vocab_size)
            if cached is not None:
                tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
                tmp.write_bytes(model)
                os.replace(tmp, cached)
        _sp_cache[key] = model
        return model


def _train_sentencepiece(sentences: list[str], vocab_size: int) -> bytes:
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=buffer,
        model_type="unigram",
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=1.0,
        # One thread and no shuffling keep the trained model identical across runs.
        num_threads=1,
        shuffle_input_sentence=False,
        input_sentence_size=0,
        max_sentence_length=8192,
        minloglevel=2,
    )
    return buffer.getvalue()


def shipped_corpus() -> list[str]:
    """The hand-written multilingual sentences shipped with the package."""
    root = resources.files("translation") / "data" / "spm_corpus"
    lines: list[str] = []
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".txt"):
            lines.extend(line for line in entry.read_text("utf-8").splitlines() if line.strip())
    return lines


def training_sentences(synthetic: int) -> list[str]:
    """Shipped text plus ``synthetic`` deterministic pseudo-word sentences.

    A ~32k vocabulary needs far more distinct strings than a few hundred real sentences
    hold, so the base size adds pseudo-words built from syllables, in Zipf-like frequencies.
    """
    real = shipped_corpus()
    if synthetic <= 0:
        return real
    return real * 20 + list(_pseudo_sentences(synthetic))


_ONSETS = [
    "", "b", "br", "ch", "d", "dr", "f", "fl", "g", "gr", "h", "k", "kl", "l", "m", "n", "p",
    "pf", "pr", "r", "s", "sch", "sp", "st", "str", "t", "tr", "v", "w", "z",
]  # fmt: skip
_NUCLEI = ["a", "e", "i", "o", "u", "ä", "ö", "ü", "ei", "au", "ie", "eu", "é", "è", "ou"]
_CODAS = ["", "", "n", "r", "s", "t", "l", "ch", "ng", "nd", "st", "m", "x", "ck", "tz"]


def _pseudo_sentences(count: int) -> Iterator[str]:
    rng = random.Random(20240611)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < 60_000:
        syllables = rng.choice((1, 2, 2, 3, 3, 4))
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_NUCLEI) + rng.choice(_CODAS) for _ in range(syllables)
        )
        if word not in seen:
            seen.add(word)
            words.append(word)
    cumulative = list(itertools.accumulate(1.0 / (rank + 10) for rank in range(len(words))))
    for _ in range(count):
        chosen = rng.choices(words, cum_weights=cumulative, k=rng.randint(6, 18))
        chosen[0] = chosen[0].capitalize()
        yield " ".join(chosen) + rng.choice((".", ".", ".", "?", "!"))


# --- CTranslate2 model ----------------------------------------------------------------------


def _ctranslate2_specs() -> ModuleType:
    """Import ``ctranslate2.specs`` without pulling in torch.

    The specs module imports torch only to accept torch tensors; we pass numpy arrays, and
    loading torch would cost ~1.8 s and ~300 MB in every test session that builds a package.
    """
    if "torch" in sys.modules or "ctranslate2.specs" in sys.modules:
        import ctranslate2.specs as specs

        return specs
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes "import torch" fail
    try:
        import ctranslate2.specs as specs
    finally:
        del sys.modules["torch"]
    return specs


def _save_random_transformer(
    model_dir: Path, shape: ModelShape, pieces: list[str], seed: int
) -> None:
    specs = _ctranslate2_specs()
    spec = specs.TransformerSpec.from_config(
        (shape.encoder_layers, shape.decoder_layers), shape.heads
    )
    rng = np.random.default_rng(seed)
    _fill_random(spec, specs.model_spec, rng, shape, len(pieces))
    bias = np.zeros(len(pieces), dtype=np.float32)
    for special in ("<unk>", "<s>", "</s>"):
        if special in pieces:
            bias[pieces.index(special)] = SUPPRESSED_LOGIT_BIAS
    spec.decoder.projection.bias = bias
    spec.register_source_vocabulary(pieces)
    spec.register_target_vocabulary(pieces)
    spec.validate()
    spec.optimize(quantization="int8")
    model_dir.mkdir(parents=True)
    spec.save(str(model_dir))


def _fill_random(
    spec: Any, model_spec: ModuleType, rng: np.random.Generator, shape: ModelShape, vocab: int
) -> None:
    """Give every required weight a random value of the shape its name implies."""
    d, ffn = shape.d_model, shape.ffn
    # (parent, linear) -> (rows, cols); CTranslate2 fuses Q/K/V (self-attention) and K/V
    # (encoder attention) into one matrix each. Every other linear is d x d.
    linear_shapes = {
        ("self_attention", "linear_0"): (3 * d, d),
        ("attention", "linear_1"): (2 * d, d),
        ("ffn", "linear_0"): (ffn, d),
        ("ffn", "linear_1"): (d, ffn),
        ("decoder", "projection"): (vocab, d),
    }

    def fill(layer: Any, name: str, value: Any) -> None:
        if value is not None:
            return
        *scopes, attr = name.split("/")
        owner = (scopes[-2] if len(scopes) > 1 else "", scopes[-1])
        if attr == "gamma":
            array = np.ones(d, dtype=np.float32)
        elif attr == "beta":
            array = np.zeros(d, dtype=np.float32)
        elif attr == "weight" and owner[-1].startswith("embeddings"):
            array = rng.standard_normal((vocab, d), dtype=np.float32) / np.sqrt(d)
        elif attr == "weight":
            rows, cols = linear_shapes.get(owner, (d, d))
            array = rng.standard_normal((rows, cols), dtype=np.float32) / np.sqrt(cols)
        else:
            raise ValueError(f"No rule for random weight {name}")
        setattr(layer, attr, array)

    model_spec.visit_spec(spec, fill)
