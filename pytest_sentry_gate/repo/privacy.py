"""The app's Sentry initialisation, read from its source: what it sends and how it is wired.

Generic rules over the repository's source files (Rust, JavaScript/TypeScript, Python), each
finding with its ``file:line``, never one app's strings:

- an initialisation: Rust ``sentry::init(`` (also through ``tauri_plugin_sentry::sentry``), the
  browser SDKs' ``Sentry.init(`` or an ``init(`` imported from ``@sentry/…``, Python
  ``sentry_sdk.init(``;
- ``send_default_pii: true`` / ``sendDefaultPii: true`` / ``send_default_pii=True`` anywhere in
  a file that mentions Sentry: personal data (IP addresses, cookies, user names) is sent;
- a scrubber hook (``before_send`` / ``beforeSend``) in the file of each initialisation; none is
  a risk, not a failure;
- a DSN written as a literal ``https://<key>@<host>/<project>`` in source instead of read from the
  environment (placeholder keys, all ``0`` or all ``f``, do not count); its key is never shown;
- for Tauri: ``tauri-plugin-sentry`` in ``src-tauri/Cargo.toml`` must be registered in the
  builder (``.plugin(tauri_plugin_sentry::init…``), or the webview's events are not forwarded.

Lines whose text starts as a comment (``//``, ``#``, ``/*``, ``*``) are ignored. Build output,
dependencies and hidden directories are not walked (``SKIPPED_DIRS``); files over
``MAX_FILE_BYTES`` are not read, bytes that are not UTF-8 are replaced. A file that cannot be
read (permissions) is a ``PrivacyFileError`` naming it.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pytest_sentry_gate.errors import RepoFileError
from pytest_sentry_gate.repo import files

SOURCE_SUFFIXES: Final = (
    ".rs",
    ".ts",
    ".tsx",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
    ".mts",
    ".cts",
    ".svelte",
    ".vue",
    ".py",
)
SKIPPED_DIRS: Final = frozenset(
    {
        "node_modules",
        "target",
        "dist",
        "build",
        "out",
        "coverage",
        "gen",
        "venv",
        "__pycache__",
        "vendor",
        "examples",
        "tests",
        "test",
        "__tests__",
    }
)
MAX_FILE_BYTES: Final = 1_000_000
TAURI_CARGO: Final = "src-tauri/Cargo.toml"
TAURI_PLUGIN_CRATE: Final = "tauri-plugin-sentry"

INIT_RE: Final = re.compile(
    r"\bsentry::init\s*\(|\bSentry\.init\s*\(|\bsentry_sdk\.init\s*\(|"
    r"(?<![.\w])init\s*\(\s*\{"
)
SENTRY_IMPORT_RE: Final = re.compile(r"""from\s+["']@sentry/[^"']+["']|require\(\s*["']@sentry/""")
PII_RE: Final = re.compile(
    r"\b(?:send_default_pii\s*:\s*true|sendDefaultPii\s*:\s*true|send_default_pii\s*=\s*True)\b"
)
SCRUBBER_RE: Final = re.compile(r"\b(?:before_send|beforeSend)\b")
# A DSN's public key is 32 hex digits (Sentry's ProjectKey); the path ends in the project id.
DSN_RE: Final = re.compile(
    r"https?://(?P<key>[0-9a-fA-F]{32})(?::[0-9a-fA-F]+)?@[\w.-]+(?::\d+)?(?:/[\w.-]+)*/\d+\b"
)
PLACEHOLDER_KEY_RE: Final = re.compile(r"^(?:0+|f+|F+)$")
PLUGIN_REGISTERED_RE: Final = re.compile(r"\.plugin\s*\(\s*(?:::)?tauri_plugin_sentry::init")
COMMENT_PREFIXES: Final = ("//", "#", "/*", "*")

PII_ON: Final = "{where}: {text} sends personal data (IP addresses, cookies, user names) to Sentry"
PII_FIX: Final = "set {option} to false in {where}"
NO_SCRUBBER: Final = (
    "{where}: Sentry is initialised without a before_send/beforeSend hook: nothing scrubs "
    "events before they leave the app"
)
DSN_COMMITTED: Final = (
    "{where}: a DSN is written in the source; read it from the environment instead "
    '(e.g. std::env::var("SENTRY_DSN"), import.meta.env.VITE_SENTRY_DSN)'
)
DSN_FIX: Final = "replace the DSN literal in {where} with a value read from the environment"
PLUGIN_NOT_REGISTERED: Final = (
    "{cargo} depends on tauri-plugin-sentry, but no Rust file registers it in the Tauri builder "
    "(.plugin(tauri_plugin_sentry::init(&client))): the webview's events are not forwarded"
)
PLUGIN_FIX: Final = "add .plugin(tauri_plugin_sentry::init(&client)) to tauri::Builder in {file}"


class PrivacyFileError(RepoFileError):
    """A source file that cannot be read (the message names the file)."""


@dataclass(frozen=True)
class Finding:
    """One rule broken at one place: ``where`` is ``file:line``, ``fix`` what to change."""

    rule: str
    where: str
    message: str
    fix: str = ""


@dataclass(frozen=True)
class PrivacyScan:
    """What the repository's Sentry initialisation does, each fact with ``file:line``."""

    inits: tuple[str, ...]
    scrubbers: tuple[str, ...]
    failures: tuple[Finding, ...]
    risks: tuple[Finding, ...]
    plugin_dependency: bool
    plugin_registered: tuple[str, ...]
    files_read: int

    def evidence(self) -> dict[str, object]:
        """The scan as report evidence (never a DSN key: only where one is)."""
        return {
            "sentry_init": list(self.inits),
            "scrubber_hooks": list(self.scrubbers),
            "tauri_plugin_dependency": self.plugin_dependency,
            "tauri_plugin_registered": list(self.plugin_registered),
            "problems": [f.message for f in self.failures],
            "files_read": self.files_read,
        }


def source_files(root: Path) -> list[Path]:
    """Source files under ``root`` (sorted), skipping build output, dependencies, hidden dirs."""
    found = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in names:
            if name.endswith(SOURCE_SUFFIXES):
                found.append(Path(directory) / name)
    return sorted(found)


def _read(root: Path, path: Path) -> str | None:
    """The file's text (undecodable bytes replaced); ``None`` when it is dangling, not a regular
    file (a link to a device, a FIFO) or larger than ``MAX_FILE_BYTES``: such a file is not read.
    """
    rel = path.relative_to(root).as_posix()
    try:
        return files.read_text(path, cap=MAX_FILE_BYTES, errors="replace")
    except files.FileRefused:
        return None
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR):  # dangling link, link loop
            return None
        raise PrivacyFileError(rel, None, None, f"cannot be read ({exc.strerror})") from exc


def _code_lines(text: str) -> list[tuple[int, str]]:
    """``(number, line)`` of each line that does not start as a comment."""
    return [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if not line.lstrip().startswith(COMMENT_PREFIXES)
    ]


def _mentions_sentry(text: str) -> bool:
    return "sentry" in text.lower()


def _is_init(path: Path, line: str, text: str) -> bool:
    match = INIT_RE.search(line)
    if match is None:
        return False
    token = match.group(0)
    if token.startswith(("sentry::", "Sentry.", "sentry_sdk.")):
        return True
    # a bare init({...}) counts only where it is imported from a Sentry SDK
    return path.suffix != ".rs" and SENTRY_IMPORT_RE.search(text) is not None


def _plugin_dependency(root: Path) -> bool:
    cargo = root / TAURI_CARGO
    try:  # a Cargo.toml that is not a regular file or is above the cap raises FileRefused
        return TAURI_PLUGIN_CRATE in files.read_text(
            cargo, cap=files.CAP_MANIFEST, errors="replace"
        )
    except OSError:
        return False


def scan_privacy(root: Path) -> PrivacyScan:
    """Read the repository's source for its Sentry initialisation and judge it."""
    inits: list[str] = []
    scrubbers: list[str] = []
    failures: list[Finding] = []
    risks: list[Finding] = []
    registered: list[str] = []
    files_read = 0
    for path in source_files(root):
        text = _read(root, path)
        if text is None or not _mentions_sentry(text):
            continue
        files_read += 1
        rel = path.relative_to(root).as_posix()
        file_inits: list[str] = []
        file_scrubber = False
        for number, line in _code_lines(text):
            where = f"{rel}:{number}"
            if _is_init(path, line, text):
                file_inits.append(where)
            if SCRUBBER_RE.search(line):
                file_scrubber = True
                scrubbers.append(where)
            if match := PII_RE.search(line):
                option = match.group(0).split(":")[0].split("=")[0].strip()
                failures.append(
                    Finding(
                        "pii",
                        where,
                        PII_ON.format(where=where, text=match.group(0)),
                        PII_FIX.format(option=option, where=where),
                    )
                )
            for dsn in DSN_RE.finditer(line):
                if not PLACEHOLDER_KEY_RE.match(dsn["key"]):
                    failures.append(
                        Finding(
                            "dsn",
                            where,
                            DSN_COMMITTED.format(where=where),
                            DSN_FIX.format(where=where),
                        )
                    )
            if path.suffix == ".rs" and PLUGIN_REGISTERED_RE.search(line):
                registered.append(where)
        inits.extend(file_inits)
        if file_inits and not file_scrubber:
            risks.extend(
                Finding("scrubber", where, NO_SCRUBBER.format(where=where)) for where in file_inits
            )
    dependency = _plugin_dependency(root)
    if dependency and not registered:
        candidates = ("src-tauri/src/lib.rs", "src-tauri/src/main.rs")
        main = next((p for p in candidates if (root / p).is_file()), candidates[0])
        failures.append(
            Finding(
                "plugin",
                TAURI_CARGO,
                PLUGIN_NOT_REGISTERED.format(cargo=TAURI_CARGO),
                PLUGIN_FIX.format(file=main),
            )
        )
    return PrivacyScan(
        inits=tuple(inits),
        scrubbers=tuple(scrubbers),
        failures=tuple(failures),
        risks=tuple(risks),
        plugin_dependency=dependency,
        plugin_registered=tuple(registered),
        files_read=files_read,
    )
