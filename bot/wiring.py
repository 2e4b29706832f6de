"""Builds the pipeline's parts from a Config; shared by the CLI and the bot so both behave alike."""

from __future__ import annotations

from concurrent.futures import Executor

from bot.config import Config
from translation.argos_packages import configure_packages_dir
from translation.engine import EngineOptions, TranslationEngine
from translation.fetching import FetchPolicy
from translation.pipeline import Pipeline, PipelineLimits


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


def build_engine(config: Config) -> TranslationEngine:
    configure_packages_dir(config.models.packages_dir)
    tc = config.translation
    options = EngineOptions(
        beam_size=tc.beam_size,
        compute_type=tc.compute_type,
        inter_threads=tc.inter_threads,
        intra_threads=tc.intra_threads,
        max_loaded_models=tc.max_loaded_models,
    )
    return TranslationEngine(config.models.packages_dir, options)


def build_pipeline(config: Config, executor: Executor | None = None) -> Pipeline:
    return Pipeline(
        build_engine(config),
        fetch_policy=fetch_policy(config),
        limits=pipeline_limits(config),
        executor=executor,
    )
