"""Replacing a file atomically: the one way this package writes a file it owns.

The agent report, the checkpoint and a recorded cassette are written to a temporary file beside
their path and renamed over it, so a reader (or the next run) sees the old file or the new one,
never half of one; a write that fails or is interrupted removes its temporary file. The temporary
file is named ``.<name>-<random>.tmp``, so the one a killed process left can be recognised
(``repo.state_files.clean_orphans``).

Standard library only: the checkpoint (which imports no pytest) writes through it too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def temp_prefix(path: Path) -> str:
    """The prefix of the temporary files a write of ``path`` creates beside it."""
    return f".{path.name}-"


def replace(
    path: Path,
    data: bytes,
    *,
    durable: bool = False,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``.

    ``durable``: the data and the rename are flushed to disk before returning (the checkpoint).
    ``before_replace`` runs just before the rename; an exception there leaves ``path`` untouched
    (the report re-checks that nothing else appeared at its path meanwhile).
    """
    fd, tmp = _temporary_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        fsync_directory(path.parent)


def probe(path: Path) -> None:
    """Create and remove a temporary file beside ``path``, as ``replace`` would (``OSError`` when
    its directory refuses one): ``path`` itself is not created."""
    fd, tmp = _temporary_beside(path)
    os.close(fd)
    os.unlink(tmp)


def _temporary_beside(path: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the platform allows it)."""
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
