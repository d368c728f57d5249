"""Tauri's Sentry capability: which enabled capability grants ``sentry:default``.

Tauri v2 capabilities (``tauri_capability_check``) are read as Tauri's build reads them: every
``*.json`` and ``*.toml`` under ``src-tauri/capabilities/`` (subdirectories too), plus the
capabilities written inline in ``tauri.conf.json`` (``app.security.capabilities``). When that
list is not empty, only the capabilities it names (by identifier) or inlines are enabled: a file
it does not name does not count.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_sentry_gate.errors import RepoFileError
from pytest_sentry_gate.repo import files as repo_files

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
