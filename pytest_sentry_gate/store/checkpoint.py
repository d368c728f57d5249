"""Where a target's checkpoint is and what it held (the previous check).

``--sentry-state-file`` (relative to where pytest ran), else
``<repo>/.sentry-gate/<org>_<project>.json``; the old script's state file is found beside it
and read as the baseline; a path that is a symlink, FIFO or device, or a default directory
outside the repository, is refused (and never written). A replay neither reads nor writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_sentry_gate.checkpoint import Loaded
    from pytest_sentry_gate.checkpoint.legacy import LegacyState
    from pytest_sentry_gate.store.registry import Wiring


@dataclass(frozen=True)
class Located:
    """The checkpoint of one target: its path, the old state file it replaces, a refusal."""

    org: str
    project: str
    path: Path
    checked_at: str
    replay: bool = False
    legacy: LegacyState | None = None
    #: Why the path is refused (it is never read nor written then).
    refused: str | None = None
    #: The refused path (the directory when the directory is what is refused).
    refused_path: Path | None = None
    refused_why: str = ""


def locate(wiring: Wiring, org: str, project: str) -> Located:
    """The target's checkpoint path, after the old script's state file and the refusals."""
    from pytest_sentry_gate.checkpoint import CheckpointRefused, default_path, legacy
    from pytest_sentry_gate.repo.state_files import directory_refusal, refusal

    conf = wiring.settings
    configured, root = conf.state_file, conf.repo_root
    path = (
        default_path(root, org, project)
        if configured is None
        else wiring.invocation_dir / configured
    )
    checked_at = datetime.fromtimestamp(wiring.now, UTC).isoformat(timespec="seconds")
    if wiring.replay:  # a replay never reads or writes the live checkpoint
        return Located(org, project, path, checked_at, replay=True)
    old = legacy.old_default_path(root, org, project) if configured is None else None
    path, found = legacy.locate(path, old)  # the old script's state file: read, kept
    outside = directory_refusal(path.parent, root) if configured is None else None
    if outside is not None:
        refused = f"the checkpoint directory {outside}"
        return Located(org, project, path, checked_at, False, found, refused, path.parent, outside)
    why = refusal(path)
    if why is not None:
        refused = str(CheckpointRefused(path, why))
        return Located(org, project, path, checked_at, False, found, refused, path, why)
    return Located(org, project, path, checked_at, legacy=found)


def checked_path(located: Located) -> Path:
    """The path, or ``CheckpointRefused`` naming why it is refused."""
    from pytest_sentry_gate.checkpoint import CheckpointRefused

    if located.refused_path is not None:
        if located.refused_path != located.path:  # the directory
            raise CheckpointRefused(
                located.refused_path, located.refused_why, message=located.refused
            )
        raise CheckpointRefused(located.path, located.refused_why)
    return located.path


def load_previous(wiring: Wiring, located: Located) -> Loaded:
    """The previous checkpoint (none in a replay or on the first run; a bad file is moved aside
    and named; the old script's state file stands in when there is no checkpoint yet)."""
    from pytest_sentry_gate.checkpoint import CheckpointError, Loaded, load

    if located.replay:  # the recording's answers are not today's: compare them with no checkpoint
        return Loaded(previous=None)
    path = checked_path(located)
    try:
        loaded = load(path, org=located.org, project=located.project)
    except CheckpointError as exc:
        loaded = Loaded(previous=None, problem=str(exc))
    if loaded.previous is None and loaded.moved_aside is None and located.legacy is not None:
        from pytest_sentry_gate.checkpoint.legacy import as_checkpoint

        previous = as_checkpoint(located.legacy, located.org, located.project)
        loaded = Loaded(previous=previous)
    return loaded
