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

Tauri v2 capabilities (``tauri_capability_check``) are read as Tauri's build reads them: every
``*.json`` and ``*.toml`` under ``src-tauri/capabilities/`` (subdirectories too), plus the
capabilities written inline in ``tauri.conf.json`` (``app.security.capabilities``). When that
list is not empty, only the capabilities it names (by identifier) or inlines are enabled: a file
it does not name does not count.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

from pytest_sentry_gate.errors import RepoFileError
from pytest_sentry_gate.repo import files as repo_files

REGEX_PREFIX: Final = "re:"
TAURI_DIR: Final = "src-tauri"
CAPABILITIES_DIR: Final = "src-tauri/capabilities"
CAPABILITIES_GLOB: Final = "src-tauri/capabilities/**/*.{json,toml}"
CAPABILITY_SUFFIXES: Final = (".json", ".toml")
TAURI_CONF: Final = "src-tauri/tauri.conf.json"
INLINE_CAPABILITY: Final = "src-tauri/tauri.conf.json (app.security.capabilities[{index}])"
SENTRY_PERMISSION: Final = "sentry:default"
#: At most this many capability files are read (a real app has a handful).
MAX_CAPABILITY_FILES: Final = 1000
CAPABILITY_UNREAD: Final = "{problem} (another enabled capability grants sentry:default)"
CAPABILITY_UNREAD_FAIL: Final = "{problems} (no readable capability grants sentry:default)"
CAPABILITIES_CAPPED: Final = (
    "more than {cap} capability files under {dir}: only the first {cap} (by name) were read"
)

DEFAULT_CAPABILITY: Final = "src-tauri/capabilities/default.json"
CAPABILITY_GRANTED: Final = "sentry:default is granted by {files}"
CAPABILITY_NO_FILES: Final = (
    "no capability file matches {glob}: the Sentry plugin has no permission"
)
CAPABILITY_MISSING: Final = "no capability grants sentry:default (read: {files})"
CAPABILITY_NOT_LISTED: Final = (
    "{files} grant(s) sentry:default but {conf} lists its capabilities explicitly "
    "(app.security.capabilities) and does not name {identifiers}, so Tauri does not enable it"
)
CAPABILITY_LIST_FIX: Final = 'add "{identifier}" to app.security.capabilities in {conf}'
CAPABILITY_FIX: Final = 'add "sentry:default" to "permissions" in {file}'
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


@dataclass(frozen=True)
class CapabilityResult:
    """Tauri capabilities and which of the enabled ones grant ``sentry:default``.

    ``files`` names every capability source read (a file, or an inline entry of
    ``tauri.conf.json``); ``listed`` is ``app.security.capabilities`` when it is not empty
    (``None`` otherwise: every file is enabled); ``not_enabled`` are sources that grant the
    permission but are not enabled because that list does not name them.
    """

    files: tuple[str, ...]
    granted_by: tuple[str, ...]
    listed: tuple[str, ...] | None = None
    not_enabled: tuple[tuple[str, str], ...] = ()
    unreadable: tuple[RepoFileError, ...] = ()
    capped: bool = False

    @property
    def risks(self) -> tuple[str, ...]:
        """Files that could not be read while another capability grants the permission, and
        a list cut at ``MAX_CAPABILITY_FILES``."""
        cut = (CAPABILITIES_CAPPED.format(cap=MAX_CAPABILITY_FILES, dir=CAPABILITIES_DIR),)
        unread = tuple(CAPABILITY_UNREAD.format(problem=exc) for exc in self.unreadable)
        return (unread if self.granted else ()) + (cut if self.capped else ())

    @property
    def unread_failure(self) -> RepoFileError | None:
        """The first unreadable file when nothing readable grants the permission (it might)."""
        return self.unreadable[0] if self.unreadable and not self.granted else None

    @property
    def granted(self) -> bool:
        """True when at least one enabled capability grants ``sentry:default``."""
        return bool(self.granted_by)

    found = granted

    @property
    def message(self) -> str:
        """One sentence saying which capability grants the permission, or why none does."""
        if self.granted:
            return CAPABILITY_GRANTED.format(files=", ".join(self.granted_by))
        if self.unreadable:
            problems = "; ".join(str(exc) for exc in self.unreadable)
            return CAPABILITY_UNREAD_FAIL.format(problems=problems)
        if self.not_enabled:
            return CAPABILITY_NOT_LISTED.format(
                files=", ".join(file for file, _ in self.not_enabled),
                conf=TAURI_CONF,
                identifiers=", ".join(repr(ident) for _, ident in self.not_enabled),
            )
        if not self.files:
            return CAPABILITY_NO_FILES.format(glob=CAPABILITIES_GLOB)
        return CAPABILITY_MISSING.format(files=", ".join(self.files))

    @property
    def fix(self) -> str | None:
        """What to change when the permission is missing."""
        if self.granted:
            return None
        if self.not_enabled:
            return CAPABILITY_LIST_FIX.format(identifier=self.not_enabled[0][1], conf=TAURI_CONF)
        return CAPABILITY_FIX.format(file=self.files[0] if self.files else DEFAULT_CAPABILITY)

    def evidence(self) -> dict[str, object]:
        """The result as report evidence."""
        evidence: dict[str, object] = {
            "permission": SENTRY_PERMISSION,
            "capability_files": list(self.files),
            "granted_by": list(self.granted_by),
        }
        if self.listed is not None:
            evidence["listed_in_tauri_conf"] = list(self.listed)
            evidence["not_enabled"] = [file for file, _ in self.not_enabled]
        if self.unreadable:
            evidence["unreadable"] = [str(exc) for exc in self.unreadable]
        if self.capped:
            evidence["capped"] = CAPABILITIES_CAPPED.format(
                cap=MAX_CAPABILITY_FILES, dir=CAPABILITIES_DIR
            )
        return evidence


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


def _read_structured(root: Path, rel: str, error: type[RepoFileError]) -> Any:
    """Parse a JSON or TOML file; any problem is ``error`` naming the file (and position).

    A file that is not regular or is above ``files.CAP_MANIFEST`` raises ``files.FileRefused``.
    """
    path = root / rel
    try:
        raw = repo_files.read_bytes(path, cap=repo_files.CAP_MANIFEST, root=root)
        if rel.endswith(".toml"):
            return tomllib.loads(raw.decode("utf-8"))
        return json.loads(raw.decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise error(rel, exc.lineno, exc.colno, exc.msg) from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(rel, None, None, f"not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start}"
        raise error(rel, None, None, f"not UTF-8 text ({exc.reason} at {where})") from exc
    except RecursionError as exc:
        raise error(rel, None, None, "nested too deeply to be read") from exc
    except OSError as exc:
        raise error(rel, None, None, f"cannot be read ({exc.strerror or exc})") from exc


def _capabilities_in(data: Any) -> list[Any]:
    """The capabilities of one file: Tauri accepts one, a list, or ``{"capabilities": [...]}``."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("capabilities"), list):
        return list(data["capabilities"])
    return [data]


def capability_files(root: Path, *, cap: int = MAX_CAPABILITY_FILES) -> list[str]:
    """Every ``*.json``/``*.toml`` under ``src-tauri/capabilities/`` (sorted, relative).

    Directories and names that do not exist (dangling links) are left out; anything else that
    is not a regular file stays in, to be refused by name when read. At most ``cap + 1`` names
    are collected, so a caller can say the list was cut.
    """
    directory = root / CAPABILITIES_DIR
    if not directory.is_dir():
        return []
    found: list[str] = []
    for path in directory.rglob("*"):
        if path.suffix in CAPABILITY_SUFFIXES and path.exists() and not path.is_dir():
            found.append(path.relative_to(root).as_posix())
            if len(found) > cap:
                break
    return sorted(found)


def _listed_capabilities(root: Path) -> list[Any] | None:
    """``app.security.capabilities`` of ``tauri.conf.json`` when it is a non-empty list."""
    if not (root / TAURI_CONF).is_file():
        return None
    conf = _read_structured(root, TAURI_CONF, CapabilityFileError)
    app = conf.get("app") if isinstance(conf, dict) else None
    security = app.get("security") if isinstance(app, dict) else None
    listed = security.get("capabilities") if isinstance(security, dict) else None
    return listed if isinstance(listed, list) and listed else None


def _label(entry: Any) -> str:
    if isinstance(entry, dict):
        return str(entry.get("identifier", "(inline)"))
    return str(entry)


def tauri_capability_check(root: Path) -> CapabilityResult:
    """Say which enabled Tauri capabilities grant ``sentry:default``.

    Files under ``src-tauri/capabilities/`` and inline capabilities of ``tauri.conf.json`` are
    read; when ``app.security.capabilities`` is a non-empty list, a file counts only if the list
    names its identifier. A file that cannot be read or parsed (not UTF-8, bad JSON/TOML, too
    deeply nested) or is refused (not a regular file, above its cap, a link out of the
    repository) is kept in ``unreadable``: a risk when another enabled capability grants the
    permission, the failure otherwise (the unread file might have granted it).
    """
    listed = _listed_capabilities(root)
    names = {entry for entry in listed or () if isinstance(entry, str)}
    files: list[str] = []
    granted: list[str] = []
    not_enabled: list[tuple[str, str]] = []
    unreadable: list[RepoFileError] = []
    names_found = capability_files(root)
    for rel in names_found[:MAX_CAPABILITY_FILES]:
        files.append(rel)
        try:
            data = _read_structured(root, rel, CapabilityFileError)
        except RepoFileError as exc:
            unreadable.append(exc)
            continue
        for capability in _capabilities_in(data):
            if SENTRY_PERMISSION not in _permission_ids(capability):
                continue
            ident = capability.get("identifier") if isinstance(capability, dict) else None
            if listed is None or ident in names:
                granted.append(rel)
            else:
                not_enabled.append((rel, str(ident or "")))
    for index, entry in enumerate(listed or ()):
        if isinstance(entry, dict):
            label = INLINE_CAPABILITY.format(index=index)
            files.append(label)
            if SENTRY_PERMISSION in _permission_ids(entry):
                granted.append(label)
    return CapabilityResult(
        files=tuple(files),
        granted_by=tuple(dict.fromkeys(granted)),
        listed=None if listed is None else tuple(_label(entry) for entry in listed),
        not_enabled=tuple(not_enabled),
        unreadable=tuple(unreadable),
        capped=len(names_found) > MAX_CAPABILITY_FILES,
    )
