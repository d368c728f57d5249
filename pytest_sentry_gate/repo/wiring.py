"""Repository wiring: marker texts that must appear in files, and Tauri's Sentry capability.

A marker is one ini line ``path: expected text``. The path is relative to the repository root
and may be a glob (``.github/workflows/*.y*ml``: any matching file will do). The expected text
is a literal substring of one line; with a ``re:`` prefix it is a regular expression searched in
each line. ``{release}``, ``{project}`` and ``{version}`` are replaced by their values (escaped
inside a regular expression); any other brace, such as GitHub's ``${{ … }}``, stays literal.

When the ini gives no markers and the repository is a Tauri app, ``DEFAULT_TAURI_RELEASE_MARKERS``
apply. The release name is usually built from variables, so they check its visible part: the
Vite config uses ``sentryVitePlugin`` and a string that is the release or starts with
``{project}@`` (so ``handy-app@${version}``, the old script's mistake, fails), and a CI workflow
sets ``SENTRY_RELEASE`` to the release or to ``{project}@${{ … }}``. A
marker whose file does not exist is reported with ``present_file=False`` (skipped with a note).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pytest_sentry_gate.errors import RepoFileError

REGEX_PREFIX: Final = "re:"
TAURI_DIR: Final = "src-tauri"
CAPABILITIES_GLOB: Final = "src-tauri/capabilities/*.json"
SENTRY_PERMISSION: Final = "sentry:default"

DEFAULT_CAPABILITY: Final = "src-tauri/capabilities/default.json"
CAPABILITY_GRANTED: Final = "sentry:default is granted by {files}"
CAPABILITY_NO_FILES: Final = (
    "no capability file matches {glob}: the Sentry plugin has no permission"
)
CAPABILITY_MISSING: Final = "no capability grants sentry:default (read: {files})"
CAPABILITY_FIX: Final = 'add "sentry:default" to "permissions" in {file}'
BAD_MARKER: Final = "Invalid wiring marker line {line!r}: {reason}; expected 'path: expected text'"
NOTE_NO_FILE: Final = "skipped: no file matches {file}"
NOTE_NOT_FOUND: Final = "{file} does not contain {expected!r}"
NOTE_FOUND: Final = "{file}:{line} contains {expected!r}"

DEFAULT_TAURI_RELEASE_MARKER_LINES: Final = (
    "vite.config.*: sentryVitePlugin",
    r"vite.config.*: re:[\"'`]({release}|{project}@)",
    r".github/workflows/*.y*ml: re:SENTRY_RELEASE\s*[:=]\s*[\"']?({release}|{project}@\$\{\{)",
)


@dataclass(frozen=True)
class WiringMarker:
    """A text that must appear in a file (or in any file matching a glob)."""

    file: str
    expected: str


@dataclass(frozen=True)
class WiringResult:
    """One marker checked: ``expected`` is rendered; ``file`` is the matching file when found."""

    file: str
    expected: str
    found: bool
    present_file: bool
    line: int | None = None
    note: str = ""

    def describe(self) -> str:
        """One sentence: where the text was found, or why not."""
        return self.note

    def evidence(self) -> dict[str, object]:
        """The result as report evidence."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CapabilityResult:
    """Tauri capability files and which of them grant ``sentry:default``."""

    files: tuple[str, ...]
    granted_by: tuple[str, ...]

    @property
    def granted(self) -> bool:
        """True when at least one capability file grants ``sentry:default``."""
        return bool(self.granted_by)

    found = granted

    @property
    def message(self) -> str:
        """One sentence saying which file grants the permission, or that none does."""
        if self.granted:
            return CAPABILITY_GRANTED.format(files=", ".join(self.granted_by))
        if not self.files:
            return CAPABILITY_NO_FILES.format(glob=CAPABILITIES_GLOB)
        return CAPABILITY_MISSING.format(files=", ".join(self.files))

    @property
    def fix(self) -> str | None:
        """What to change when the permission is missing."""
        if self.granted:
            return None
        return CAPABILITY_FIX.format(file=self.files[0] if self.files else DEFAULT_CAPABILITY)

    def evidence(self) -> dict[str, object]:
        """The result as report evidence."""
        return {
            "permission": SENTRY_PERMISSION,
            "capability_files": list(self.files),
            "granted_by": list(self.granted_by),
        }


class CapabilityFileError(RepoFileError):
    """A Tauri capability file that is not valid JSON (file and position in the message)."""


def _render(expected: str, *, regex: bool, values: dict[str, str]) -> str:
    for name, value in values.items():
        expected = expected.replace("{" + name + "}", re.escape(value) if regex else value)
    return expected


def parse_markers(lines: Sequence[str]) -> list[WiringMarker]:
    """Parse ini lines ``path: expected``; blank lines and ``#`` comments are skipped."""
    markers = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        file, sep, expected = line.partition(":")
        file, expected = file.strip(), expected.strip()
        if not sep or not file or not expected:
            reason = "missing ':'" if not sep else "empty path" if not file else "empty text"
            raise ValueError(BAD_MARKER.format(line=raw, reason=reason))
        if expected.startswith(REGEX_PREFIX):
            sample = {"release": "r", "project": "p", "version": "1"}
            pattern = _render(expected[len(REGEX_PREFIX) :], regex=True, values=sample)
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(BAD_MARKER.format(line=raw, reason=f"bad regex: {exc}")) from None
        markers.append(WiringMarker(file=file, expected=expected))
    return markers


DEFAULT_TAURI_RELEASE_MARKERS: Final = tuple(parse_markers(DEFAULT_TAURI_RELEASE_MARKER_LINES))


def _search(path: Path, expected: str, *, regex: bool) -> int | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    pattern = re.compile(expected) if regex else None
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line) if pattern else expected in line:
            return number
    return None


def check_marker(
    repo_root: Path, marker: WiringMarker, *, release: str, project: str, version: str
) -> WiringResult:
    """Look for one marker in its file(s)."""
    regex = marker.expected.startswith(REGEX_PREFIX)
    body = marker.expected[len(REGEX_PREFIX) :] if regex else marker.expected
    values = {"release": release, "project": project, "version": version}
    rendered = _render(body, regex=regex, values=values)
    shown = REGEX_PREFIX + rendered if regex else rendered
    paths = sorted(p for p in repo_root.glob(marker.file) if p.is_file())
    for path in paths:
        line = _search(path, rendered, regex=regex)
        if line is not None:
            rel = path.relative_to(repo_root).as_posix()
            note = NOTE_FOUND.format(file=rel, line=line, expected=shown)
            return WiringResult(rel, shown, True, True, line, note)
    if not paths:
        return WiringResult(
            marker.file, shown, False, False, None, NOTE_NO_FILE.format(file=marker.file)
        )
    note = NOTE_NOT_FOUND.format(file=marker.file, expected=shown)
    return WiringResult(marker.file, shown, False, True, None, note)


def check_markers(
    repo_root: Path,
    markers: Sequence[WiringMarker],
    *,
    release: str,
    project: str,
    version: str,
) -> list[WiringResult]:
    """Check every marker against the repository at ``repo_root``."""
    return [
        check_marker(repo_root, marker, release=release, project=project, version=version)
        for marker in markers
    ]


def is_tauri_repo(root: Path) -> bool:
    """True when ``root`` has a ``src-tauri/`` directory (a Tauri app)."""
    return (root / TAURI_DIR).is_dir()


def _permission_ids(data: object) -> list[str]:
    permissions = data.get("permissions") if isinstance(data, dict) else None
    ids = []
    for entry in permissions if isinstance(permissions, list) else []:
        if isinstance(entry, str):
            ids.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("identifier"), str):
            ids.append(entry["identifier"])
    return ids


def tauri_capability_check(root: Path) -> CapabilityResult:
    """Parse each ``src-tauri/capabilities/*.json`` and say which grant ``sentry:default``.

    A file that is not JSON is a ``CapabilityFileError`` naming the file and position.
    """
    files: list[str] = []
    granted: list[str] = []
    for path in sorted(root.glob(CAPABILITIES_GLOB)):
        rel = path.relative_to(root).as_posix()
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise CapabilityFileError(rel, exc.lineno, exc.colno, exc.msg) from exc
        files.append(rel)
        if SENTRY_PERMISSION in _permission_ids(data):
            granted.append(rel)
    return CapabilityResult(files=tuple(files), granted_by=tuple(granted))
