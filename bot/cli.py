"""The ``briefbot`` command line: the pipeline from a shell, model management, and ``run``.

Errors are one line on stderr with a documented exit code (2 usage/input, 3 model, 4 fetch,
5 storage), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from bot.cli_logging import configure_cli_logging
from bot.core.requests import Source
from translation import (
    Algorithm,
    BriefbotError,
    FullTranslation,
    InputError,
    PipelineResult,
    SummaryOptions,
)

if TYPE_CHECKING:
    from translation import PreparedDocument

EXIT_INTERNAL = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit code 2."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see '{self.prog} --help')", 2)


def _fail(message: str, code: int) -> NoReturn:
    print(f"briefbot: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def _languages(value: str) -> list[str]:
    codes = [c.strip().lower() for c in value.split(",") if c.strip()]
    if not codes or not all(re.fullmatch(r"[a-z]{2,3}", c) for c in codes):
        raise argparse.ArgumentTypeError(f"invalid language list {value!r} (expected e.g. en,fr)")
    return codes


def _ratio(value: str) -> float:
    try:
        ratio = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid ratio {value!r}") from None
    if not 0 < ratio <= 1:
        raise argparse.ArgumentTypeError("ratio must be in (0, 1]")
    return ratio


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--config", type=Path, help="TOML config file (or env BRIEFBOT_CONFIG)")
    common.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS, help="show library logs too"
    )
    parser = _Parser(prog="briefbot", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("summarize", parents=[common], help="summarize and translate a text")
    p.add_argument("--to", type=_languages, default=None, help="target languages, e.g. en,fr")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--sentences", type=_positive, default=None)
    length.add_argument("--ratio", type=_ratio, default=None)
    p.add_argument("--algorithm", choices=[a.value for a in Algorithm], default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("input", help="FILE, URL or - for stdin")

    p = sub.add_parser("translate", parents=[common], help="translate a whole text")
    p.add_argument("--to", type=_languages, required=True)
    p.add_argument("--json", action="store_true")
    p.add_argument("input", help="FILE, URL or - for stdin")

    p = sub.add_parser("detect", parents=[common], help="detect the language of a text")
    p.add_argument("--json", action="store_true")
    p.add_argument("input", help="FILE or - for stdin")

    models = sub.add_parser("models", parents=[common], help="manage translation models")
    msub = models.add_subparsers(dest="models_command", required=True, parser_class=_Parser)
    p = msub.add_parser("list", parents=[common])
    p.add_argument("--json", action="store_true")
    p = msub.add_parser("install", parents=[common])
    p.add_argument("paths", nargs="+", help=".argosmodel files, folders of them, or codes (de-en)")
    p = msub.add_parser("build-test-package", parents=[common])
    p.add_argument("from_code")
    p.add_argument("to_code")
    p.add_argument("--size", choices=["tiny", "base"], default="tiny")
    p.add_argument("--out", type=Path, required=True)

    p = sub.add_parser(
        "demo", parents=[common], help="the whole pipeline with tiny random-weight test models"
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("input", nargs="?", default="examples/artikel-de.txt", help="FILE or URL")

    sub.add_parser("run", parents=[common], help="run the Telegram bot")
    metrics = _Parser(add_help=False)
    metrics.add_argument("--metrics-port", type=_positive, default=None, help="serve /metrics")
    metrics.add_argument("--metrics-address", default="127.0.0.1", help="where /metrics listens")
    sub.add_parser(
        "ingress",
        parents=[common, metrics],
        help="take updates and queue jobs ([storage] url needed)",
    )
    p = sub.add_parser(
        "worker", parents=[common, metrics], help="work on queued jobs ([storage] url)"
    )
    p.add_argument("--concurrency", type=_positive, default=None, help="jobs at once")
    p.add_argument(
        "--stalled-after",
        type=_positive,
        default=30,
        help="seconds without a heartbeat before a worker's jobs go to another worker",
    )
    db = sub.add_parser("db", parents=[common], help="manage the database")
    db.add_subparsers(dest="db_command", required=True, parser_class=_Parser).add_parser(
        "migrate", parents=[common], help="bring the [storage] schema up to date"
    )
    return parser


class LocalFiles:
    """The CLI's FilePort: files named on the command line (or stdin), read once up front."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def add(self, file_id: str, data: bytes) -> None:
        self._data[file_id] = data

    async def download(self, file_id: str, max_bytes: int) -> bytes:
        # Handed over as read (one byte past the limit at most): the pipeline reports the limit.
        return self._data[file_id]


def _read_bytes(arg: str, max_bytes: int) -> tuple[bytes, str]:
    """(data, name) of a file or stdin; one byte past ``max_bytes`` at most, so the pipeline
    reports the file-size limit itself."""
    if arg == "-":
        return sys.stdin.buffer.read(max_bytes + 1), "stdin"
    path = Path(arg)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"{arg}: not a file")
        with path.open("rb") as handle:
            data = handle.read(min(size, max_bytes) + 1)
    except FileNotFoundError:
        raise InputError(f"{arg}: no such file") from None
    except (IsADirectoryError, PermissionError, OSError) as exc:
        raise InputError(f"{arg}: cannot read ({exc.strerror or exc})") from None
    return data, path.name


def _source(arg: str, max_bytes: int, files: LocalFiles) -> Source:
    """A URL, or a file/stdin as the same kind of source a chat's document is."""
    if re.match(r"^https?://", arg, re.IGNORECASE):
        return Source("url", arg)
    data, name = _read_bytes(arg, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    files.add(digest, data)
    return Source("file", digest, filename=name, file_size=len(data), file_unique_id=digest)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _print_summary(result: PipelineResult) -> None:
    if result.title:
        print(result.title)
    if result.url:
        print(result.url)
    flag = ", uncertain" if result.detection.uncertain else ""
    print(f"Language: {result.source_language} (confidence {result.confidence:.2f}{flag})")
    for lang, sentences in result.summaries.items():
        via = f" (via {result.pivots[lang]})" if lang in result.pivots else ""
        print(f"\n[{lang}]{via}")
        for sentence in sentences:
            print(f"- {sentence}")
    for lang, why in result.missing.items():
        print(f"\n[{lang}] not available: {why}")


def _print_translation(tr: FullTranslation) -> None:
    if tr.title:
        print(tr.title + "\n")
    print(tr.text)


def _summary_options(args: argparse.Namespace, defaults: Any) -> SummaryOptions:
    sentences = args.sentences
    if sentences is None and args.ratio is None:
        sentences = defaults.summary_sentences
    algorithm = Algorithm(args.algorithm or defaults.algorithm)
    return SummaryOptions(sentences=sentences, ratio=args.ratio, algorithm=algorithm)


def _cmd_summarize(args: argparse.Namespace, config: Any) -> int:
    """The bot's own service API, with the configured storage (results cache included)."""
    from bot.bootstrap import Core

    files = LocalFiles()
    source = _source(args.input, config.limits.max_file_bytes, files)
    targets = args.to if args.to is not None else list(config.defaults.target_languages)
    options = _summary_options(args, config.defaults)

    async def run() -> PipelineResult:
        async with Core(config, install_models=False) as core:
            service = core.service

            async def document() -> PreparedDocument:
                return await service.prepare(source, files)

            result, _cache_hit = await service.summarize(
                source.content_key(), document, targets, options
            )
            return result

    result = asyncio.run(run())
    if args.json:
        _print_json(result.to_json())
    else:
        _print_summary(result)
    # Every requested language must be delivered; a missing model is exit code 3.
    if result.missing:
        first = next(iter(result.missing.values()))
        print(f"briefbot: error: {first}", file=sys.stderr)
        return 3
    return 0


def _cmd_translate(args: argparse.Namespace, config: Any) -> int:
    from bot.bootstrap import Core

    files = LocalFiles()
    source = _source(args.input, config.limits.max_file_bytes, files)

    async def run() -> list[FullTranslation]:
        async with Core(config, install_models=False) as core:
            document = await core.service.prepare(source, files)
            return [await core.service.translate_document(document, t) for t in args.to]

    results = asyncio.run(run())
    if args.json:
        data = [r.to_json() for r in results]
        _print_json(data[0] if len(data) == 1 else data)
    else:
        for tr in results:
            _print_translation(tr)
    return 0


def _cmd_detect(args: argparse.Namespace, config: Any) -> int:
    from translation import decode_bytes, detect_language

    data, _name = _read_bytes(args.input, config.limits.max_file_bytes)
    if len(data) > config.limits.max_file_bytes:
        raise InputError(f"input is larger than {config.limits.max_file_bytes:,} bytes")
    text, _ = decode_bytes(data)
    if not text.strip():
        raise InputError("there is no text to detect a language in")
    det = detect_language(text)
    if args.json:
        _print_json(
            {
                "language": det.language,
                "confidence": det.confidence,
                "uncertain": det.uncertain,
                "method": det.method,
                "candidates": [
                    {"language": c.language, "probability": c.probability} for c in det.candidates
                ],
            }
        )
    else:
        flag = " (uncertain)" if det.uncertain else ""
        print(f"{det.language or 'unknown'} {det.confidence:.2f}{flag}")
    return 0


def _cmd_models(args: argparse.Namespace, config: Any) -> int:
    from translation import configure_packages_dir, install_package

    configure_packages_dir(config.models.packages_dir)
    if args.models_command == "list":
        return _models_list(args, config)
    if args.models_command == "install":
        for item in args.paths:
            installed = install_package(item, packages_dir=config.models.packages_dir)
            for pkg in installed:
                print(f"installed {pkg.from_code}→{pkg.to_code} ({pkg.version}) from {item}")
        return 0
    from translation import build_test_package

    path = build_test_package(args.from_code, args.to_code, args.out, size=args.size)
    print(path)
    return 0


def _models_list(args: argparse.Namespace, config: Any) -> int:
    from bot.bootstrap import build_engine
    from translation import list_installed

    packages = list_installed(config.models.packages_dir)
    engine = build_engine(config)
    reachable = {src: sorted(engine.reachable_targets(src)) for src in sorted(engine.languages())}
    if args.json:
        _print_json(
            {
                "packages_dir": str(config.models.packages_dir),
                "packages": [
                    {
                        "from_code": p.from_code,
                        "to_code": p.to_code,
                        "from_name": p.from_name,
                        "to_name": p.to_name,
                        "version": p.version,
                        "path": str(p.path),
                    }
                    for p in packages
                ],
                "reachable": reachable,
            }
        )
        return 0
    print(f"Models directory: {config.models.packages_dir}")
    if not packages:
        print("No models installed there (see 'briefbot models install --help').")
        return 0
    for p in packages:
        print(f"{p.from_code}→{p.to_code}  {p.from_name} → {p.to_name}  v{p.version}")
    for src, targets in reachable.items():
        print(f"{src} reaches: {', '.join(targets) or '-'}")
    return 0


DEMO_PAIRS = (("de", "en"), ("en", "fr"))


def _cmd_demo(args: argparse.Namespace, config: Any) -> int:
    """``summarize --to en,fr`` with tiny test packages built into a temporary models folder:
    the whole pipeline in seconds, without a bot token or real models."""
    import dataclasses
    import tempfile

    from translation import build_test_package, install_package

    with tempfile.TemporaryDirectory(prefix="briefbot-demo-") as tmp:
        root = Path(tmp)
        for from_code, to_code in DEMO_PAIRS:
            package = build_test_package(from_code, to_code, root / "files")
            install_package(str(package), packages_dir=root / "models")
        demo = dataclasses.replace(
            config,
            models=dataclasses.replace(config.models, packages_dir=root / "models", install=()),
            storage=dataclasses.replace(config.storage, path=root / "demo.sqlite3"),
        )
        for name, value in (("to", ["en", "fr"]), ("sentences", None), ("ratio", None)):
            setattr(args, name, value)
        args.algorithm = None
        if not args.json:
            print(DEMO_NOTICE + "\n")
        code = _cmd_summarize(args, demo)
        if not args.json:
            print("\n" + DEMO_NOTICE)
        return code


DEMO_NOTICE = (
    "[demo] Translation by tiny test models with RANDOM weights, built just now: language "
    "detection, extraction and the summary are real, the English and French lines are "
    "meaningless by design. Real models: see 'Install translation models' in the README."
)


def _cmd_run(args: argparse.Namespace, config: Any) -> int:
    from bot.telegram.app import run_bot

    run_bot(config)
    return 0


def _serve_metrics(args: argparse.Namespace) -> None:
    if args.metrics_port:
        from bot.metrics import serve_metrics

        serve_metrics(args.metrics_port, args.metrics_address)


def _cmd_ingress(args: argparse.Namespace, config: Any) -> int:
    from bot.telegram.app import run_bot

    _serve_metrics(args)
    run_bot(config, role="ingress")
    return 0


def _cmd_worker(args: argparse.Namespace, config: Any) -> int:
    from bot.telegram.worker import run_worker

    _serve_metrics(args)
    concurrency = args.concurrency or config.limits.workers
    run_worker(config, concurrency=concurrency, stalled_after=float(args.stalled_after))
    return 0


def _cmd_db(args: argparse.Namespace, config: Any) -> int:
    from bot.storage import migrate_storage

    location, version = asyncio.run(migrate_storage(config))
    print(f"{location}: schema version {version}")
    return 0


COMMANDS = {
    "summarize": _cmd_summarize,
    "translate": _cmd_translate,
    "detect": _cmd_detect,
    "models": _cmd_models,
    "demo": _cmd_demo,
    "run": _cmd_run,
    "ingress": _cmd_ingress,
    "worker": _cmd_worker,
    "db": _cmd_db,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # `run` logs as [logging] configures it: PTB's lines are part of an operator's log
    configure_cli_logging(verbose=getattr(args, "verbose", False) or args.command == "run")
    try:
        from bot.config import load_config

        config_path = args.config or (
            Path(os.environ["BRIEFBOT_CONFIG"]) if os.environ.get("BRIEFBOT_CONFIG") else None
        )
        config = load_config(config_path)
        return COMMANDS[args.command](args, config)
    except BriefbotError as exc:
        print(f"briefbot: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the CLI promises one line, never a traceback
        logging.getLogger("briefbot").debug("internal error", exc_info=True)
        print(f"briefbot: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
