"""Build and install the builder's random-weight argos packages for any test suite.

Building a tiny package takes well under a second, and with a shared ``cache_dir`` each
(pair, size, seed) is built once per session however many suites ask for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from translation.models.argos_packages import InstalledPackage, install_from_path
from translation.models.package_builder import PackageSize, build_test_package

#: de→en and en→fr make the README example (fr by pivot); en→de and fr→en give pivots both ways.
TINY_PAIRS: tuple[tuple[str, str], ...] = (("de", "en"), ("en", "fr"), ("en", "de"), ("fr", "en"))


def build_packages(
    pairs: Iterable[tuple[str, str]],
    out_dir: Path,
    *,
    cache_dir: Path,
    size: PackageSize = "tiny",
) -> dict[tuple[str, str], Path]:
    """``.argosmodel`` files for ``pairs`` in ``out_dir``, built once per ``cache_dir``."""
    return {
        (source, target): build_test_package(
            source, target, out_dir, size=size, cache_dir=cache_dir
        )
        for source, target in pairs
    }


def install_test_packages(
    packages_dir: Path,
    pairs: Iterable[tuple[str, str]] = TINY_PAIRS,
    *,
    cache_dir: Path,
    size: PackageSize = "tiny",
) -> list[InstalledPackage]:
    """Build (or reuse) packages for ``pairs`` and install them into ``packages_dir``."""
    files = build_packages(pairs, cache_dir / "files", cache_dir=cache_dir, size=size)
    installed: list[InstalledPackage] = []
    for file in files.values():
        installed.extend(install_from_path(file, packages_dir=packages_dir))
    return installed
