"""Installing and listing argos packages: good files, bad files, folders, the index."""

from __future__ import annotations

import http.server
import json
import logging
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import free_port
from translation.errors import FetchError, InputError
from translation.models.argos_packages import install_from_index, install_from_path, list_installed


def test_install_one_file_then_list_it(
    tmp_path: Path, test_package_files: dict[tuple[str, str], Path]
) -> None:
    installed = install_from_path(test_package_files[("de", "en")], packages_dir=tmp_path)
    assert [p.code for p in installed] == ["de-en"]
    listed = list_installed(tmp_path)
    assert listed == installed
    package = listed[0]
    assert (package.from_name, package.to_name, package.version) == ("German", "English", "1.0")
    assert (package.path / "model" / "model.bin").is_file()
    assert (package.path / "sentencepiece.model").is_file()


def test_install_every_package_of_a_folder(
    tmp_path: Path, test_package_files: dict[tuple[str, str], Path]
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    for file in test_package_files.values():
        shutil.copy(file, folder)
    (folder / "notes.txt").write_text("not a package")
    installed = install_from_path(folder, packages_dir=tmp_path / "packages")
    assert sorted(p.code for p in installed) == ["de-en", "en-de", "en-fr", "fr-en"]
    assert [p.code for p in list_installed(tmp_path / "packages")] == sorted(
        p.code for p in installed
    )


def test_reinstalling_replaces_the_package(
    tmp_path: Path, test_package_files: dict[tuple[str, str], Path]
) -> None:
    file = test_package_files[("en", "fr")]
    install_from_path(file, packages_dir=tmp_path)
    install_from_path(file, packages_dir=tmp_path)
    assert [p.code for p in list_installed(tmp_path)] == ["en-fr"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["translate-en_fr"]


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


METADATA = json.dumps({"from_code": "de", "to_code": "en", "type": "translate"})


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (None, "bad zip"),
        ({"pkg/README.md": "hi"}, "no metadata.json"),
        ({"pkg/metadata.json": "{oops"}, "not valid JSON"),
        ({"pkg/metadata.json": "{}", "pkg/model/model.bin": "x"}, "lacks from_code"),
        ({"pkg/metadata.json": METADATA}, "no model/model.bin"),
        ({"a/metadata.json": METADATA, "b/metadata.json": METADATA}, "one top-level folder"),
        ({"pkg/metadata.json": METADATA, "pkg/../../evil": "x"}, "unsafe path"),
    ],
)
def test_bad_package_files_are_refused_and_nothing_is_installed(
    tmp_path: Path, members: dict[str, str] | None, message: str
) -> None:
    bad = tmp_path / "bad.argosmodel"
    if members is None:
        bad.write_bytes(b"\x89PNG\r\n\x1a\n not a zip at all")
    else:
        _zip(bad, members)
    packages = tmp_path / "packages"
    with pytest.raises(InputError, match=message):
        install_from_path(bad, packages_dir=packages)
    assert not packages.exists() or not any(packages.iterdir())
    assert not (tmp_path / "evil").exists()


def test_missing_path_and_empty_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="No such package file"):
        install_from_path(tmp_path / "nope.argosmodel", packages_dir=tmp_path)
    with pytest.raises(InputError, match=r"No \.argosmodel files"):
        install_from_path(tmp_path, packages_dir=tmp_path / "packages")


def test_listing_skips_corrupt_packages_with_a_warning(
    tmp_path: Path,
    test_package_files: dict[tuple[str, str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_from_path(test_package_files[("de", "en")], packages_dir=tmp_path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "metadata.json").write_text("{not json")
    (tmp_path / "empty").mkdir()
    (tmp_path / "sbd").mkdir()
    (tmp_path / "sbd" / "metadata.json").write_text('{"type": "sbd", "from_code": "de"}')
    with caplog.at_level(logging.WARNING):
        listed = list_installed(tmp_path)
    assert [p.code for p in listed] == ["de-en"]
    assert "broken" in caplog.text and "empty" in caplog.text
    assert list_installed(tmp_path / "does-not-exist") == []


CONFIGURE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    early = sys.argv[1] == "early"
    if early:
        import argostranslate.settings
    from translation.models.argos_packages import configure_packages_dir, current_packages_dir
    configure_packages_dir(Path(sys.argv[2]))
    import argostranslate.package
    from argostranslate import settings
    assert settings.package_data_dir == Path(sys.argv[2]), settings.package_data_dir
    assert settings.package_dirs == [Path(sys.argv[2])], settings.package_dirs
    assert current_packages_dir() == Path(sys.argv[2])
    print(json.dumps([p.from_code for p in argostranslate.package.get_installed_packages()]))
    """
)


@pytest.mark.parametrize("when", ["early", "late"])
def test_configure_packages_dir_steers_argostranslate(
    tmp_path: Path, packages_dir: Path, when: str
) -> None:
    """Before or after argostranslate.settings is imported (it reads its env at import)."""
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())}
    completed = subprocess.run(
        [sys.executable, "-c", CONFIGURE, when, str(packages_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert sorted(json.loads(completed.stdout)) == ["de", "en", "en", "fr"]


def test_install_from_index_fails_fast_and_clearly_offline(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/index.json"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(FetchError, match="Cannot reach the argos package index"):
        install_from_index(["de-en"], index_url=url, timeout=5, packages_dir=tmp_path)
    assert time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def package_index(tmp_path: Path, test_package_files: dict[tuple[str, str], Path]) -> Iterator[str]:
    """A package index served over loopback HTTP, listing de-en with a working link."""
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(test_package_files[("de", "en")], served / "de_en.argosmodel")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(served), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    index = [
        {
            "type": "translate",
            "from_code": "de",
            "to_code": "en",
            "links": [f"{base}/de_en.argosmodel"],
        },
        {"type": "translate", "from_code": "en", "to_code": "es", "links": [f"{base}/missing"]},
    ]
    (served / "index.json").write_text(json.dumps(index))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"{base}/index.json"
    server.shutdown()
    server.server_close()


def test_install_from_index_downloads_and_installs(package_index: str, tmp_path: Path) -> None:
    installed = install_from_index(["de-en"], index_url=package_index, packages_dir=tmp_path / "p")
    assert [p.code for p in installed] == ["de-en"]
    assert [p.code for p in list_installed(tmp_path / "p")] == ["de-en"]


@pytest.mark.parametrize(
    ("code", "error", "message"),
    [
        ("fr-it", FetchError, "no fr→it package"),
        ("en-es", FetchError, "Download failed"),
        ("german", InputError, "Not a package code"),
    ],
)
def test_install_from_index_reports_what_went_wrong(
    package_index: str, tmp_path: Path, code: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        install_from_index([code], index_url=package_index, packages_dir=tmp_path / "p")


def test_a_truncated_download_is_refused(
    tmp_path: Path, test_package_files: dict[tuple[str, str], Path]
) -> None:
    data = test_package_files[("de", "en")].read_bytes()
    damaged = tmp_path / "damaged.argosmodel"
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="bad zip"):
        install_from_path(damaged, packages_dir=tmp_path / "packages")
    flipped = bytearray(data)
    middle = len(flipped) // 2
    flipped[middle : middle + 64] = bytes(64)
    corrupted = tmp_path / "corrupted.argosmodel"
    corrupted.write_bytes(bytes(flipped))
    with pytest.raises(InputError, match="bad zip"):
        install_from_path(corrupted, packages_dir=tmp_path / "packages")
    assert list_installed(tmp_path / "packages") == []
