"""The verify_loop checkpoint: what the last good run saw, so the next one can say what changed.

One JSON file per org/project (default ``<repo>/.sentry-gate/<org>_<project>.json``) with a
versioned schema (``pytest-sentry-gate/checkpoint@1``). ``commit`` takes a ``filelock`` lock beside
the file and, under it, reads the checkpoint as it is *now*, computes the changes against it, and
writes a temporary file in the same directory, fsyncs it and renames it over the old one (readers
see the old or the new file, never half of one). So when several runs finish at once a change is
counted once, and an older snapshot never replaces a newer checkpoint (``checked_at`` never moves
backwards).

Reading is bounded (``repo.files``: a regular file of at most ``CAP_CHECKPOINT`` bytes). A regular
file that does not validate (not JSON, ``1e999``, nested 200,000 deep, an unknown schema, another
project's, a file above the cap) is moved aside to ``<name>.corrupt-<time>`` and named, once, and a
new baseline starts. Anything else at the path (a symlink, FIFO, device) is ``CheckpointRefused``:
never read, moved or replaced (``repo.state_files``). No pytest, no httpx here.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Final

from pytest_sentry_gate.errors import SentryGateError
from pytest_sentry_gate.repo.files import CAP_CHECKPOINT, FileRefused, read_text
from pytest_sentry_gate.repo.state_files import (
    ONLY_REGULAR,
    clean_orphans,
    ensure_directory,
    fsync_directory,
    move_aside,
    refusal,
    temp_prefix,
)

SCHEMA: Final = "pytest-sentry-gate/checkpoint@1"
LOCK_TIMEOUT: Final = 30.0


class CheckpointError(OSError):
    """The checkpoint cannot be read or written at ``path`` (the message names it)."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"checkpoint {path}: {detail}")
        self.path = path
        self.detail = detail


class CheckpointRefused(SentryGateError):
    """The checkpoint path holds a symlink, FIFO, device or directory: never read or replaced."""

    verdict_reason: ClassVar[str] = "checkpoint_refused"

    def __init__(self, path: Path, why: str, *, message: str | None = None) -> None:
        super().__init__(message or f"the checkpoint {path} is {why}: {ONLY_REGULAR}")
        self.path = path
        self.why = why


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
            "unresolved_ids": sorted(self.unresolved_ids, key=id_order),
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


@dataclass(frozen=True)
class Committed:
    """What ``commit`` found under the lock and did: the checkpoint it compared with (as it was
    when writing), the changes against it, and whether it wrote (``superseded``: a newer
    checkpoint was there, kept, and no change is claimed)."""

    previous: Checkpoint | None
    changes: Changes
    written: bool
    superseded: bool = False
    moved_aside: Path | None = None
    problem: str | None = None
    orphans_removed: int = 0


def id_order(value: str) -> tuple[int, str]:
    """Sort key of issue ids: numeric ids by value, anything else after them."""
    return (int(value), "") if value.isdigit() and len(value) < 19 else (1 << 62, value)


def default_path(repo_root: Path, org: str, project: str) -> Path:
    """``<repo>/.sentry-gate/<org>_<project>.json``."""
    return repo_root / ".sentry-gate" / f"{org}_{project}.json"


def changes(previous: Checkpoint | None, current: Iterable[str]) -> Changes:
    """The ids that appeared and the ids that left since ``previous`` (both empty on a baseline)."""
    now = frozenset(current)
    if previous is None:
        return Changes(new=(), resolved=(), baseline=True)
    new = sorted(now - previous.unresolved_ids, key=id_order)
    gone = sorted(previous.unresolved_ids - now, key=id_order)
    return Changes(new=tuple(new), resolved=tuple(gone), baseline=False)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is not finite")
    return value


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a JSON number")


def _dicts(value: Any, name: str) -> tuple[dict[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{name} is not a list of objects")
    return tuple(value)


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"checked_at {text[:40]!r} has no time zone")
    return moment


def _parse(data: Any, org: str, project: str) -> Checkpoint:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} document")
    if data.get("org") != org or data.get("project") != project:
        raise ValueError(f"belongs to {data.get('org')}/{data.get('project')}, not {org}/{project}")
    ids, checked = data.get("unresolved_ids"), data.get("checked_at")
    if not isinstance(ids, list) or not isinstance(checked, str):
        raise ValueError("unresolved_ids or checked_at missing")
    if not all(isinstance(i, str | int) and not isinstance(i, bool) for i in ids):
        raise ValueError("unresolved_ids holds something that is not an issue id")
    _time(checked)
    count = data.get("unresolved_count", len(ids))
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError("unresolved_count is not a count")
    release, period = data.get("release"), data.get("statsPeriod", "")
    if not isinstance(release, str | None) or not isinstance(period, str):
        raise ValueError("release or statsPeriod is not text")
    return Checkpoint(
        org=org,
        project=project,
        checked_at=checked,
        period=period,
        unresolved_ids=frozenset(str(i) for i in ids),
        unresolved_count=count,
        high_severity=_dicts(data.get("high_severity"), "high_severity"),
        release=release,
        release_regressions=_dicts(data.get("release_regressions"), "release_regressions"),
    )


def decode(text: str, *, org: str, project: str) -> Checkpoint:
    """The checkpoint in ``text``; ``ValueError`` naming why for anything that does not validate
    (never ``OverflowError`` or ``RecursionError``: a hostile file cannot wedge the loop)."""
    try:
        data = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
        return _parse(data, org, project)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except (TypeError, OverflowError) as exc:
        raise ValueError(str(exc)) from None


def _lock(path: Path) -> Any:
    from filelock import FileLock

    return FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT)


def _refuse(path: Path) -> None:
    why = refusal(path)
    if why is not None:
        raise CheckpointRefused(path, why)


def _read(path: Path, org: str, project: str) -> Loaded:
    """The checkpoint at ``path`` (call under the lock): a regular file that does not validate is
    moved aside; anything else at the path is refused."""
    _refuse(path)
    try:
        text = read_text(path, cap=CAP_CHECKPOINT)
        return Loaded(previous=decode(text, org=org, project=project))
    except FileNotFoundError:
        return Loaded(previous=None)
    except FileRefused as exc:
        _refuse(path)  # swapped for something else since: never moved
        problem = exc.why
    except UnicodeDecodeError:
        problem = "not UTF-8 text"
    except ValueError as exc:
        problem = str(exc)
    return Loaded(previous=None, moved_aside=move_aside(path), problem=problem)


def load(path: Path, *, org: str, project: str) -> Loaded:
    """The previous checkpoint; a regular file that does not validate is moved aside (and named),
    anything else at the path raises ``CheckpointRefused``."""
    _refuse(path)
    if not path.exists():
        return Loaded(previous=None)
    try:
        with _lock(path):
            return _read(path, org, project)
    except OSError as exc:
        raise CheckpointError(path, exc.strerror or str(exc)) from exc


def _write(path: Path, checkpoint: Checkpoint) -> int:
    """Atomically replace ``path`` (call under the lock); the number of orphaned temp files
    removed on the way."""
    _refuse(path)  # checked again under the lock: a file swapped in since is never replaced
    orphans = len(clean_orphans(path))
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
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
    fsync_directory(path.parent)
    return orphans


def commit(path: Path, checkpoint: Checkpoint) -> Committed:
    """Under the lock: read the checkpoint as it is now, count the changes against it, and write
    ``checkpoint`` unless the one there is newer (then keep it, and claim no change)."""
    _refuse(path)
    try:
        ensure_directory(path.parent)
        with _lock(path):
            found = _read(path, checkpoint.org, checkpoint.project)
            current = found.previous
            if current is not None and _time(current.checked_at) > _time(checkpoint.checked_at):
                none = Changes(new=(), resolved=(), baseline=False)
                return Committed(current, none, written=False, superseded=True)
            orphans = _write(path, checkpoint)
    except OSError as exc:
        raise CheckpointError(path, exc.strerror or str(exc)) from exc
    return Committed(
        previous=current,
        changes=changes(current, checkpoint.unresolved_ids),
        written=True,
        moved_aside=found.moved_aside,
        problem=found.problem,
        orphans_removed=orphans,
    )


def save(path: Path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` atomically under the lock, whatever is there (a regular file only)."""
    _refuse(path)
    try:
        ensure_directory(path.parent)
        with _lock(path):
            _write(path, checkpoint)
    except OSError as exc:
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
