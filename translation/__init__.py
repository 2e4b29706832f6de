"""Briefbot's offline language pipeline: detection, extraction, segmentation, summary, translation.

This module is the pipeline's public API: front ends and the bot import from here, not from the
sub-packages, which are organised by kind of work:

- ``translation.text``: normalisation, cleaning, segmentation, language detection, summaries;
- ``translation.web``: fetching with the SSRF guard, decompression, decoding, extraction;
- ``translation.models``: the CTranslate2 engine, batching and argos packages.

Importing this package stays cheap: names are loaded on first use (PEP 562), heavy libraries
(ctranslate2, sumy, trafilatura, lingua) are imported inside the modules that need them, and
argostranslate's ``translate``/``sbd`` modules are never imported at all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from translation.domain import (
        Algorithm,
        Detection,
        Document,
        FullTranslation,
        PipelineResult,
        SummaryOptions,
    )
    from translation.errors import (
        BinaryInputError,
        BriefbotError,
        FetchError,
        InputError,
        LanguageUncertainError,
        LimitExceededError,
        ModelLoadError,
        ModelMissingError,
        NoTextError,
    )
    from translation.inputs import FileInput, InputSource, TextInput, UrlInput
    from translation.models.argos_packages import (
        InstalledPackage,
        configure_packages_dir,
        list_installed,
    )
    from translation.models.argos_packages import install as install_package
    from translation.models.engine import EngineOptions, TranslationEngine
    from translation.models.package_builder import build_test_package
    from translation.pipeline import Pipeline, PipelineLimits, PreparedDocument
    from translation.prefetch import Prefetcher
    from translation.text.detection import detect_language
    from translation.text.detection import preload as preload_detectors
    from translation.web.decoding import decode_bytes
    from translation.web.feeds import (
        Feed,
        FeedEntry,
        FeedError,
        FeedPoll,
        FeedUnavailable,
        Validators,
        poll_feed,
    )
    from translation.web.fetching import FetchPolicy, find_urls
    from translation.web.opml import OpmlError, OpmlFeed, build_opml, parse_opml

#: public name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    **{
        name: ("translation.domain", name)
        for name in (
            "Algorithm",
            "Detection",
            "Document",
            "FullTranslation",
            "PipelineResult",
            "SummaryOptions",
        )
    },
    **{
        name: ("translation.errors", name)
        for name in (
            "BinaryInputError",
            "BriefbotError",
            "FetchError",
            "InputError",
            "LanguageUncertainError",
            "LimitExceededError",
            "ModelLoadError",
            "ModelMissingError",
            "NoTextError",
        )
    },
    **{
        name: ("translation.inputs", name)
        for name in ("FileInput", "InputSource", "TextInput", "UrlInput")
    },
    **{
        name: ("translation.models.argos_packages", name)
        for name in ("InstalledPackage", "configure_packages_dir", "list_installed")
    },
    "install_package": ("translation.models.argos_packages", "install"),
    "EngineOptions": ("translation.models.engine", "EngineOptions"),
    "TranslationEngine": ("translation.models.engine", "TranslationEngine"),
    "build_test_package": ("translation.models.package_builder", "build_test_package"),
    "Pipeline": ("translation.pipeline", "Pipeline"),
    "PipelineLimits": ("translation.pipeline", "PipelineLimits"),
    "PreparedDocument": ("translation.pipeline", "PreparedDocument"),
    "Prefetcher": ("translation.prefetch", "Prefetcher"),
    "detect_language": ("translation.text.detection", "detect_language"),
    "preload_detectors": ("translation.text.detection", "preload"),
    "decode_bytes": ("translation.web.decoding", "decode_bytes"),
    "FetchPolicy": ("translation.web.fetching", "FetchPolicy"),
    "find_urls": ("translation.web.fetching", "find_urls"),
    **{
        name: ("translation.web.feeds", name)
        for name in (
            "Feed",
            "FeedEntry",
            "FeedError",
            "FeedPoll",
            "FeedUnavailable",
            "Validators",
            "poll_feed",
        )
    },
    **{
        name: ("translation.web.opml", name)
        for name in ("OpmlError", "OpmlFeed", "build_opml", "parse_opml")
    },
}

__all__ = [
    "Algorithm",
    "BinaryInputError",
    "BriefbotError",
    "Detection",
    "Document",
    "EngineOptions",
    "Feed",
    "FeedEntry",
    "FeedError",
    "FeedPoll",
    "FeedUnavailable",
    "FetchError",
    "FetchPolicy",
    "FileInput",
    "FullTranslation",
    "InputError",
    "InputSource",
    "InstalledPackage",
    "LanguageUncertainError",
    "LimitExceededError",
    "ModelLoadError",
    "ModelMissingError",
    "NoTextError",
    "OpmlError",
    "OpmlFeed",
    "Pipeline",
    "PipelineLimits",
    "PipelineResult",
    "Prefetcher",
    "PreparedDocument",
    "SummaryOptions",
    "TextInput",
    "TranslationEngine",
    "UrlInput",
    "Validators",
    "build_opml",
    "build_test_package",
    "configure_packages_dir",
    "decode_bytes",
    "detect_language",
    "find_urls",
    "install_package",
    "list_installed",
    "parse_opml",
    "poll_feed",
    "preload_detectors",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'translation' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value
