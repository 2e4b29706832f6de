"""Config loading: the documented example, env overrides, validation messages, secrets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_config, user_data_dir
from translation.domain import Algorithm
from translation.errors import BriefbotError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "briefbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_file_documents_exactly_the_defaults(tmp_path: Path) -> None:
    loaded = load_config(EXAMPLE, env={})
    assert loaded == Config()
    assert loaded.telegram.token is None


def test_example_file_lists_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for section in dataclasses.fields(Config):
        assert f"[{section.name}]" in text
        for key in dataclasses.fields(getattr(Config(), section.name)):
            # Machine-dependent defaults (the per-user data directory) are shown commented out.
            documented = f"\n{key.name} = " in text or f"\n# {key.name} = " in text
            assert documented, f"{section.name}.{key.name} undocumented"


def test_no_file_gives_defaults_resolved_against_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={})
    data = user_data_dir()
    assert data.is_absolute() and data.name == "briefbot"
    assert config.storage.path == data / "briefbot.sqlite3"
    assert config.models.packages_dir == data / "argos-packages"
    assert config.defaults.target_languages == ("en",)
    assert config.defaults.algorithm is Algorithm.NEWS
    assert config.limits.queue_size == 32
    assert config.fetch.allow_private_networks is False
    assert config.telegram.bot_api_url == "https://api.telegram.org/bot"
    assert config.telegram.file_api_url == "https://api.telegram.org/file/bot"


def test_briefbot_config_env_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[limits]\nworkers = 5\n")
    assert load_config(None, env={"BRIEFBOT_CONFIG": str(path)}).limits.workers == 5


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(None, env={"BRIEFBOT_CONFIG": str(tmp_path / "nope.toml")})


def test_config_error_is_a_usage_error() -> None:
    assert issubclass(ConfigError, BriefbotError)
    assert ConfigError.exit_code == 2


def test_file_values_and_relative_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[telegram]
api_base_url = "http://127.0.0.1:8081/"
owners = [42, 7]
[storage]
path = "state/bot.sqlite3"
[models]
packages_dir = "/abs/packages"
install = ["pkgs/translate-de_en.argosmodel", "en-fr", "~/m/x.argosmodel"]
[defaults]
target_languages = ["EN", "fr", "en"]
algorithm = "LexRank"
""",
    )
    config = load_config(path, env={})
    assert config.telegram.api_base_url == "http://127.0.0.1:8081"
    assert config.telegram.bot_api_url == "http://127.0.0.1:8081/bot"
    assert config.telegram.owners == (42, 7)
    assert config.storage.path == tmp_path / "state/bot.sqlite3"
    assert config.models.packages_dir == Path("/abs/packages")
    assert config.models.install == (
        str(tmp_path / "pkgs/translate-de_en.argosmodel"),
        "en-fr",
        str(Path("~/m/x.argosmodel").expanduser()),
    )
    assert config.defaults.target_languages == ("en", "fr")
    assert config.defaults.algorithm is Algorithm.LEXRANK


def test_env_overrides_each_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "[telegram]\ntoken = 'from-file'\n[fetch]\ntimeout_seconds = 3\n")
    env = {
        "BRIEFBOT_TELEGRAM_TOKEN": "123:from-env",
        "BRIEFBOT_TELEGRAM_OWNERS": "1, 2",
        "BRIEFBOT_TELEGRAM_PORT": "9000",
        "BRIEFBOT_FETCH_ALLOW_PRIVATE_NETWORKS": "true",
        "BRIEFBOT_FETCH_TIMEOUT_SECONDS": "2.5",
        "BRIEFBOT_DEFAULTS_TARGET_LANGUAGES": "en,fr",
        "BRIEFBOT_DEFAULTS_SHOW_SOURCE": "off",
        "BRIEFBOT_DEFAULTS_GROUP_MODE": "AUTO",
        "BRIEFBOT_LOGGING_LEVEL": "debug",
        "BRIEFBOT_STORAGE_PATH": "elsewhere/db.sqlite3",
        "BRIEFBOT_MODELS_INSTALL": '["a,b.argosmodel", "de-en"]',
        "BRIEFBOT_UNRELATED_THING": "ignored",
    }
    config = load_config(path, env=env)
    assert config.telegram.token == "123:from-env"
    assert config.telegram.owners == (1, 2)
    assert config.telegram.port == 9000
    assert config.fetch.allow_private_networks is True
    assert config.fetch.timeout_seconds == 2.5
    assert config.defaults.target_languages == ("en", "fr")
    assert config.defaults.show_source is False
    assert config.defaults.group_mode == "auto"
    assert config.logging.level == "DEBUG"
    assert config.storage.path == tmp_path / "elsewhere/db.sqlite3"
    assert config.models.install == (str(tmp_path / "a,b.argosmodel"), "de-en")


def test_allowed_ports_add_to_the_web_ports(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, ""), env={}).fetch.allowed_ports == {80, 443}
    config = load_config(write(tmp_path, "[fetch]\nallowed_ports = [8080]\n"), env={})
    assert config.fetch.allowed_ports == {80, 443, 8080}


def test_empty_env_value_unsets_an_optional_string(tmp_path: Path) -> None:
    path = write(tmp_path, "[telegram]\ntoken = 'from-file'\n")
    config = load_config(path, env={"BRIEFBOT_TELEGRAM_TOKEN": ""})
    assert config.telegram.token is None
    with pytest.raises(ConfigError, match="BRIEFBOT_TELEGRAM_TOKEN"):
        config.telegram.require_token()


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("[telegram]\ntokn = 'x'\n", {}, r"\[telegram\] unknown key 'tokn'"),
        ("[telgram]\ntoken = 'x'\n", {}, r"unknown config section\(s\): telgram"),
        (
            "",
            {"BRIEFBOT_LIMITS_WORKER": "3"},
            "unknown environment override BRIEFBOT_LIMITS_WORKER",
        ),
        ("[limits]\nworkers = '2'\n", {}, r"\[limits\] workers must be an integer, got '2'"),
        ("[limits]\nworkers = true\n", {}, r"\[limits\] workers must be an integer"),
        ("[fetch]\nallow_private_networks = 1\n", {}, "must be true or false"),
        ("", {"BRIEFBOT_FETCH_ALLOW_PRIVATE_NETWORKS": "maybe"}, "must be true or false"),
        ("", {"BRIEFBOT_LIMITS_QUEUE_SIZE": "many"}, "BRIEFBOT_LIMITS_QUEUE_SIZE must be an int"),
        ("[telegram]\nowners = 5\n", {}, r"owners must be a list"),
        ("[telegram]\nowners = ['me']\n", {}, r"owners must be an integer"),
        ("", {"BRIEFBOT_TELEGRAM_OWNERS": "1,x"}, "must be an integer"),
        ("[telegram]\nmode = 'push'\n", {}, r"mode must be one of 'polling', 'webhook'"),
        ("[defaults]\nalgorithm = 'best'\n", {}, r"algorithm must be one of 'news'"),
        ("[defaults]\ngroup_mode = 'always'\n", {}, "group_mode must be one of"),
        ("[logging]\nlevel = 'LOUD'\n", {}, "level must be one of"),
        ("[translation]\ncompute_type = 'int4'\n", {}, "compute_type must be one of"),
        ("[telegram]\nmode = 'webhook'\n", {}, "requires a webhook_url"),
        ("[telegram]\nwebhook_secret = 'no spaces'\n", {}, "webhook_secret must be"),
        ("[telegram]\nport = 70000\n", {}, "port must be 1..65535"),
        ("[telegram]\napi_base_url = 'api.telegram.org'\n", {}, "must start with http"),
        ("[limits]\nqueue_size = -1\n", {}, r"\[limits\] queue_size must be at least 1, got -1"),
        ("[limits]\nper_user_per_minute = 0\n", {}, "per_user_per_minute must be at least 1"),
        ("[fetch]\ntimeout_seconds = 0\n", {}, "timeout_seconds must be positive"),
        (
            "[fetch]\nallowed_ports = [8080, 0]\n",
            {},
            r"allowed_ports must be ports 1..65535, got \[0\]",
        ),
        ("[cache]\nttl_days = 0\n", {}, "ttl_days must be at least 1"),
        ("[defaults]\ntarget_languages = []\n", {}, "at least one language"),
        ("[defaults]\ntarget_languages = ['english']\n", {}, "not a language code"),
        ("[defaults]\nsummary_sentences = 0\n", {}, "summary_sentences must be 1..50"),
        ("[models]\ninstall = ['german']\n", {}, "neither a path"),
        ("telegram = 3\n", {}, r"\[telegram\] must be a table"),
        ("[telegram\n", {}, "is not valid TOML"),
        ("[storage]\nurl = 'mysql://u:pw@db/x'\n", {}, r"url must be a PostgreSQL URL .*u:\*\*\*@"),
        ("", {"BRIEFBOT_STORAGE_URL": "briefbot.sqlite3"}, "url must be a PostgreSQL URL"),
        ("[storage]\npool_size = 0\n", {}, r"\[storage\] pool_size must be between 1 and 100"),
    ],
)
def test_invalid_config_gives_one_clear_line(
    tmp_path: Path, toml: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(write(tmp_path, toml), env=env)
    assert "\n" not in info.value.message


def test_webhook_mode_with_url(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[telegram]\nmode = 'webhook'\nwebhook_url = 'https://bot.example/hook'\n"
        "webhook_secret = 's3cr3t_-X'\nlisten = '0.0.0.0'\nport = 8080\n",
    )
    telegram = load_config(path, env={}).telegram
    assert (telegram.mode, telegram.webhook_url, telegram.port) == (
        "webhook",
        "https://bot.example/hook",
        8080,
    )
    assert telegram.webhook_secret == "s3cr3t_-X"


def test_secrets_never_shown(tmp_path: Path) -> None:
    token, secret = "123456:AAH-very-secret-token", "hook_secret_value"
    path = write(tmp_path, f"[telegram]\ntoken = '{token}'\nwebhook_secret = '{secret}'\n")
    config = load_config(path, env={})
    assert config.telegram.require_token() == token
    for text in (repr(config), str(config), repr(config.telegram), str(config.redacted())):
        assert token not in text
        assert secret not in text
        assert "***" in text
    assert config.redacted()["telegram"]["token"] == "***"
    assert config.redacted()["defaults"]["algorithm"] == "news"


def test_decoding_bound_reaches_the_engine(tmp_path: Path) -> None:
    path = write(tmp_path, "[translation]\nlength_ratio = 1.1\nlength_extra = 0\n")
    options = load_config(path, env={}).translation
    assert (options.length_ratio, options.length_extra) == (1.1, 0)
    assert options.decoding_bound(8) == 9  # ceil(1.1 × 8)
    with pytest.raises(ConfigError, match="length_ratio must be positive"):
        load_config(write(tmp_path, "[translation]\nlength_ratio = 0\n"), env={})


def test_translation_defaults_are_the_engines_measured_defaults() -> None:
    """One source of truth: an empty [translation] section runs the engine as benchmarked."""
    from translation import EngineOptions, FetchPolicy, PipelineLimits

    config = Config()
    assert type(config.translation) is EngineOptions and config.translation == EngineOptions()
    assert type(config.fetch) is FetchPolicy and config.fetch == FetchPolicy()
    assert isinstance(config.limits, PipelineLimits)
    assert (
        PipelineLimits(
            **{
                f: getattr(config.limits, f)
                for f in ("max_text_chars", "max_sentences", "max_file_bytes")
            }
        )
        == PipelineLimits()
    )


def test_storage_url_selects_postgresql_and_its_password_is_never_shown(tmp_path: Path) -> None:
    url = "postgresql://briefbot:pg-pass-1@db.internal:5432/briefbot?sslmode=require"
    config = load_config(write(tmp_path, "[storage]\npool_size = 4\n"), env={})
    assert (config.storage.url, config.storage.pool_size) == (None, 4)
    config = load_config(write(tmp_path, ""), env={"BRIEFBOT_STORAGE_URL": url})
    assert config.storage.url == url
    assert config.storage.path == load_config(None, env={}).storage.path  # unused, unchanged
    for text in (repr(config), str(config.storage), str(config.redacted())):
        assert "pg-pass-1" not in text
        assert "briefbot:***@db.internal:5432" in text
    assert load_config(write(tmp_path, ""), env={"BRIEFBOT_STORAGE_URL": ""}).storage.url is None


def test_models_live_in_one_place_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    seen = set()
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        seen.add(load_config(None, env={}).models.packages_dir)
    assert seen == {tmp_path / "xdg" / "briefbot" / "argos-packages"}


def test_argos_packages_dir_is_honoured_below_briefbots_own_settings(tmp_path: Path) -> None:
    argos = {"ARGOS_PACKAGES_DIR": str(tmp_path / "argos")}
    assert load_config(None, env=argos).models.packages_dir == tmp_path / "argos"
    own = write(tmp_path, '[models]\npackages_dir = "models"\n')
    assert load_config(own, env=argos).models.packages_dir == tmp_path / "models"
    env = {**argos, "BRIEFBOT_MODELS_PACKAGES_DIR": str(tmp_path / "env")}
    assert load_config(own, env=env).models.packages_dir == tmp_path / "env"
