"""The old ``sentry_monitor.sh`` state file, carried forward as the first growth baseline.

The old script kept one small JSON object per org/project (``persist_state_snapshot``): default
``<repo>/.agents/skills/sentry-monitoring/state/<org>_<project>.json`` (each slug with anything
but letters, digits, ``_`` and ``-`` squeezed to ``_``), or ``--state-file``. Its keys:
``checked_at``, ``release``, ``unresolved_count``, ``high_severity_count``,
``release_regression_count``; no schema, no issue ids.

Such a file is recognised before anything would call it corrupt: it is read (bounded, a regular
file only), never moved aside and never written. Its unresolved count is the previous count of
the growth check; it holds no ids, so no issue is called new or resolved against it (the first
run after it establishes the id baseline). The new checkpoint goes *beside* it
(``<name>.sentry-gate.json``) when ``--state-file`` names it, or to the new default path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_sentry_gate.checkpoint.model import Changes, Checkpoint, changes, checked_time
from pytest_sentry_gate.repo.files import CAP_CHECKPOINT, FileRefused, read_text
from pytest_sentry_gate.repo.state_files import refusal

KEYS: Final = frozenset(
    {"checked_at", "release", "unresolved_count", "high_severity_count", "release_regression_count"}
)
OLD_STATE_DIR: Final = Path(".agents/skills/sentry-monitoring/state")
BESIDE_SUFFIX: Final = ".sentry-gate.json"
NOTE: Final = (
    "baseline carried from the old sentry_monitor.sh state file {path} (checked {checked_at}, "
    "{count} unresolved): it holds counts, no issue ids, so no issue is called new or resolved "
    "against it; it was left as it is"
)
OLD_STATE: Final = (
    "the old sentry_monitor.sh state file (read as the growth baseline; the checkpoint goes "
    "beside it, as <name>.sentry-gate.json)"
)
_SLUG: Final = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class LegacyState:
    """What one old state file held (a count the old script could not read is ``None``)."""

    path: Path
    checked_at: str
    release: str | None
    unresolved_count: int | None
    high_severity_count: int | None
    release_regression_count: int | None


class LegacyCheckpoint(Checkpoint):
    """A previous checkpoint built from an old state file: counts only, no ids."""


def old_default_path(repo_root: Path, org: str, project: str) -> Path:
    """Where the old script kept its state without ``--state-file``."""
    return repo_root / OLD_STATE_DIR / f"{_SLUG.sub('_', org)}_{_SLUG.sub('_', project)}.json"


def beside(path: Path) -> Path:
    """Where the new checkpoint goes when ``path`` holds the old state."""
    return path.with_name(path.stem + BESIDE_SUFFIX)


def _count(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else None


def read(path: Path) -> LegacyState | None:
    """The old state at ``path``; ``None`` when there is none, or it is not the old format."""
    if refusal(path) is not None:
        return None
    try:
        data = json.loads(read_text(path, cap=CAP_CHECKPOINT))
    except (OSError, FileRefused, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or "checked_at" not in data or not set(data) <= KEYS:
        return None
    checked, release = data.get("checked_at"), data.get("release")
    if not isinstance(checked, str):
        return None
    return LegacyState(
        path=path,
        checked_at=checked,
        release=release if isinstance(release, str) and release else None,
        unresolved_count=_count(data.get("unresolved_count")),
        high_severity_count=_count(data.get("high_severity_count")),
        release_regression_count=_count(data.get("release_regression_count")),
    )


def locate(path: Path, old_default: Path | None) -> tuple[Path, LegacyState | None]:
    """The checkpoint path to use and the old state to start from: ``path`` holding the old
    state moves the checkpoint beside it; else, while ``path`` does not exist yet, the old
    default path (``old_default``, when no state file was given) may hold it."""
    found = read(path)
    if found is not None:
        return beside(path), found
    if old_default is not None and not path.exists() and not beside(path).exists():
        return path, read(old_default)
    return path, None


def as_checkpoint(state: LegacyState, org: str, project: str) -> LegacyCheckpoint | None:
    """The growth baseline of an old state (``None``: its unresolved count was not a count, or
    its time has no zone)."""
    if state.unresolved_count is None:
        return None
    try:
        checked_time(state.checked_at)
    except ValueError:
        return None
    return LegacyCheckpoint(
        org=org,
        project=project,
        checked_at=state.checked_at,
        period="",
        unresolved_ids=frozenset(),
        unresolved_count=state.unresolved_count,
        release=state.release,
    )


def changes_since(previous: Checkpoint | None, current: frozenset[str]) -> Changes:
    """``checkpoint.changes``, except that an old state (no ids) claims no new or resolved id."""
    if isinstance(previous, LegacyCheckpoint):
        return Changes(new=(), resolved=(), baseline=True)
    return changes(previous, current)


def note(state: LegacyState) -> str:
    """What the report says about a baseline carried from ``state``."""
    count = "an unknown number of" if state.unresolved_count is None else state.unresolved_count
    return NOTE.format(path=state.path, checked_at=state.checked_at, count=count)
