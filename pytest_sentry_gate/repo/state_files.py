"""The checkpoint's files on disk: what may be read, moved aside, replaced or created.

The checkpoint path comes from the user (``--sentry-state-file``) or from the repository
(``<repo>/.sentry-gate/<org>_<project>.json``, and git stores symlinks). So:

- only a regular file is read, moved aside or replaced: a symlink (even to a regular file), a FIFO,
  a device, a socket or a directory at the checkpoint path is refused, named, and left untouched;
- a ``.sentry-gate`` directory that is a symlink resolving outside the repository is refused
  (nothing is written there);
- a ``.sentry-gate`` directory this tool creates gets a ``.gitignore`` holding ``*``, as
  ``.pytest_cache`` does, so it never shows in ``git status``;
- temporary files a killed writer left beside the checkpoint are removed by the next write.

Standard library only (no pytest, no httpx): the checkpoint module and the fixtures call these.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Final

from pytest_sentry_gate.atomic import temp_prefix
from pytest_sentry_gate.repo.files import kind_of

STATE_DIR: Final = ".sentry-gate"
GITIGNORE: Final = "# Created by pytest-sentry-gate automatically.\n*\n"
ONLY_REGULAR: Final = (
    "the checkpoint is only read, moved aside or replaced when it is a regular file this tool "
    "wrote; it was left untouched"
)


def refusal(path: Path) -> str | None:
    """Why ``path`` must not be read or replaced as a checkpoint (``None``: absent or regular).

    Links are not followed: a symlink is refused whatever it points to.
    """
    try:
        info = path.lstat()
    except OSError:  # absent, or under a non-directory: reading or writing it says why
        return None
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.readlink(path)
        except OSError:  # pragma: no cover - raced away
            target = "?"
        return f"a symlink (to {target}), not a regular file"
    if not stat.S_ISREG(info.st_mode):
        return f"{kind_of(info.st_mode)}, not a regular file"
    return None


def directory_refusal(directory: Path, repo_root: Path) -> str | None:
    """Why the default ``.sentry-gate`` directory must not be used (``None``: it may).

    A symlink that resolves inside the repository is accepted; one that leaves it is refused, and
    so is anything at that name that is not a directory.
    """
    try:
        info = directory.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{directory} cannot be inspected ({exc.strerror or exc})"
    if stat.S_ISLNK(info.st_mode):
        target = directory.resolve()
        if not target.is_relative_to(repo_root.resolve()):
            return (
                f"{directory} is a symlink to {target}, outside the repository {repo_root}: "
                "nothing is written there"
            )
        try:
            info = target.stat()
        except OSError:  # a dangling link inside the repository: creating it will say why
            return None
    if not stat.S_ISDIR(info.st_mode):
        return f"{directory} is {kind_of(info.st_mode)}, not a directory"
    return None


def ensure_directory(directory: Path) -> None:
    """Create ``directory`` (and its parents) when missing; a new ``.sentry-gate`` directory gets
    its ``.gitignore`` (``*``) at once."""
    try:
        directory.mkdir(parents=True)
    except FileExistsError:
        return
    if directory.name == STATE_DIR:
        (directory / ".gitignore").write_text(GITIGNORE, encoding="utf-8")


def move_aside(path: Path) -> Path:
    """Rename the regular file ``path`` to ``<name>.corrupt-<time>`` beside it (never a copy)."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists() or target.is_symlink():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    return target


def clean_orphans(path: Path) -> list[Path]:
    """Remove the temporary files a killed write of ``path`` left (call under the lock only: no
    live writer has one then). Only regular files with the writer's prefix are removed."""
    removed = []
    for candidate in path.parent.glob(temp_prefix(path) + "*.tmp"):
        try:
            if stat.S_ISREG(candidate.lstat().st_mode):
                candidate.unlink()
                removed.append(candidate)
        except OSError:  # raced away or not ours to remove: the write goes on
            continue
    return removed
