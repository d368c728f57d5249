"""The checkpoint on disk: bounded reads, moving a bad file aside, and the locked commit.

See the package docstring. Only a regular file is read (at most ``CAP_CHECKPOINT`` bytes), moved
aside or replaced (``repo.state_files``); ``commit`` reads, compares and writes under one lock.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Final

from pytest_sentry_gate import atomic
from pytest_sentry_gate.checkpoint import legacy
from pytest_sentry_gate.checkpoint.model import (
    Changes,
    Checkpoint,
    CheckpointError,
    CheckpointRefused,
    Committed,
    Loaded,
    changes,
    checked_time,
    decode,
)
from pytest_sentry_gate.repo.files import CAP_CHECKPOINT, FileRefused, read_text
from pytest_sentry_gate.repo.state_files import (
    clean_orphans,
    ensure_directory,
    move_aside,
    refusal,
)

LOCK_TIMEOUT: Final = 30.0
TOO_LARGE: Final = (
    "the checkpoint would be {size:,} bytes, above the {cap:,}-byte cap of what is read back: "
    "not written (narrow sentry_stats_period)"
)


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
    if legacy.read(path) is not None:  # the old script's state: never moved aside or replaced
        raise CheckpointRefused(path, legacy.OLD_STATE)
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
    data = (json.dumps(checkpoint.as_json(), indent=1) + "\n").encode("utf-8")
    if len(data) > CAP_CHECKPOINT:  # the next run would refuse to read it back
        raise CheckpointError(path, TOO_LARGE.format(size=len(data), cap=CAP_CHECKPOINT))
    atomic.replace(path, data, durable=True)
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
            if current is not None and checked_time(current.checked_at) > checked_time(
                checkpoint.checked_at
            ):
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
