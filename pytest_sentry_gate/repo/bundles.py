"""The built JavaScript bundles and their source maps, as found on disk before any upload.

For each ``*.js`` directly in the dist directory (default ``dist/assets``) the scan finds its
source map: the file named by a ``//# sourceMappingURL=`` comment in its last lines (a ``data:``
URL is an inline map), else ``<name>.map`` beside it. It records a Sentry debug id
(``//# debugId=<uuid>``, written by ``sentry-cli sourcemaps inject`` and the bundler plugins).
A bundle with a debug id but no map on disk is fine: the plugins delete maps after upload.
Each map must be JSON with ``version`` 3 and a ``sources`` list.

Release artifacts are named by URL: ``expected_artifact_names`` joins the URL prefix (default
``app://localhost/assets``) and the file names; ``tilde_form`` gives the ``~/assets/...`` form
Sentry shows for the ``~/`` prefix. Prefix/basename splitting lives only in ``split_prefix``.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from pytest_sentry_gate.repo import files
from pytest_sentry_gate.repo.defaults import (
    DEFAULT_DIST_DIR as DEFAULT_DIST_DIR,
)
from pytest_sentry_gate.repo.defaults import (
    DEFAULT_URL_PREFIX as DEFAULT_URL_PREFIX,
)

INLINE_MAP: Final = "(inline data URL)"
#: At most this many ``*.js`` of the dist directory are scanned (sorted by name).
MAX_BUNDLES: Final = 10_000
TAIL_LINES: Final = 5

HASHED_RE: Final = re.compile(r"^(?P<stem>.+)-(?P<hash>[A-Za-z0-9_-]{8,})\.js$")
MAP_URL_RE: Final = re.compile(r"^\s*//[#@]\s*sourceMappingURL=(?P<url>\S+)\s*$")
DEBUG_ID_RE: Final = re.compile(r"^\s*//#\s*debugId=(?P<id>\S+)\s*$")
UUID_RE: Final = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)

NO_MAP: Final = (
    "{name}: no source map (no {name}.map beside it, no sourceMappingURL comment, no debugId)"
)
MAP_URL_MISSING: Final = "{name}: sourceMappingURL points to {url}, which does not exist"
BAD_DEBUG_ID: Final = "{name}: debugId {value!r} is not a UUID"
MAP_NOT_JSON: Final = "{map}: not JSON (line {line}, column {column}: {reason})"
MAP_NOT_OBJECT: Final = "{map}: not a JSON object"
MAP_TOO_DEEP: Final = "{map}: nested too deeply to be read as JSON"
UNREADABLE: Final = "{name}: cannot be read ({reason})"
MAP_BAD_VERSION: Final = "{map}: version is {version!r}, expected 3"
MAP_NO_SOURCES: Final = "{map}: has no 'sources' list"
MAP_BAD_INLINE: Final = "{map}: inline source map of {name} cannot be decoded ({reason})"
MAP_DEBUG_ID_DIFFERS: Final = "{map}: debugId {map_id} differs from {name}'s {js_id}"


@dataclass(frozen=True)
class BundleFile:
    """One bundle: its map (name relative to the dist dir), debug id, and problems found."""

    name: str
    map_name: str | None
    debug_id: str | None
    hashed: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class BundleScan:
    """Every ``*.js`` of ``dist_dir``; ``exists`` is False when the directory is missing."""

    dist_dir: Path
    bundles: tuple[BundleFile, ...]
    exists: bool
    capped: bool = False

    @property
    def ok(self) -> bool:
        """True when the directory exists, has bundles, and none has a problem."""
        return self.exists and bool(self.bundles) and not self.problems

    @property
    def problems(self) -> tuple[str, ...]:
        """Every bundle's problems, in file order."""
        return tuple(problem for bundle in self.bundles for problem in bundle.problems)


def _tail_comments(text: str) -> tuple[str | None, str | None]:
    map_url = debug_id = None
    lines = [line for line in text.rstrip().splitlines()[-TAIL_LINES:] if line.strip()]
    for line in lines:
        if match := MAP_URL_RE.match(line):
            map_url = match["url"]
        elif match := DEBUG_ID_RE.match(line):
            debug_id = match["id"]
    return map_url, debug_id


def _map_problems(map_label: str, text: str, *, name: str, debug_id: str | None) -> list[str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [
            MAP_NOT_JSON.format(map=map_label, line=exc.lineno, column=exc.colno, reason=exc.msg)
        ]
    except RecursionError:
        return [MAP_TOO_DEEP.format(map=map_label)]
    if not isinstance(data, dict):
        return [MAP_NOT_OBJECT.format(map=map_label)]
    problems = []
    if data.get("version") != 3:
        problems.append(MAP_BAD_VERSION.format(map=map_label, version=data.get("version")))
    if not isinstance(data.get("sources"), list):
        problems.append(MAP_NO_SOURCES.format(map=map_label))
    map_id = data.get("debugId", data.get("debug_id"))
    if debug_id and isinstance(map_id, str) and map_id.lower() != debug_id.lower():
        problems.append(
            MAP_DEBUG_ID_DIFFERS.format(map=map_label, map_id=map_id, name=name, js_id=debug_id)
        )
    return problems


def _inline_map(url: str, name: str) -> str | list[str]:
    header, _, payload = url.partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload, validate=True).decode("utf-8")
        return unquote(payload)
    except (binascii.Error, UnicodeDecodeError) as exc:
        return [MAP_BAD_INLINE.format(map=INLINE_MAP, name=name, reason=exc)]


def _read(path: Path) -> str:
    """The file's text (bytes that are not UTF-8 replaced): a regular file within the cap."""
    return files.read_text(path, cap=files.CAP_BUNDLE, errors="replace")


def _read_map(path: Path, problems: list[str]) -> str | None:
    try:
        return _read(path)
    except OSError as exc:
        problems.append(UNREADABLE.format(name=path.name, reason=exc.strerror or exc))
    except files.FileRefused as exc:
        problems.append(UNREADABLE.format(name=path.name, reason=exc.why))
    return None


def scan_bundle(path: Path) -> BundleFile:
    """Scan one bundle file and its source map."""
    name = path.name
    try:
        text = _read(path)
    except (OSError, files.FileRefused) as exc:
        reason = exc.why if isinstance(exc, files.FileRefused) else exc.strerror or exc
        return BundleFile(name, None, None, False, (UNREADABLE.format(name=name, reason=reason),))
    map_url, debug_id = _tail_comments(text)
    hashed = HASHED_RE.match(name) is not None
    problems: list[str] = []
    if debug_id is not None and not UUID_RE.match(debug_id):
        problems.append(BAD_DEBUG_ID.format(name=name, value=debug_id))
    map_name: str | None = None
    map_text: str | None = None
    if map_url is not None and map_url.startswith("data:"):
        decoded = _inline_map(map_url, name)
        map_name = INLINE_MAP
        if isinstance(decoded, list):
            problems.extend(decoded)
        else:
            map_text = decoded
    elif map_url is not None:
        clean = unquote(map_url.split("#")[0].split("?")[0])
        relative = split_prefix(clean)[1] if "://" in clean else clean
        candidate = path.parent / relative
        if _present(candidate):
            map_name = posixpath.normpath(relative)
            map_text = _read_map(candidate, problems)
        else:
            problems.append(MAP_URL_MISSING.format(name=name, url=map_url))
    elif _present(path.parent / f"{name}.map"):
        map_name = f"{name}.map"
        map_text = _read_map(path.parent / map_name, problems)
    elif debug_id is None:
        problems.append(NO_MAP.format(name=name))
    if map_text is not None and map_name is not None:
        problems.extend(_map_problems(map_name, map_text, name=name, debug_id=debug_id))
    return BundleFile(name, map_name, debug_id, hashed, tuple(problems))


def _present(path: Path) -> bool:
    """A name that exists and is not a directory: read, or refused by name when not regular."""
    return path.exists() and not path.is_dir()


def scan_bundles(dist_dir: Path, *, cap: int = MAX_BUNDLES) -> BundleScan:
    """Scan the ``*.js`` directly in ``dist_dir`` (sorted by name; the first ``cap`` of them).

    A name that is not a regular file (a link to a device, a FIFO) or is above
    ``files.CAP_BUNDLE`` is a problem naming it, never read.
    """
    if not dist_dir.is_dir():
        return BundleScan(dist_dir=dist_dir, bundles=(), exists=False)
    paths = sorted(p for p in dist_dir.glob("*.js") if _present(p))
    bundles = tuple(scan_bundle(p) for p in paths[:cap])
    return BundleScan(dist_dir=dist_dir, bundles=bundles, exists=True, capped=len(paths) > cap)


def split_prefix(name: str) -> tuple[str, str]:
    """Split an artifact name or URL into its prefix and basename.

    ``app://localhost/assets/main-abc.js`` → ``("app://localhost/assets", "main-abc.js")``;
    ``~/assets/main.js`` → ``("~/assets", "main.js")``; ``main.js`` → ``("", "main.js")``.
    """
    prefix, _, basename = name.rpartition("/")
    return prefix, basename


def join_url(prefix: str, relative: str) -> str:
    """``prefix`` + ``/`` + ``relative``, with ``..`` resolved below the scheme and host."""
    scheme, sep, rest = prefix.rstrip("/").rpartition("://")
    joined = posixpath.normpath(f"{rest}/{relative}") if rest else relative
    return f"{scheme}{sep}{joined}"


def tilde_form(url: str) -> str:
    """The ``~/path`` form of a URL: ``app://localhost/assets/a.js`` → ``~/assets/a.js``."""
    if url.startswith("~/"):
        return url
    _, sep, rest = url.partition("://")
    path = rest.partition("/")[2] if sep else url.lstrip("/")
    return f"~/{path}"


def expected_artifact_names(scan: BundleScan, url_prefix: str = DEFAULT_URL_PREFIX) -> list[str]:
    """Full artifact URLs of every bundle and its (non-inline) map under ``url_prefix``."""
    names = []
    for bundle in scan.bundles:
        names.append(join_url(url_prefix, bundle.name))
        if bundle.map_name is not None and bundle.map_name != INLINE_MAP:
            names.append(join_url(url_prefix, bundle.map_name))
    return names
