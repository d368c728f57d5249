"""The app version, read from each version file of the repository and compared.

Files are parsed (``json``, ``tomllib``), never matched with a regular expression. A file is
named by a spec ``path[:dotted.key]`` relative to the repository root; the key defaults by file
kind (``DEFAULT_KEYS``). Two kinds get special handling:

- ``tauri.conf.json`` (Tauri v2): ``version`` may be a path, relative to the config file, to a
  JSON file whose ``version`` is used (Tauri reads it when the path exists); when ``version`` is
  absent Tauri uses ``Cargo.toml``'s, so the source is reported but never counts as a mismatch.
- ``Cargo.toml``: ``version.workspace = true`` is resolved through ``[workspace.package]`` of the
  nearest ``Cargo.toml`` in the file's directory or its ancestors, up to the repository root.

Values are compared as ``packaging`` versions where they parse (``1.4 == 1.4.0``,
``1.4.2-beta.1 == 1.4.2b1``); raw strings are kept as evidence, and ``VersionReport.spellings``
lists every distinct raw string: a release name built from the raw string (``{project}@{version}``)
differs between ``v1.4.2`` and ``1.4.2``, and Sentry compares release names as text. A file that
cannot be parsed (bad JSON/TOML, not UTF-8, nested too deeply), a JSON version file that is not an
object, and a version that is ``null`` or not a string are a ``VersionFileError`` naming the file
(and the position). In ``tauri.conf.json`` a ``null`` version is absent, as Tauri reads it.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

from packaging.version import InvalidVersion, Version

from pytest_sentry_gate.errors import RepoFileError
from pytest_sentry_gate.repo import files
from pytest_sentry_gate.repo.defaults import DEFAULT_VERSION_FILES as DEFAULT_VERSION_FILES

DEFAULT_KEYS: Final = {
    "tauri.conf.json": "version",
    "Cargo.toml": "package.version",
    "pyproject.toml": "project.version",
    ".json": "version",
}

NOTE_TAURI_ABSENT: Final = "absent: Tauri uses Cargo.toml's"
NOTE_TAURI_PATH: Final = "path to {path}"
NOTE_WORKSPACE: Final = "inherited from {file} [workspace.package]"
NOTE_DYNAMIC: Final = "dynamic: set by the build backend"
NOTE_NO_KEY: Final = "no {key}"
NOTE_SAME_VERSION: Final = "{values} are spelled differently but are the same version ({normal})"
BAD_SPEC: Final = (
    "Invalid version file spec {spec!r}: {reason}; expected path[:dotted.key], e.g. "
    "pyproject.toml:project.version"
)
SOURCES_LINE: Final = "{file}={value}"
TOO_DEEP: Final = "nested too deeply to be read"
UNREADABLE: Final = "cannot be read ({reason})"
OUTSIDE_SPEC: Final = "the path must stay inside the repository (no '..')"
NOT_OBJECT: Final = "the document is {kind}, not a JSON object with a version"
NULL_VERSION: Final = "{key} is null: set it to the app version (a string) or remove it"

_TOML_POSITION: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


class VersionFileError(RepoFileError):
    """A version file that cannot be parsed, or whose version field cannot be used."""


@dataclass(frozen=True)
class VersionSource:
    """One file's version: ``value`` is the raw string, ``None`` when the file sets none."""

    file: str
    value: str | None
    note: str = ""


@dataclass(frozen=True)
class VersionReport:
    """Every source, whether they agree, and the agreed version (raw form of the first source)."""

    sources: tuple[VersionSource, ...]
    aligned: bool
    version: str | None
    mismatches: tuple[VersionSource, ...] = ()
    unparseable: tuple[str, ...] = ()
    missing_files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None
    spellings: tuple[str, ...] = ()
    error_reason: str = "repo_file"


@dataclass(frozen=True)
class VersionSpec:
    """A parsed ``path[:dotted.key]`` spec."""

    path: str
    key: str


def parse_spec(spec: str) -> VersionSpec:
    """Parse ``path[:dotted.key]``; the key defaults by file kind (``DEFAULT_KEYS``)."""
    path, _, key = spec.strip().partition(":")
    path, key = path.strip(), key.strip()
    if not path:
        raise ValueError(BAD_SPEC.format(spec=spec, reason="the path is empty"))
    if PurePosixPath(path).is_absolute() or re.match(r"^[A-Za-z]:", path):
        raise ValueError(BAD_SPEC.format(spec=spec, reason="the path must be relative"))
    if ".." in PurePosixPath(path.replace("\\", "/")).parts:
        raise ValueError(BAD_SPEC.format(spec=spec, reason=OUTSIDE_SPEC))
    if not key:
        name = PurePosixPath(path).name
        key = DEFAULT_KEYS.get(name) or DEFAULT_KEYS.get(PurePosixPath(name).suffix, "")
        if not key:
            raise ValueError(BAD_SPEC.format(spec=spec, reason="no default key for this file"))
    if any(not part for part in key.split(".")):
        raise ValueError(BAD_SPEC.format(spec=spec, reason=f"bad key {key!r}"))
    return VersionSpec(path=path, key=key)


def _read(root: Path, rel: str, encoding: str) -> str:
    path = root / rel
    return files.read_text(path, cap=files.CAP_MANIFEST, encoding=encoding, root=root)


def load_json(root: Path, rel: str) -> Any:
    """Parse ``root/rel`` as JSON; a bad file is a ``VersionFileError`` with its position.

    Only a regular file inside the repository, within ``files.CAP_MANIFEST``, is read; anything
    else (a link out of the repository too) raises ``files.FileRefused`` naming the file.
    """
    try:
        return json.loads(_read(root, rel, "utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise VersionFileError(rel, exc.lineno, exc.colno, exc.msg) from exc
    except UnicodeDecodeError as exc:
        raise VersionFileError(rel, None, None, f"not UTF-8 ({exc.reason})") from exc
    except RecursionError as exc:
        raise VersionFileError(rel, None, None, TOO_DEEP) from exc
    except OSError as exc:
        raise VersionFileError(rel, None, None, UNREADABLE.format(reason=_why(exc))) from exc


def load_json_object(root: Path, rel: str) -> dict[str, Any]:
    """``load_json``, and the document must be a JSON object (a version file always is)."""
    data = load_json(root, rel)
    if not isinstance(data, dict):
        raise VersionFileError(rel, None, None, NOT_OBJECT.format(kind=_json_kind(data)))
    return data


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def load_toml(root: Path, rel: str) -> dict[str, Any]:
    """Parse ``root/rel`` as TOML; a bad file is a ``VersionFileError`` with its position."""
    try:
        return tomllib.loads(_read(root, rel, "utf-8"))
    except tomllib.TOMLDecodeError as exc:
        line, column, message = _toml_position(exc)
        raise VersionFileError(rel, line, column, message) from exc
    except UnicodeDecodeError as exc:
        raise VersionFileError(rel, None, None, f"not UTF-8 ({exc.reason})") from exc
    except RecursionError as exc:
        raise VersionFileError(rel, None, None, TOO_DEEP) from exc
    except OSError as exc:
        raise VersionFileError(rel, None, None, UNREADABLE.format(reason=_why(exc))) from exc


def _toml_position(exc: tomllib.TOMLDecodeError) -> tuple[int | None, int | None, str]:
    line = getattr(exc, "lineno", None)  # Python 3.14+
    if isinstance(line, int):
        return line, getattr(exc, "colno", None), str(getattr(exc, "msg", exc))
    text = str(exc)
    match = _TOML_POSITION.search(text)
    if match is None:
        return None, None, text
    return int(match[1]), int(match[2]), text[: match.start()]


def _lookup(data: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _has_key(data: Any, key: str) -> bool:
    *parents, last = key.split(".")
    holder = _lookup(data, ".".join(parents)) if parents else data
    return isinstance(holder, dict) and last in holder


def _as_version(rel: str, key: str, value: Any) -> str:
    if value is None:
        raise VersionFileError(rel, None, None, NULL_VERSION.format(key=key))
    if not isinstance(value, str):
        kind = type(value).__name__
        raise VersionFileError(rel, None, None, f"{key} is a {kind} ({value!r}), not a string")
    return value


def _rel(root: Path, path: Path) -> str:
    return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()


def _read_tauri(root: Path, spec: VersionSpec) -> VersionSource:
    data = load_json_object(root, spec.path)
    value = _lookup(data, spec.key)
    if value is None:  # absent or null: Tauri reads both as "use Cargo.toml's"
        return VersionSource(spec.path, None, NOTE_TAURI_ABSENT)
    value = _as_version(spec.path, spec.key, value)
    target = (root / spec.path).parent / value
    if target.is_file():
        rel = _rel(root, target)
        target_data = load_json_object(root, rel)
        if not _has_key(target_data, "version"):
            raise VersionFileError(rel, None, None, f"no version (named by {spec.path})")
        version = _as_version(rel, "version", target_data["version"])
        return VersionSource(spec.path, version, NOTE_TAURI_PATH.format(path=value))
    if value.endswith(".json") or "/" in value:
        message = f"{spec.key} names {value}, which does not exist (relative to this file)"
        raise VersionFileError(spec.path, None, None, message)
    return VersionSource(spec.path, value)


def _workspace_version(root: Path, start: Path) -> tuple[str, Any]:
    root = root.resolve()
    directory = start.resolve()
    while True:
        candidate = directory / "Cargo.toml"
        if candidate.is_file():
            rel = _rel(root, candidate)
            workspace = load_toml(root, rel).get("workspace")
            if isinstance(workspace, dict):
                return rel, _lookup(workspace, "package.version")
        if directory == root or directory.parent == directory:
            break
        directory = directory.parent
    raise VersionFileError(
        _rel(root, start / "Cargo.toml"),
        None,
        None,
        "version.workspace = true, but no Cargo.toml with [workspace] up to the repository root",
    )


def _read_toml(root: Path, spec: VersionSpec) -> VersionSource:
    data = load_toml(root, spec.path)
    value = _lookup(data, spec.key)
    if isinstance(value, dict) and value.get("workspace") is True:
        ws_file, inherited = _workspace_version(root, (root / spec.path).parent)
        if inherited is None:
            message = (
                f"{spec.key}.workspace = true, but {ws_file} has no [workspace.package] version"
            )
            raise VersionFileError(spec.path, None, None, message)
        version = _as_version(ws_file, "workspace.package.version", inherited)
        return VersionSource(spec.path, version, NOTE_WORKSPACE.format(file=ws_file))
    if value is None and not _has_key(data, spec.key):
        dynamic = _lookup(data, "project.dynamic")
        if spec.key == "project.version" and isinstance(dynamic, list) and "version" in dynamic:
            return VersionSource(spec.path, None, NOTE_DYNAMIC)
        return VersionSource(spec.path, None, NOTE_NO_KEY.format(key=spec.key))
    return VersionSource(spec.path, _as_version(spec.path, spec.key, value))


def read_source(root: Path, spec: VersionSpec) -> VersionSource:
    """Read one spec's version (the file must exist)."""
    name = PurePosixPath(spec.path).name
    if name == "tauri.conf.json" and spec.key == "version":
        return _read_tauri(root, spec)
    if name.endswith(".toml"):
        return _read_toml(root, spec)
    data = load_json_object(root, spec.path)
    if not _has_key(data, spec.key):
        return VersionSource(spec.path, None, NOTE_NO_KEY.format(key=spec.key))
    return VersionSource(spec.path, _as_version(spec.path, spec.key, _lookup(data, spec.key)))


def _key(value: str) -> tuple[str, Version | str]:
    try:
        return ("version", Version(value))
    except InvalidVersion:
        return ("raw", value)


def read_versions(repo_root: Path, files: Sequence[str] = DEFAULT_VERSION_FILES) -> VersionReport:
    """Read every spec in ``files`` under ``repo_root`` and say whether the versions agree."""
    specs = [parse_spec(spec) for spec in files]
    sources: list[VersionSource] = []
    missing: list[str] = []
    for spec in specs:
        if (repo_root / spec.path).exists():
            sources.append(read_source(repo_root, spec))
        else:
            missing.append(spec.path)
    valued = [(s, s.value, _key(s.value)) for s in sources if s.value is not None]
    unparseable = tuple(dict.fromkeys(value for _, value, key in valued if key[0] == "raw"))
    ranked = Counter(key for _, _, key in valued).most_common()
    if not ranked:
        return VersionReport(tuple(sources), False, None, missing_files=tuple(missing))
    winner, top = ranked[0]
    if len(ranked) > 1:
        tie = ranked[1][1] == top
        mismatches = tuple(s for s, _, key in valued if tie or key != winner)
        return VersionReport(tuple(sources), False, None, mismatches, unparseable, tuple(missing))
    notes: tuple[str, ...] = ()
    spellings = list(dict.fromkeys(value for _, value, _ in valued))
    if len(spellings) > 1:
        values = " and ".join(repr(v) for v in spellings)
        notes = (NOTE_SAME_VERSION.format(values=values, normal=winner[1]),)
    return VersionReport(
        tuple(sources),
        True,
        spellings[0],
        (),
        unparseable,
        tuple(missing),
        notes,
        spellings=tuple(spellings),
    )


def describe_sources(sources: Sequence[VersionSource]) -> str:
    """``file=value (note)`` for each source, comma separated: the evidence of a mismatch."""
    parts = []
    for source in sources:
        text = SOURCES_LINE.format(file=source.file, value=source.value or "-")
        parts.append(f"{text} ({source.note})" if source.note else text)
    return ", ".join(parts)
