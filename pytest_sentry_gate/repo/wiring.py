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
A default marker that is not found says in words what is missing, where, and the line to add
(``WiringMarker.missing``/``fix``); a configured one names the ini line as written.

Tauri's capabilities (``tauri_capability_check``) are read by ``capabilities.py``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from pytest_sentry_gate.errors import RepoFileError
from pytest_sentry_gate.repo import files as repo_files
from pytest_sentry_gate.repo.capabilities import (
    CAPABILITIES_DIR,
    CAPABILITY_GRANTED,
    CAPABILITY_MISSING,
    CAPABILITY_NO_FILES,
    CapabilityFileError,
    CapabilityResult,
    is_tauri_repo,
    tauri_capability_check,
)

__all__ = [  # the capability names, read by ``capabilities.py``, stay importable from here
    "CAPABILITIES_DIR",
    "CAPABILITY_GRANTED",
    "CAPABILITY_MISSING",
    "CAPABILITY_NO_FILES",
    "CapabilityFileError",
    "CapabilityResult",
    "is_tauri_repo",
    "tauri_capability_check",
]

REGEX_PREFIX: Final = "re:"
BAD_MARKER: Final = "Invalid wiring marker line {line!r}: {reason}; expected 'path: expected text'"
MARKER_NOT_RELATIVE: Final = "the path must be relative to the repository root, without '..'"
NOTE_PATTERN_NOT_FOUND: Final = "no line of {file} matches the marker {marker!r}"
NOTE_NO_FILE: Final = "skipped: no file matches {file}"
NOTE_NOT_FOUND: Final = "{file} does not contain {expected!r}"
NOTE_FOUND: Final = "{file}:{line} contains {expected!r}"

DEFAULT_TAURI_RELEASE_MARKER_LINES: Final = (
    "vite.config.*: sentryVitePlugin",
    r"vite.config.*: re:[\"'`]({release}|{project}@)",
    r".github/workflows/*.y*ml: re:SENTRY_RELEASE\s*[:=]\s*[\"']?({release}|{project}@\$\{\{)",
)
# What each default marker means, in words, and the line that makes it hold (same order).
DEFAULT_TAURI_RELEASE_WORDS: Final = (
    (
        "{file} does not use sentryVitePlugin (from @sentry/vite-plugin), so the build uploads "
        "no source maps for {release}",
        'add to {file}: import {{ sentryVitePlugin }} from "@sentry/vite-plugin"; import '
        '{{ version }} from "./package.json"; and '
        'sentryVitePlugin({{ org: process.env.SENTRY_ORG, project: "{project}", '
        "release: {{ name: `{project}@${{version}}` }} }}) in plugins",
    ),
    (
        "{file} names no release that is {release} or starts with {project}@ (the release the "
        "Vite plugin uploads to is not the one under check)",
        "add to the sentryVitePlugin({{ … }}) options in {file}: "
        "release: {{ name: `{project}@${{version}}` }}",
    ),
    (
        "no workflow in {file} sets SENTRY_RELEASE to {release} or to {project}@${{{{ … }}}}",
        "add to the env of the build step in {file}: "
        "SENTRY_RELEASE: {project}@${{{{ steps.version.outputs.version }}}}",
    ),
)


@dataclass(frozen=True)
class WiringMarker:
    """A text that must appear in a file (or in any file matching a glob).

    ``missing`` and ``fix`` (format strings over ``file``, ``release``, ``project``,
    ``version``) say in words what is missing and the line to add; empty for ini markers.
    """

    file: str
    expected: str
    missing: str = ""
    fix: str = ""


@dataclass(frozen=True)
class WiringResult:
    """One marker checked: ``expected`` is rendered; ``file`` is the matching file when found."""

    file: str
    expected: str
    found: bool
    present_file: bool
    line: int | None = None
    note: str = ""
    fix: str = ""

    def describe(self) -> str:
        """One sentence: where the text was found, or why not."""
        return self.note

    def evidence(self) -> dict[str, object]:
        """The result as report evidence."""
        return dataclasses.asdict(self)


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
        if not _is_relative(file):
            raise ValueError(BAD_MARKER.format(line=raw, reason=MARKER_NOT_RELATIVE))
        try:  # the glob is parsed when first iterated; a directory that does not exist will do
            next(iter(Path("/nonexistent-sentry-gate").glob(file)), None)
        except ValueError as exc:
            raise ValueError(BAD_MARKER.format(line=raw, reason=f"bad glob: {exc}")) from None
        if expected.startswith(REGEX_PREFIX):
            sample = {"release": "r", "project": "p", "version": "1"}
            pattern = _render(expected[len(REGEX_PREFIX) :], regex=True, values=sample)
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(BAD_MARKER.format(line=raw, reason=f"bad regex: {exc}")) from None
        markers.append(WiringMarker(file=file, expected=expected))
    return markers


def _is_relative(file: str) -> bool:
    path = PurePosixPath(file.replace("\\", "/"))
    drive = re.match(r"^[A-Za-z]:", file) is not None
    return not (path.is_absolute() or drive or ".." in path.parts)


DEFAULT_TAURI_RELEASE_MARKERS: Final = tuple(
    dataclasses.replace(marker, missing=missing, fix=fix)
    for marker, (missing, fix) in zip(
        parse_markers(DEFAULT_TAURI_RELEASE_MARKER_LINES), DEFAULT_TAURI_RELEASE_WORDS, strict=True
    )
)


def _search(root: Path, path: Path, expected: str, *, regex: bool) -> int | None:
    try:
        text = repo_files.read_text(path, cap=repo_files.CAP_MANIFEST, errors="replace", root=root)
    except OSError as exc:
        raise RepoFileError(path.name, None, None, f"cannot be read ({exc.strerror})") from exc
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
    if not _is_relative(marker.file):
        raise ValueError(BAD_MARKER.format(line=marker.file, reason=MARKER_NOT_RELATIVE))
    # a name that is not a regular file, or links out of the repository, is refused by name
    paths = sorted(p for p in repo_root.glob(marker.file) if p.exists() and not p.is_dir())
    for path in paths:
        line = _search(repo_root, path, rendered, regex=regex)
        if line is not None:
            rel = path.relative_to(repo_root).as_posix()
            note = NOTE_FOUND.format(file=rel, line=line, expected=shown)
            return WiringResult(rel, shown, True, True, line, note)
    if not paths:
        return WiringResult(
            marker.file, shown, False, False, None, NOTE_NO_FILE.format(file=marker.file)
        )
    # one file matched: name it (vite.config.ts); several: the glob names them all
    named = paths[0].relative_to(repo_root).as_posix() if len(paths) == 1 else marker.file
    words = {"file": named, **values}
    if marker.missing:
        note = marker.missing.format(**words)
    elif regex:
        note = NOTE_PATTERN_NOT_FOUND.format(file=marker.file, marker=marker.expected)
    else:
        note = NOTE_NOT_FOUND.format(file=marker.file, expected=shown)
    fix = marker.fix.format(**words) if marker.fix else ""
    return WiringResult(marker.file, shown, False, True, None, note, fix)


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
