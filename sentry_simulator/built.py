"""What ``sentry-cli sourcemaps upload <dir>`` would send for a build, modelled independently.

The simulator's demo must not compute its uploads with the product's own bundle scanner
(``repo.bundles``): a mistake there would then agree with itself and fail no test. This module
reads a build directory the way sentry-cli does for an upload, which is simpler: every ``.js``,
``.mjs`` or ``.cjs`` file, its ``.map`` beside it when one exists, and the debug id a build
injected (sentry-cli's ``//# debugId=<uuid>`` comment). Nothing here validates source maps.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

SCRIPT_SUFFIXES: Final = (".js", ".mjs", ".cjs")
#: Where the demo app's build lands and the URL prefix its upload uses (its Vite and sentry-cli
#: configuration, ``examples/codictate``), written here rather than taken from the product.
DEMO_DIST_DIR: Final = "dist/assets"
DEMO_URL_PREFIX: Final = "app://localhost/assets"
DEBUG_ID_COMMENT: Final = re.compile(r"^//# debugId=([0-9a-fA-F-]{36})\s*$", re.MULTILINE)


@dataclass(frozen=True)
class BuiltFile:
    """One script of the build, its map's name (``None``: none beside it) and its debug id."""

    name: str
    map_name: str | None
    debug_id: str | None


@dataclass(frozen=True)
class BuiltFiles:
    """The scripts of one build directory, in name order."""

    dist_dir: Path
    bundles: tuple[BuiltFile, ...]


def built_files(dist_dir: Path) -> BuiltFiles:
    """The scripts under ``dist_dir`` (recursively), with their maps and debug ids."""
    found: list[BuiltFile] = []
    if dist_dir.is_dir():
        for path in sorted(dist_dir.rglob("*")):
            if path.suffix not in SCRIPT_SUFFIXES or not path.is_file():
                continue
            name = path.relative_to(dist_dir).as_posix()
            has_map = path.with_name(path.name + ".map").is_file()
            match = DEBUG_ID_COMMENT.search(path.read_text(encoding="utf-8", errors="replace"))
            found.append(
                BuiltFile(
                    name=name,
                    map_name=f"{name}.map" if has_map else None,
                    debug_id=match.group(1).lower() if match else None,
                )
            )
    return BuiltFiles(dist_dir=dist_dir, bundles=tuple(found))


def upload_url(prefix: str, relative: str) -> str:
    """The URL sentry-cli gives a file: ``--url-prefix`` + ``/`` + its path in the upload
    directory, with ``.`` and ``..`` segments resolved below the scheme and host."""
    scheme, sep, rest = prefix.rstrip("/").rpartition("://")
    path = posixpath.normpath(f"{rest}/{relative}") if rest else relative
    return f"{scheme}{sep}{path}"
