"""The verify_loop checkpoint: what the last good run saw, so the next one can say what changed.

One JSON file per org/project (default ``<repo>/.sentry-gate/<org>_<project>.json``) with a
versioned schema (``pytest-sentry-gate/checkpoint@1``). Writing takes a ``filelock`` lock beside
the file (two runs at once, or pytest-xdist workers, cannot interleave), writes a temporary file in
the same directory, fsyncs it and renames it over the old one (readers see the old or the new
file, never half of one). A file that is not a checkpoint of this org/project (corrupt JSON, an
unknown schema, another project's) is moved aside to ``<name>.corrupt-<time>`` and named, and a new
baseline starts: it is never silently overwritten. No pytest, no httpx here.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

SCHEMA: Final = "pytest-sentry-gate/checkpoint@1"
LOCK_TIMEOUT: Final = 30.0


class CheckpointError(OSError):
    """The checkpoint cannot be read or written at ``path`` (the message names it)."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"checkpoint {path}: {detail}")
        self.path = path
        self.detail = detail


@dataclass(frozen=True)
class Checkpoint:
    """What one run saw: when, the unresolved ids, and the snapshots the next run compares."""

    org: str
    project: str
    checked_at: str
    period: str
    unresolved_ids: frozenset[str] = field(repr=False)
    unresolved_count: int = 0
    high_severity: tuple[dict[str, Any], ...] = ()
    release: str | None = None
    release_regressions: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "org": self.org,
            "project": self.project,
            "checked_at": self.checked_at,
            "statsPeriod": self.period,
            "unresolved_count": self.unresolved_count,
            "unresolved_ids": sorted(self.unresolved_ids, key=_id_key),
            "high_severity": list(self.high_severity),
            "release": self.release,
            "release_regressions": list(self.release_regressions),
        }


@dataclass(frozen=True)
class Loaded:
    """The previous checkpoint (``None``: first run) and where a bad file was moved, if any."""

    previous: Checkpoint | None
    moved_aside: Path | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Changes:
    """New and resolved since the previous checkpoint: set differences of issue ids."""

    new: tuple[str, ...]
    resolved: tuple[str, ...]
    baseline: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "new_since_last": {"count": len(self.new), "ids": list(self.new)},
            "resolved_since_last": {"count": len(self.resolved), "ids": list(self.resolved)},
        }


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 62, value)


def default_path(repo_root: Path, org: str, project: str) -> Path:
    """``<repo>/.sentry-gate/<org>_<project>.json``."""
    return repo_root / ".sentry-gate" / f"{org}_{project}.json"


def changes(previous: Checkpoint | None, current: Iterable[str]) -> Changes:
    """The ids that appeared and the ids that left since ``previous`` (both empty on a baseline)."""
    now = frozenset(current)
    if previous is None:
        return Changes(new=(), resolved=(), baseline=True)
    new = sorted(now - previous.unresolved_ids, key=_id_key)
    gone = sorted(previous.unresolved_ids - now, key=_id_key)
    return Changes(new=tuple(new), resolved=tuple(gone), baseline=False)


def _parse(data: Any, org: str, project: str) -> Checkpoint:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} document")
    if data.get("org") != org or data.get("project") != project:
        raise ValueError(f"belongs to {data.get('org')}/{data.get('project')}, not {org}/{project}")
    ids = data.get("unresolved_ids")
    if not isinstance(ids, list) or not isinstance(data.get("checked_at"), str):
        raise ValueError("unresolved_ids or checked_at missing")
    return Checkpoint(
        org=org,
        project=project,
        checked_at=data["checked_at"],
        period=str(data.get("statsPeriod", "")),
        unresolved_ids=frozenset(str(i) for i in ids),
        unresolved_count=int(data.get("unresolved_count", len(ids))),
        high_severity=tuple(data.get("high_severity") or ()),
        release=data.get("release"),
        release_regressions=tuple(data.get("release_regressions") or ()),
    )


def _lock(path: Path) -> Any:
    from filelock import FileLock

    return FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT)


def _move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    return target


def load(path: Path, *, org: str, project: str) -> Loaded:
    """The previous checkpoint; a corrupt or foreign file is moved aside (and named)."""
    if not path.exists():
        return Loaded(previous=None)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock(path):
            if not path.exists():
                return Loaded(previous=None)
            try:
                text = path.read_text(encoding="utf-8")
                return Loaded(previous=_parse(json.loads(text), org, project))
            except (ValueError, TypeError, UnicodeDecodeError) as exc:
                return Loaded(previous=None, moved_aside=_move_aside(path), problem=str(exc))
    except OSError as exc:
        raise CheckpointError(path, exc.strerror or str(exc)) from exc


def save(path: Path, checkpoint: Checkpoint) -> None:
    """Write atomically under the lock: temp file in the same directory, fsync, rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock(path):
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(checkpoint.as_json(), handle, indent=1)
                    handle.write("\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(path.parent)
    except OSError as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(path, exc.strerror or str(exc)) from exc


def writable_problem(path: Path) -> str | None:
    """Why the checkpoint could not be written at ``path`` (``None``: it can), without writing."""
    target = path if path.exists() else path.parent
    while not target.exists() and target != target.parent:
        target = target.parent
    if target.is_file() and target != path:
        return f"{target} is a file"
    check = target if target.is_dir() else target.parent
    if not os.access(check, os.W_OK | os.X_OK):
        return f"no write permission on {check}"
    if path.exists() and not os.access(path, os.W_OK):
        return f"no write permission on {path}"
    return None


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
