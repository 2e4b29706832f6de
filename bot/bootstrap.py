"""Builds the pipeline's parts from a Config; shared by the CLI and the bot so both behave alike."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Executor

from bot.config import Config
from bot.storage.translation_memory import SqliteTranslationMemory
from translation.models.argos_packages import configure_packages_dir
from translation.models.engine import EngineOptions, TranslationEngine
from translation.models.memory import (
    LayeredTranslationMemory,
    LruTranslationMemory,
    TranslationMemory,
)
from translation.pipeline import Pipeline, PipelineLimits
from translation.web.fetching import FetchPolicy


def fetch_policy(config: Config) -> FetchPolicy:
    return FetchPolicy(
        allow_private_networks=config.fetch.allow_private_networks,
        timeout_seconds=config.fetch.timeout_seconds,
        max_bytes=config.fetch.max_bytes,
    )


def pipeline_limits(config: Config) -> PipelineLimits:
    return PipelineLimits(
        max_text_chars=config.limits.max_text_chars,
        max_sentences=config.limits.max_sentences,
        max_file_bytes=config.limits.max_file_bytes,
    )


def engine_options(config: Config) -> EngineOptions:
    """The ``[translation]`` settings as the engine takes them (tools that build their own
    engine, like evaluation scripts, translate exactly as the bot does)."""
    return EngineOptions(**dataclasses.asdict(config.translation))


def translation_memory(config: Config) -> TranslationMemory:
    """Recently translated sentences in memory, in front of the bot's SQLite file (which it
    never creates: a CLI run without the bot's database gets the in-memory part only)."""
    return LayeredTranslationMemory(
        LruTranslationMemory(), SqliteTranslationMemory(config.storage.path)
    )


def build_engine(config: Config, *, memory: TranslationMemory | None = None) -> TranslationEngine:
    configure_packages_dir(config.models.packages_dir)
    return TranslationEngine(
        config.models.packages_dir,
        engine_options(config),
        memory=memory if memory is not None else translation_memory(config),
    )


def build_pipeline(config: Config, executor: Executor | None = None) -> Pipeline:
    return Pipeline(
        build_engine(config),
        fetch_policy=fetch_policy(config),
        limits=pipeline_limits(config),
        executor=executor,
    )
