"""Install and list argos translation packages without importing ``argostranslate.translate``.

``argostranslate.package.install_from_path`` ends by importing ``argostranslate.translate``,
which pulls in stanza, spaCy and torch (~1.8 s, ~320 MB). This module installs the same
on-disk layout itself (the archive's top-level folder extracted into the packages directory),
checks the archive first, and swaps the folder in atomically, so a bad file never leaves a
half-installed package behind.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from translation.errors import BriefbotError, FetchError, InputError

log = logging.getLogger(__name__)

PACKAGES_DIR_ENV = "ARGOS_PACKAGES_DIR"
INDEX_URL_ENV = "ARGOS_PACKAGE_INDEX"
DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
MAX_PACKAGE_BYTES = 2 * 1024**3
DOWNLOAD_TIMEOUT_SECONDS = 30.0

_install_lock = threading.Lock()  # one install at a time per process: folder swaps must not race


@dataclass(frozen=True)
class InstalledPackage:
    """One installed translation package, as its metadata.json describes it."""

    from_code: str
    to_code: str
    from_name: str
    to_name: str
    version: str
    path: Path
    target_prefix: str = ""

    @property
    def code(self) -> str:
        return f"{self.from_code}-{self.to_code}"


def configure_packages_dir(path: Path) -> None:
    """Make argostranslate (if imported now or later) and this module use ``path``.

    argostranslate.settings reads ``ARGOS_PACKAGES_DIR`` once, at import time, so the
    environment variable covers a later import and the module attributes an earlier one.
    """
    path = Path(path).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ[PACKAGES_DIR_ENV] = str(path)
    settings = sys.modules.get("argostranslate.settings")
    if settings is not None:
        settings.package_data_dir = path  # type: ignore[attr-defined]
        settings.package_dirs = [path]  # type: ignore[attr-defined]


def current_packages_dir() -> Path:
    """The directory packages are installed into and read from."""
    configured = os.environ.get(PACKAGES_DIR_ENV)
    if configured:
        return Path(configured)
    from argostranslate import settings  # light: no sbd/torch

    return Path(settings.package_data_dir)


def list_installed(packages_dir: Path | None = None) -> list[InstalledPackage]:
    """Installed translation packages, sorted by code; unreadable ones are logged and skipped."""
    root = packages_dir if packages_dir is not None else current_packages_dir()
    if not root.is_dir():
        return []
    found: list[InstalledPackage] = []
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or entry.name.startswith("."):
            continue
        try:
            package = read_package(entry)
        except InputError as exc:
            log.warning("Ignoring package folder %s: %s", entry, exc.message)
            continue
        if package is not None:
            found.append(package)
    return sorted(found, key=lambda p: (p.code, str(p.path)))


def read_package(path: Path) -> InstalledPackage | None:
    """Read one installed package folder; ``None`` for non-translation packages (e.g. sbd)."""
    metadata_path = path / "metadata.json"
    try:
        metadata = json.loads(metadata_path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path.name} has no metadata.json") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path.name}/metadata.json is unreadable ({exc})") from None
    return _package_from_metadata(metadata, path, path.name)


def _package_from_metadata(metadata: Any, path: Path, label: str) -> InstalledPackage | None:
    if not isinstance(metadata, dict):
        raise InputError(f"{label}: metadata.json must hold a JSON object")
    if metadata.get("type", "translate") != "translate":
        return None
    from_code, to_code = metadata.get("from_code"), metadata.get("to_code")
    if (
        not isinstance(from_code, str)
        or not isinstance(to_code, str)
        or not from_code
        or not to_code
    ):
        raise InputError(f"{label}: metadata.json lacks from_code/to_code")
    return InstalledPackage(
        from_code=from_code,
        to_code=to_code,
        from_name=str(metadata.get("from_name") or from_code),
        to_name=str(metadata.get("to_name") or to_code),
        version=str(metadata.get("package_version", "")),
        path=path,
        target_prefix=str(metadata.get("target_prefix") or ""),
    )


def install_from_path(path: Path, *, packages_dir: Path | None = None) -> list[InstalledPackage]:
    """Install one ``.argosmodel`` file, or every ``.argosmodel`` file in a directory."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".argosmodel" and p.is_file())
        if not files:
            raise InputError(f"No .argosmodel files in {path}")
        return [
            installed
            for file in files
            for installed in install_from_path(file, packages_dir=packages_dir)
        ]
    if not path.is_file():
        raise InputError(f"No such package file: {path}")
    target_root = packages_dir if packages_dir is not None else current_packages_dir()
    target_root.mkdir(parents=True, exist_ok=True)
    try:
        with _install_lock, zipfile.ZipFile(path) as archive:
            top, metadata = _check_archive(archive, path.name)
            staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=target_root))
            try:
                archive.extractall(staging)
                package = _package_from_metadata(metadata, target_root / top, path.name)
                _swap_in(staging / top, target_root / top)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InputError(f"{path.name} is not a valid argos package (bad zip: {exc})") from None
    except OSError as exc:
        raise BriefbotError(f"Could not install {path.name}: {exc.strerror or exc}") from exc
    log.info("Installed %s from %s", top, path)
    return [package] if package is not None else []


def _check_archive(archive: zipfile.ZipFile, label: str) -> tuple[str, Any]:
    """Refuse archives that are not one package folder with metadata, or that escape it."""
    names = archive.namelist()
    tops = {PurePosixPath(name).parts[0] for name in names if PurePosixPath(name).parts}
    if len(tops) != 1:
        raise InputError(f"{label} is not a valid argos package (expected one top-level folder)")
    top = tops.pop()
    for info in archive.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or ".." in parts or "\\" in info.filename:
            raise InputError(f"{label} contains an unsafe path: {info.filename}")
    if sum(info.file_size for info in archive.infolist()) > MAX_PACKAGE_BYTES:
        raise InputError(f"{label} is larger than {MAX_PACKAGE_BYTES // 1024**3} GB unpacked")
    try:
        raw = archive.read(f"{top}/metadata.json")
    except KeyError:
        raise InputError(f"{label} is not a valid argos package (no metadata.json)") from None
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{label}: metadata.json is not valid JSON ({exc})") from None
    if f"{top}/model/model.bin" not in names and _package_from_metadata(metadata, Path(), label):
        raise InputError(f"{label} is not a valid argos package (no model/model.bin)")
    return top, metadata


def _swap_in(new: Path, final: Path) -> None:
    """Replace ``final`` by ``new`` so readers see the old or the new package, never a mix."""
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        os.replace(final, old)
        os.replace(new, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, final)


def install_from_index(
    codes: Sequence[str],
    *,
    index_url: str | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    packages_dir: Path | None = None,
) -> list[InstalledPackage]:
    """Download and install packages such as ``"de-en"`` from the argos package index.

    ``index_url`` defaults to ``$ARGOS_PACKAGE_INDEX`` + ``index.json``. Network failures
    raise :class:`FetchError` after one attempt each, never a retry loop.
    """
    url = index_url or _default_index_url()
    index = _fetch_json(url, timeout)
    wanted = [_parse_code(code) for code in codes]
    installed: list[InstalledPackage] = []
    for from_code, to_code in wanted:
        entry = _find_in_index(index, from_code, to_code)
        links = [link for link in entry.get("links", []) if isinstance(link, str)]
        if not links:
            raise FetchError(f"The package index lists {from_code}-{to_code} without a link")
        with tempfile.TemporaryDirectory(prefix="briefbot-download-") as tmp:
            file = Path(tmp) / f"{from_code}_{to_code}.argosmodel"
            _download(links, file, timeout)
            installed.extend(install_from_path(file, packages_dir=packages_dir))
    return installed


def _default_index_url() -> str:
    base = os.environ.get(INDEX_URL_ENV, DEFAULT_INDEX)
    return base if base.endswith(".json") else base.rstrip("/") + "/index.json"


def _parse_code(code: str) -> tuple[str, str]:
    parts = code.replace("_", "-").replace("→", "-").split("-")
    if len(parts) != 2 or not all(parts):
        raise InputError(f"Not a package code: {code!r} (expected e.g. 'de-en')")
    return parts[0], parts[1]


def _find_in_index(index: Any, from_code: str, to_code: str) -> dict[str, Any]:
    if not isinstance(index, list):
        raise FetchError("The package index is not a list of packages")
    for entry in index:
        if (
            isinstance(entry, dict)
            and entry.get("type", "translate") == "translate"
            and entry.get("from_code") == from_code
            and entry.get("to_code") == to_code
        ):
            return entry
    raise FetchError(f"The package index has no {from_code}→{to_code} package")


def _open(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": "Briefbot"})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(
            f"Cannot reach the argos package index at {url} ({reason}). Offline, download the "
            "package's .argosmodel file on another machine and install it from the file: "
            "briefbot models install PATH/translate-de_en.argosmodel"
        ) from None


def _fetch_json(url: str, timeout: float) -> Any:
    with _open(url, timeout) as response:
        try:
            return json.loads(response.read())
        except (ValueError, OSError) as exc:
            raise FetchError(f"The package index at {url} is not valid JSON ({exc})") from None


def _download(links: list[str], file: Path, timeout: float) -> None:
    errors: list[str] = []
    for link in links:
        try:
            with _open(link, timeout) as response, file.open("wb") as out:
                shutil.copyfileobj(response, out, length=1024 * 1024)
            return
        except (FetchError, OSError) as exc:
            errors.append(str(exc))
    raise FetchError("Download failed: " + "; ".join(errors))


PACKAGE_CODE = re.compile(r"^[a-z]{2,3}-[a-z]{2,3}$")


def is_package_code(item: str) -> bool:
    """``de-en`` names a package in the index; anything else is a file or folder."""
    return PACKAGE_CODE.match(item) is not None and not Path(item).exists()


def install(
    item: str, *, packages_dir: Path | None = None, skip_installed: bool = False
) -> list[InstalledPackage]:
    """Install one item as every front end names it: a package code from the index, or an
    ``.argosmodel`` file / folder of them. With ``skip_installed`` an item whose pair is
    already installed is left alone (start-up installs of ``[models] install``); an empty list
    means nothing was done. Raises BriefbotError or OSError with what went wrong."""
    installed = {p.code for p in list_installed(packages_dir)} if skip_installed else set()
    if is_package_code(item):
        return [] if item in installed else install_from_index([item], packages_dir=packages_dir)
    path = Path(item)
    if skip_installed and _named_pair(path) in installed:
        return []
    return install_from_path(path, packages_dir=packages_dir)


def _named_pair(path: Path) -> str:
    """The pair a file is named for (``de_en.argosmodel``, ``translate-de_en-1_9``); a file
    named otherwise is (re)installed, which is idempotent."""
    stem = path.name.removesuffix(".argosmodel").removeprefix("translate-")
    return "-".join(stem.split("-")[0].split("_")[:2])
