"""Briefbot's configuration: one TOML file plus ``BRIEFBOT_<SECTION>_<KEY>`` env overrides.

Deployment tooling relies on the exact section and key names, so unknown keys are errors (a typo
must not silently fall back to a default). Relative paths in the file resolve against the file's
directory, relative paths from the environment against the current working directory.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

import platformdirs

from bot.core.settings import MAX_SENTENCES, MIN_SENTENCES, GroupMode, valid_sentences
from translation import Algorithm, BriefbotError, EngineOptions, FetchPolicy, PipelineLimits
from translation.options import OptionError, at_least

ENV_PREFIX = "BRIEFBOT_"
APP_NAME = "briefbot"
#: Environment variables of other tools honoured when Briefbot's own key is not set.
FALLBACK_ENV = {("models", "packages_dir"): "ARGOS_PACKAGES_DIR"}
CONFIG_ENV = "BRIEFBOT_CONFIG"
REDACTED = "***"
_SECRETS = ("token", "webhook_secret")

Mode = Literal["polling", "webhook"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")
_PACKAGE_CODE = re.compile(r"^[a-z]{2,3}(?:_[A-Za-z]{2,4})?-[a-z]{2,3}(?:_[A-Za-z]{2,4})?$")
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(BriefbotError):
    """The configuration file or an override is unusable; the message names the key."""

    exit_code = 2
    kind = "config"


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def _at_least(section: str, minimum: int, obj: object, *names: str) -> None:
    """The pipeline's range check for the bot's own sections, with the section in the message."""
    try:
        at_least(minimum, obj, *names)
    except OptionError as exc:
        raise ConfigError(f"[{section}] {exc}") from None


@dataclass(frozen=True)
class TelegramConfig:
    """Bot API access. ``token`` and ``webhook_secret`` are secrets: never shown by ``repr``."""

    token: str | None = None
    api_base_url: str = "https://api.telegram.org"
    owners: tuple[int, ...] = ()
    mode: Mode = "polling"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    #: How long a Bot API call that certainly did not reach Telegram (refused connection, 5xx)
    #: is retried, at start and later.
    retry_seconds: float = 15.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_base_url", self.api_base_url.rstrip("/"))
        _require(
            self.api_base_url.startswith(("http://", "https://")),
            f"[telegram] api_base_url must start with http:// or https://, "
            f"got {self.api_base_url!r}",
        )
        _require(1 <= self.port <= 65535, f"[telegram] port must be 1..65535, got {self.port}")
        _require(
            self.retry_seconds >= 0,
            f"[telegram] retry_seconds must be 0 or more, got {self.retry_seconds}",
        )
        if self.mode == "webhook":
            _require(bool(self.webhook_url), "[telegram] mode = 'webhook' requires a webhook_url")
        if self.webhook_url:
            _require(
                self.webhook_url.startswith(("http://", "https://")),
                "[telegram] webhook_url must start with https:// (or http:// for a local server)",
            )
        if self.webhook_secret is not None:
            _require(
                bool(_WEBHOOK_SECRET.match(self.webhook_secret)),
                "[telegram] webhook_secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
            )

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            shown = REDACTED if f.name in _SECRETS and value else value
            parts.append(f"{f.name}={shown!r}")
        return f"TelegramConfig({', '.join(parts)})"

    @property
    def bot_api_url(self) -> str:
        """What PTB's ``ApplicationBuilder.base_url`` expects (the token is appended to it)."""
        return f"{self.api_base_url}/bot"

    @property
    def file_api_url(self) -> str:
        return f"{self.api_base_url}/file/bot"

    def require_token(self) -> str:
        """The token, or a clear error for commands that need Telegram (the CLI tools do not)."""
        _require(
            bool(self.token),
            "no bot token: set [telegram] token or env BRIEFBOT_TELEGRAM_TOKEN",
        )
        assert self.token is not None
        return self.token


_POSTGRES_URL = re.compile(r"^postgres(?:ql)?://[^/?#]*(?:/[^/?#]*)?(?:\?.*)?$")


@dataclass(frozen=True)
class StorageConfig:
    """SQLite at ``path`` (the default), or PostgreSQL shared by several processes at ``url``."""

    path: Path = field(default_factory=lambda: user_data_dir() / "briefbot.sqlite3")
    url: str | None = None
    pool_size: int = 10

    def __post_init__(self) -> None:
        if self.url is not None:
            _require(
                bool(_POSTGRES_URL.match(self.url.strip())),
                "[storage] url must be a PostgreSQL URL like "
                f"postgresql://user:password@host:5432/dbname, got {self.safe_url!r}",
            )
        _require(
            1 <= self.pool_size <= 100,
            f"[storage] pool_size must be between 1 and 100, got {self.pool_size}",
        )

    def __repr__(self) -> str:
        return (
            f"StorageConfig(path={self.path!r}, url={self.safe_url!r}, pool_size={self.pool_size})"
        )

    @property
    def safe_url(self) -> str | None:
        """The url with its password masked, for messages and logs."""
        if self.url is None:
            return None
        return re.sub(r"(://[^:/@]*:)[^@]*@", rf"\1{REDACTED}@", self.url)


@dataclass(frozen=True)
class ModelsConfig:
    """Where argos packages live, and what to install at start (paths or codes like "de-en")."""

    packages_dir: Path = field(default_factory=lambda: user_data_dir() / "argos-packages")
    install: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for item in self.install:
            _require(
                _looks_like_path(item) or bool(_PACKAGE_CODE.match(item)),
                f"[models] install entry {item!r} is neither a path (ending in .argosmodel or "
                "containing '/') nor a package code like 'de-en'",
            )


@dataclass(frozen=True)
class DefaultsConfig:
    """Settings of a chat that chose none; ``ui_language`` is the fallback language of our texts."""

    target_languages: tuple[str, ...] = ("en",)
    summary_sentences: int = 3
    algorithm: Algorithm = Algorithm.NEWS
    group_mode: GroupMode = "mention"
    show_source: bool = False
    ui_language: str = "en"

    def __post_init__(self) -> None:
        langs = tuple(dict.fromkeys(code.lower() for code in self.target_languages))
        object.__setattr__(self, "target_languages", langs)
        _require(bool(langs), "[defaults] target_languages must name at least one language")
        for code in (*langs, self.ui_language):
            _require(
                bool(_LANGUAGE_CODE.match(code)),
                f"[defaults] {code!r} is not a language code like 'en' or 'pt'",
            )
        _require(
            valid_sentences(self.summary_sentences),
            f"[defaults] summary_sentences must be {MIN_SENTENCES}..{MAX_SENTENCES}, "
            f"got {self.summary_sentences}",
        )


#: ``[fetch]`` is the fetcher's own policy (its fields, defaults and range checks).
FetchConfig = FetchPolicy


@dataclass(frozen=True)
class LimitsConfig(PipelineLimits):
    """``[limits]``: the pipeline's input limits (inherited, one definition) plus the bot's
    admission limits."""

    queue_size: int = 32
    #: As many as ``queue_size``: every admitted request is in flight, so the decode scheduler
    #: batches all their sentences (base models, 2 cores, quiet: 8 gave the old 2's throughput).
    workers: int = 32
    per_user_per_minute: int = 6
    per_chat_per_minute: int = 20
    job_timeout_seconds: int = 120
    #: Edits of a request update the bot's answer for this long after it, for at most this
    #: many recent answers in all.
    edit_window_hours: int = 48
    edit_window_answers: int = 10_000

    def __post_init__(self) -> None:
        super().__post_init__()
        _at_least("limits", 1, self, *(f.name for f in dataclasses.fields(self)))


#: ``[translation]`` is the engine's own options (defaults chosen by measurement).
TranslationConfig = EngineOptions


@dataclass(frozen=True)
class CacheConfig:
    max_entries: int = 5000
    ttl_days: int = 30

    def __post_init__(self) -> None:
        _at_least("cache", 1, self, "max_entries", "ttl_days")

    @property
    def ttl_seconds(self) -> float:
        return self.ttl_days * 86400.0


@dataclass(frozen=True)
class FeedsConfig:
    """Feed subscriptions: limits per chat and how often feeds are polled."""

    max_feeds_per_chat: int = 20
    #: Polling interval bounds; a feed's own TTL / sy:updatePeriod is clamped into them.
    min_interval_minutes: int = 10
    max_interval_minutes: int = 360
    default_interval_minutes: int = 30
    #: How often the scheduler looks for due feeds.
    tick_seconds: int = 60
    max_articles_per_poll: int = 10
    max_articles_per_day: int = 50
    #: Consecutive failures after which a feed is paused and its chats are told.
    max_failures: int = 5
    #: Seconds between two requests to the same host (politeness).
    host_interval_seconds: float = 2.0
    #: Articles already in the feed delivered at the first follow (0: start from now).
    initial_articles: int = 0
    max_feed_bytes: int = 2_000_000
    #: Digest mode: articles shown with sentences (the rest as links), default hours and zone.
    digest_top: int = 3
    digest_hours: tuple[int, ...] = (8,)
    digest_timezone: str = "UTC"

    def __post_init__(self) -> None:
        _at_least("feeds", 1, self, "max_feeds_per_chat", "min_interval_minutes", "tick_seconds")
        _at_least("feeds", 1, self, "max_articles_per_poll", "max_articles_per_day")
        _at_least("feeds", 1, self, "max_failures", "max_feed_bytes")
        _at_least("feeds", 0, self, "initial_articles")
        _at_least("feeds", 1, self, "digest_top")
        _require(
            bool(self.digest_hours) and all(0 <= h <= 23 for h in self.digest_hours),
            f"[feeds] digest_hours must be hours 0-23, got {list(self.digest_hours)}",
        )
        _require(
            self.min_interval_minutes <= self.default_interval_minutes <= self.max_interval_minutes,
            "[feeds] needs min_interval_minutes <= default_interval_minutes"
            " <= max_interval_minutes",
        )


@dataclass(frozen=True)
class LoggingConfig:
    level: LogLevel = "INFO"


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    defaults: DefaultsConfig = field(default_factory=DefaultsConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    translation: TranslationConfig = field(default_factory=TranslationConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    feeds: FeedsConfig = field(default_factory=FeedsConfig)

    def redacted(self) -> dict[str, dict[str, Any]]:
        """Every setting as plain data with secrets masked: safe to log or show to owners."""
        out: dict[str, dict[str, Any]] = {}
        for section in dataclasses.fields(self):
            values = dataclasses.asdict(getattr(self, section.name))
            for key, value in values.items():
                if isinstance(value, Path):
                    values[key] = str(value)
                elif isinstance(value, Algorithm):
                    values[key] = value.value
                elif isinstance(value, tuple):
                    values[key] = list(value)
                elif isinstance(value, frozenset):
                    values[key] = sorted(value)
            out[section.name] = values
        for secret in _SECRETS:
            if out["telegram"][secret]:
                out["telegram"][secret] = REDACTED
        out["storage"]["url"] = self.storage.safe_url
        return out


SECTIONS: dict[str, type[Any]] = get_type_hints(Config)


def user_data_dir() -> Path:
    """Where models and the database live unless configured: the platform's per-user data
    directory (``~/.local/share/briefbot`` on Linux, ``$XDG_DATA_HOME`` honoured), so the bot
    and the CLI find the same models wherever they are started from."""
    return platformdirs.user_data_path(APP_NAME)


def _looks_like_path(item: str) -> bool:
    return item.endswith(".argosmodel") or "/" in item or os.sep in item


# ---------------------------------------------------------------------------------------------
# Turning raw TOML / env values into each key's declared type.


class _Invalid(Exception):
    """A value does not fit its key's type; the loader adds where it came from."""


def _check_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid("an integer")
    return value


def _check_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid("a number")
    return float(value)


def _check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("true or false")
    return value


def _check_str(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("a string")
    return value


def _env_scalar(raw: str, kind: type) -> Any:
    """Env values are text; turn them into what TOML would have given for ``kind``."""
    text = raw.strip()
    if kind is bool:
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise _Invalid("true or false")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise _Invalid("an integer") from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise _Invalid("a number") from None
    return raw


def _converter(hint: Any) -> tuple[Callable[[Any], Any], Callable[[str], Any]]:
    """(from TOML value, from env text) for one annotated field type."""
    origin = get_origin(hint)
    if origin is frozenset:
        item_type: Any = get_args(hint)[0]
        from_toml_items, from_env_items = _converter(tuple[item_type, ...])
        return (
            lambda value: frozenset(from_toml_items(value)),
            lambda raw: frozenset(from_env_items(raw)),
        )
    if origin is tuple:
        item = get_args(hint)[0]
        from_toml, _ = _converter(item)

        def tuple_from_toml(value: Any) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise _Invalid("a list")
            return tuple(from_toml(v) for v in value)

        def tuple_from_env(raw: str) -> tuple[Any, ...]:
            if raw.strip().startswith("["):
                try:
                    return tuple_from_toml(tomllib.loads(f"v = {raw}")["v"])
                except tomllib.TOMLDecodeError:
                    raise _Invalid("a list") from None
            parts = [p.strip() for p in raw.split(",") if p.strip()]
            return tuple(from_toml(_env_scalar(p, item)) for p in parts)

        return tuple_from_toml, tuple_from_env
    if origin in (types.UnionType,):  # "X | None": empty means unset
        inner = next(a for a in get_args(hint) if a is not type(None))
        from_toml, from_env = _converter(inner)
        return (
            lambda v: None if v == "" else from_toml(v),
            lambda raw: None if raw == "" else from_env(raw),
        )
    if origin is Literal:
        allowed = get_args(hint)
        upper = all(a.isupper() for a in allowed)
        return _enum_converter(tuple(allowed), upper)
    if isinstance(hint, type) and issubclass(hint, Algorithm):
        return _enum_converter(tuple(a.value for a in Algorithm), False, Algorithm)
    simple: dict[Any, Callable[[Any], Any]] = {
        int: _check_int,
        float: _check_float,
        bool: _check_bool,
        str: _check_str,
        Path: lambda v: Path(_check_str(v)).expanduser(),
    }
    check = simple[hint]
    return check, lambda raw: check(_env_scalar(raw, hint))


def _enum_converter(
    allowed: tuple[str, ...], upper: bool, wrap: Callable[[str], Any] = str
) -> tuple[Callable[[Any], Any], Callable[[str], Any]]:
    def pick(value: Any) -> Any:
        text = _check_str(value).strip()
        text = text.upper() if upper else text.lower()
        if text not in allowed:
            raise _Invalid("one of " + ", ".join(repr(a) for a in allowed))
        return wrap(text)

    return pick, pick


# ---------------------------------------------------------------------------------------------
# Loading.


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the TOML file (``path`` or env BRIEFBOT_CONFIG), then env overrides."""
    env = os.environ if env is None else env
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    raw: dict[str, Any] = {}
    base_dir = Path.cwd()
    if path is not None:
        raw = _read_toml(path)
        base_dir = path.expanduser().resolve().parent
    sections: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        from_file = raw.pop(name, {})
        _require(isinstance(from_file, dict), f"[{name}] must be a table")
        sections[name] = _build_section(name, cls, from_file, env, base_dir)
    if raw:
        unknown = ", ".join(sorted(raw))
        raise ConfigError(f"unknown config section(s): {unknown} (known: {', '.join(SECTIONS)})")
    _check_unknown_env(env)
    return Config(**sections)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.expanduser().open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"config path is a directory, not a file: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None


def _build_section(
    section: str, cls: type[Any], values: dict[str, Any], env: Mapping[str, str], base_dir: Path
) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"[{section}] unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )
    kwargs: dict[str, Any] = {}
    for key in sorted(known):
        from_toml, from_env = _converter(hints[key])
        env_name = f"{ENV_PREFIX}{section}_{key}".upper()
        if env_name in env:
            where, parse, raw, base = env_name, from_env, env[env_name], Path.cwd()
        elif key in values:
            where, parse, raw, base = f"[{section}] {key}", from_toml, values[key], base_dir
        elif env.get(FALLBACK_ENV.get((section, key), "")):
            where = FALLBACK_ENV[(section, key)]
            parse, raw, base = from_env, env[where], Path.cwd()
        else:
            continue
        try:
            value = parse(raw)
        except _Invalid as exc:
            raise ConfigError(f"{where} must be {exc}, got {raw!r}") from None
        kwargs[key] = _resolve_paths(section, key, value, base)
    _resolve_default_paths(cls, kwargs, base_dir)
    try:
        return cls(**kwargs)
    except OptionError as exc:  # the pipeline's own option types name the key, not the section
        raise ConfigError(f"[{section}] {exc}") from None


def _resolve_paths(section: str, key: str, value: Any, base: Path) -> Any:
    if isinstance(value, Path):
        return value if value.is_absolute() else base / value
    if (section, key) == ("models", "install"):
        return tuple(str(base / Path(v).expanduser()) if _looks_like_path(v) else v for v in value)
    return value


def _resolve_default_paths(cls: type[Any], kwargs: dict[str, Any], base_dir: Path) -> None:
    """Default relative paths also live next to the config file (or in the working dir)."""
    for f in dataclasses.fields(cls):
        if f.name not in kwargs and isinstance(f.default, Path):
            kwargs[f.name] = base_dir / f.default


def _check_unknown_env(env: Mapping[str, str]) -> None:
    """A BRIEFBOT_<SECTION>_ variable naming no key is a typo; other BRIEFBOT_ names are ignored."""
    for name in env:
        for section, cls in SECTIONS.items():
            prefix = f"{ENV_PREFIX}{section.upper()}_"
            if name.startswith(prefix):
                keys = {f.name.upper() for f in dataclasses.fields(cls)}
                _require(
                    name[len(prefix) :] in keys,
                    f"unknown environment override {name} (keys of [{section}]: "
                    f"{', '.join(sorted(k.lower() for k in keys))})",
                )
