"""The briefbot command line, in-process (fast) and as a real subprocess (README example)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.bot_api_server import DEFAULT_TOKEN, BotApiServer
from tests.support.postgres import free_port
from tests.support.shared import SEED_ARTICLE
from translation.text.cleaning import BOILERPLATE_PATTERNS

SEED = SEED_ARTICLE
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli_env(packages_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    env = {
        "BRIEFBOT_MODELS_PACKAGES_DIR": str(packages_dir),
        "BRIEFBOT_STORAGE_PATH": str(tmp_path / "cli.sqlite3"),
    }
    monkeypatch.delenv("BRIEFBOT_CONFIG", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_readme_example_subprocess(cli_env: dict[str, str]) -> None:
    """`briefbot summarize --to en,fr --json seed` as the README shows it, in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "summarize", "--to", "en,fr", "--json", str(SEED)],
        capture_output=True,
        text=True,
        env={**os.environ, **cli_env},
        cwd=PROJECT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source_language"] == "de"
    assert data["confidence"] > 0.9
    assert data["title"] == "Fluchtplan für Elon Musk? Russland bietet ihm Asyl an!"
    assert set(data["summaries"]) == {"de", "en", "fr"}
    german = data["summaries"]["de"]
    assert len(german) == 3
    for sentence in german:
        assert sentence in SEED.read_text(encoding="utf-8")
        assert not any(p.search(sentence) for p in BOILERPLATE_PATTERNS), sentence
        assert "Mehr zum Thema" not in sentence and "Kommentar" not in sentence
    assert len(data["summaries"]["en"]) == 3 and all(data["summaries"]["en"])
    assert len(data["summaries"]["fr"]) == 3 and all(data["summaries"]["fr"])
    assert data["pivots"] == {"fr": "en"}
    for stage in ("detect", "segment", "summarize", "translate"):
        assert stage in data["timings_ms"]


def test_error_is_one_line_without_traceback_subprocess(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "summarize", str(binary)],
        capture_output=True,
        text=True,
        env={**os.environ, **cli_env},
        cwd=PROJECT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def _cli_subprocess(
    args: list[str], env: dict[str, str], prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=PROJECT,
        timeout=120,
    )


def test_library_warnings_stay_out_of_stderr_unless_verbose(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 13: trafilatura's "WARNING … discarding data: None" came before our one line."""
    page = tmp_path / "leer.html"
    page.write_text("<html><head><title>Leer</title></head><body></body></html>")
    quiet = _cli_subprocess(["summarize", str(page)], cli_env)
    assert (quiet.returncode, quiet.stderr) == (
        2,
        "briefbot: error: No article text found on that page.\n",
    )
    verbose = _cli_subprocess(["summarize", "--verbose", str(page)], cli_env)
    assert verbose.returncode == 2
    assert "WARNING trafilatura.core: discarding data: None" in verbose.stderr


def test_summarize_text_output(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["summarize", "--to", "en", "--sentences", "2", str(SEED)], capsys)
    assert code == 0, err
    assert "Language: de" in out
    assert "[en]" in out and "[de]" in out
    assert out.count("\n- ") == 4


def test_ratio_and_algorithm(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["summarize", "--to", "de", "--ratio", "0.5", "--algorithm", "lexrank", "--json"]
    code, out, err = run_cli([*args, str(SEED)], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["algorithm"] == "lexrank"
    assert len(data["summaries"]["de"]) == round(data["sentence_count"] * 0.5)


def test_stdin_input(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    stdin = io.TextIOWrapper(io.BytesIO(SEED.read_bytes()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, err = run_cli(["detect", "--json", "-"], capsys)
    assert code == 0, err
    assert json.loads(out)["language"] == "de"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "no text"),
        (b"   \n\t  \n", "no text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
    ],
)
def test_bad_input_exit_2(
    cli_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: bytes,
    expected: str,
) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    code, out, err = run_cli(["summarize", str(path)], capsys)
    assert code == 2
    assert out == ""
    assert expected in err.lower()
    assert len(err.strip().splitlines()) == 1


def test_one_megabyte_of_text_names_the_limit(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "big.txt"
    sentence = "Die Regierung hat am Montag neue Regeln für den Verkehr beschlossen. "
    path.write_text(sentence * (1_000_000 // len(sentence) + 1), encoding="utf-8")
    code, _out, err = run_cli(["summarize", str(path)], capsys)
    assert code == 2
    assert "limit" in err


def test_missing_file_and_bad_usage(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run_cli(["summarize", str(tmp_path / "nope.txt")], capsys)
    assert code == 2 and "no such file" in err
    with pytest.raises(SystemExit) as exc:
        main(["summarize", "--ratio", "5", str(SEED)])
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as exc:
        main(["summarize", "--to", "en;fr", str(SEED)])
    assert exc.value.code == 2


def test_missing_model_exit_3_names_packages(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["summarize", "--to", "ja", "--json", str(SEED)], capsys)
    assert code == 3
    assert "ja" in err
    data = json.loads(out)
    assert "ja" in data["missing"]
    code, _, err = run_cli(["translate", "--to", "ja", str(SEED)], capsys)
    assert code == 3 and "ja" in err


def test_translate_full_text(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["translate", "--to", "fr", "--json", str(SEED)], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["source_language"] == "de" and data["target_language"] == "fr"
    assert data["pivot"] == "en"
    assert len(data["paragraphs"]) >= 6
    assert all(sentence for paragraph in data["paragraphs"] for sentence in paragraph)


def test_models_list_and_build(
    cli_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run_cli(["models", "list", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    codes = {(p["from_code"], p["to_code"]) for p in data["packages"]}
    assert ("de", "en") in codes and ("en", "fr") in codes
    assert "fr" in data["reachable"]["de"]

    out_dir = tmp_path / "built"
    code, out, err = run_cli(
        ["models", "build-test-package", "it", "en", "--out", str(out_dir)], capsys
    )
    assert code == 0, err
    built = Path(out.strip())
    assert built.suffix == ".argosmodel" and built.exists()

    target = tmp_path / "fresh-packages"
    monkeypatch.setenv("BRIEFBOT_MODELS_PACKAGES_DIR", str(target))
    code, out, err = run_cli(["models", "install", str(built)], capsys)
    assert code == 0, err
    assert "it→en" in out
    code, out, _ = run_cli(["models", "list", "--json"], capsys)
    assert [(p["from_code"], p["to_code"]) for p in json.loads(out)["packages"]] == [("it", "en")]


def test_models_install_bad_file(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.argosmodel"
    bogus.write_bytes(b"not a zip")
    code, _, err = run_cli(["models", "install", str(bogus)], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1


@pytest.fixture
def run_in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``briefbot run`` in this process: one start attempt, logging state restored after."""
    import logging

    import bot.telegram.app

    monkeypatch.setattr(bot.telegram.app, "BOOTSTRAP_RETRIES", 0)
    factory, root = logging.getLogRecordFactory(), logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    logging.setLogRecordFactory(factory)
    root.setLevel(level)
    root.handlers[:] = handlers


@pytest.mark.usefixtures("run_in_process")
def test_run_without_a_reachable_bot_api_says_so_in_one_line(
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_TOKEN", "123456:unreachable-test-token")
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_API_BASE_URL", url)
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_RETRY_SECONDS", "3")  # waits 1 + 2 s: 3 tries
    code, _, err = run_cli(["run"], capsys)
    assert code == 4
    retries = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.transport"]
    assert retries == [
        f"Bot API getMe at {url} failed (ConnectError): attempt 1 of 3, retrying in 1 s",
        f"Bot API getMe at {url} failed (ConnectError): attempt 2 of 3, retrying in 2 s",
    ]
    assert err.startswith(f"briefbot: error: Cannot reach the Telegram Bot API at {url} (")
    assert err.count("\n") == 1
    telegram_records = [r for r in caplog.records if r.name.startswith("telegram")]
    assert telegram_records, "PTB reported the failed attempt"
    assert not any(r.exc_text or r.exc_info for r in telegram_records), "no traceback logged"


@pytest.mark.usefixtures("run_in_process")
def test_run_with_a_rejected_token_says_so_in_one_line(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.bot_api_server import BotApiServer

    with BotApiServer() as server:
        monkeypatch.setenv("BRIEFBOT_TELEGRAM_TOKEN", "654321:not-the-servers-token")
        monkeypatch.setenv("BRIEFBOT_TELEGRAM_API_BASE_URL", server.base_url)
        code, _, err = run_cli(["run"], capsys)
    assert code == 2
    assert err == (
        "briefbot: error: Telegram rejected the bot token: check [telegram] token or "
        "BRIEFBOT_TELEGRAM_TOKEN\n"
    )


# --- issue 13: start-up errors never show the token; documented exit codes -----------------

PROXY_PAGE = "<html><body><h1>502 Bad Gateway</h1><p>upstream failed for {path}</p></body></html>"


def _leaks(text: str) -> bool:
    lowered = text.lower()
    return any(part.lower() in lowered for part in (DEFAULT_TOKEN, DEFAULT_TOKEN.split(":")[1]))


@pytest.mark.parametrize(
    ("answer", "code", "message"),
    [
        ("502 page echoing the path", 4, "Cannot reach the Telegram Bot API"),
        ("409 at getMe", 6, "Another process is using this bot token"),
        ("400 with the path", 4, "refused to start: invalid path /bot<redacted>/getme"),
    ],
)
@pytest.mark.usefixtures("run_in_process")
def test_run_start_up_errors_never_show_the_token(
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    answer: str,
    code: int,
    message: str,
) -> None:
    with BotApiServer() as server:
        if answer.startswith("502"):
            server.answer_page_next("getMe", 502, PROXY_PAGE, times=50)
        elif answer.startswith("409"):
            conflict = "Conflict: terminated by other getUpdates request"
            server.fail_next("getMe", 409, description=conflict, times=50)
        else:  # PTB capitalizes descriptions; a lower-cased token escaped case-sensitive checks
            path = f"invalid path /bot{DEFAULT_TOKEN.lower()}/getme"
            server.fail_next("getMe", 400, description=path, times=50)
        monkeypatch.setenv("BRIEFBOT_TELEGRAM_TOKEN", DEFAULT_TOKEN)
        monkeypatch.setenv("BRIEFBOT_TELEGRAM_API_BASE_URL", server.base_url)
        exit_code, _, err = run_cli(["run"], capsys)
        assert server.calls("getMe"), "the Bot API gave that answer"
    assert exit_code == code
    assert err.startswith("briefbot: error: ") and err.count("\n") == 1
    assert message in err
    assert not _leaks(err)
    for record in caplog.records:
        assert not _leaks(record.getMessage()) and not _leaks(record.exc_text or "")


def test_run_with_a_rejected_token_prints_one_line_subprocess(cli_env: dict[str, str]) -> None:
    """Issue 13: a 401 printed PTB's 49-line traceback before the one-line error."""
    with BotApiServer() as server:
        env = {
            **cli_env,
            "BRIEFBOT_TELEGRAM_TOKEN": "654321:not-the-servers-token",
            "BRIEFBOT_TELEGRAM_API_BASE_URL": server.base_url,
        }
        proc = _cli_subprocess(["run"], env)
    assert proc.returncode == 2
    assert proc.stderr == (
        "briefbot: error: Telegram rejected the bot token: check [telegram] token or "
        "BRIEFBOT_TELEGRAM_TOKEN\n"
    )


@pytest.mark.usefixtures("run_in_process")
def test_run_refuses_a_corrupt_database_with_exit_code_5(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = Path(cli_env["BRIEFBOT_STORAGE_PATH"])
    database.write_bytes(b"SQLite format 3\x00" + b"\xa5" * 8192)
    with BotApiServer() as server:
        monkeypatch.setenv("BRIEFBOT_TELEGRAM_TOKEN", DEFAULT_TOKEN)
        monkeypatch.setenv("BRIEFBOT_TELEGRAM_API_BASE_URL", server.base_url)
        code, _, err = run_cli(["run"], capsys)
    assert code == 5
    assert err == (
        f"briefbot: error: the database {database} is corrupt (file is not a database); "
        "restore a backup or move it away\n"
    )


def _as_unprivileged() -> tuple[str, ...]:
    """Root writes anywhere: drop its override capabilities so permissions apply (setpriv)."""
    if os.geteuid() != 0:
        return ()
    caps = "-dac_override,-dac_read_search,-fowner"
    return ("setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}")


def test_run_in_a_read_only_directory_says_read_only(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with BotApiServer() as server:
            env = {
                **cli_env,
                "BRIEFBOT_STORAGE_PATH": str(folder / "bot.sqlite3"),
                "BRIEFBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN,
                "BRIEFBOT_TELEGRAM_API_BASE_URL": server.base_url,
            }
            proc = _cli_subprocess(["run"], env, prefix=_as_unprivileged())
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 5, proc.stderr
    assert proc.stderr.endswith(
        f"briefbot: error: the directory {folder} of the database is read-only; SQLite needs "
        "to create bot.sqlite3-wal and bot.sqlite3-shm next to the database\n"
    )
    assert "Traceback" not in proc.stderr
