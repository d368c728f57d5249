"""The checkpoint's model: what one run saw, the changes between two runs, and strict decoding.

``decode`` accepts only a ``pytest-sentry-gate/checkpoint@2`` document (or an ``@1`` one, migrated
on read: its own run becomes the first point of the history) of the expected org and
project with well-typed fields; anything else (not JSON, ``1e999``, ``NaN``, nesting deep enough to
exhaust recursion, an id that is not an id) is a ``ValueError`` naming why, never an
``OverflowError`` or ``RecursionError``. Standard library only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Final

from pytest_sentry_gate import trend
from pytest_sentry_gate.errors import SentryGateError
from pytest_sentry_gate.repo.state_files import ONLY_REGULAR

SCHEMA: Final = "pytest-sentry-gate/checkpoint@2"
#: Schemas read and migrated on read (``@1`` had no history: its own run becomes the first point).
OLDER_SCHEMAS: Final = ("pytest-sentry-gate/checkpoint@1",)


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
    #: The last ``trend.KEEP`` runs, oldest first (this run last): see ``trend.point``.
    history: tuple[dict[str, Any], ...] = ()

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
            "history": list(self.history),
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


def checked_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"checked_at {text[:40]!r} has no time zone")
    return moment


def _parse(data: Any, org: str, project: str) -> Checkpoint:
    if not isinstance(data, dict) or data.get("schema") not in (SCHEMA, *OLDER_SCHEMAS):
        raise ValueError(f"not a {SCHEMA} document")
    if data.get("org") != org or data.get("project") != project:
        raise ValueError(f"belongs to {data.get('org')}/{data.get('project')}, not {org}/{project}")
    ids, checked = data.get("unresolved_ids"), data.get("checked_at")
    if not isinstance(ids, list) or not isinstance(checked, str):
        raise ValueError("unresolved_ids or checked_at missing")
    if not all(isinstance(i, str | int) and not isinstance(i, bool) for i in ids):
        raise ValueError("unresolved_ids holds something that is not an issue id")
    checked_time(checked)
    count = data.get("unresolved_count", len(ids))
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError("unresolved_count is not a count")
    release, period = data.get("release"), data.get("statsPeriod", "")
    if not isinstance(release, str | None) or not isinstance(period, str):
        raise ValueError("release or statsPeriod is not text")
    high = _dicts(data.get("high_severity"), "high_severity")
    return Checkpoint(
        org=org,
        project=project,
        checked_at=checked,
        period=period,
        unresolved_ids=frozenset(str(i) for i in ids),
        unresolved_count=count,
        high_severity=high,
        release=release,
        release_regressions=_dicts(data.get("release_regressions"), "release_regressions"),
        history=_history(data, checked, count, len(high), release),
    )


def _history(
    data: dict[str, Any], checked: str, count: int, high: int, release: str | None
) -> tuple[dict[str, Any], ...]:
    """The kept series; an ``@1`` file (no history) migrates to one point: its own run."""
    if data.get("schema") in OLDER_SCHEMAS:
        return (
            trend.point(checked_at=checked, unresolved=count, high_severity=high, release=release),
        )
    found = data.get("history", [])
    if not isinstance(found, list):
        raise ValueError("history is not a list")
    return tuple(trend.valid_point(p) for p in found[-trend.KEEP :])


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
