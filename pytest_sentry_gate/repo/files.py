"""Bounded reads of files the tool did not write: only a regular file, and only up to a cap.

A repository can hold a symlink to ``/dev/zero`` (git stores symlinks), a FIFO, or a 2 GB sparse
file under a name the tool reads (``.sentryclirc``, ``package.json``, a capability, a source map,
the checkpoint). Every such read goes through :func:`read_bytes`, which follows links, refuses
anything that is not a regular file, and refuses a file above the cap for its kind before reading
a byte of it. :class:`FileRefused` names the file and why, so a check can turn it into a verdict
(or a setting into a usage error) instead of eating the machine's memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from pytest_sentry_gate.errors import RepoFileError

KB: Final = 1024
MB: Final = 1024 * KB

#: Caps per kind of file, in bytes. A file above its cap is refused, never truncated.
CAP_CONFIG: Final = 256 * KB
"""``.sentryclirc``, ``.env``, ``sentry.properties``: a few lines each in practice."""
CAP_MANIFEST: Final = 4 * MB
"""``package.json``, ``Cargo.toml``, ``tauri.conf.json``, a capability, CODEOWNERS, sources."""
CAP_BUNDLE: Final = 64 * MB
"""A built bundle or its source map."""
CAP_CHECKPOINT: Final = 8 * MB
"""The checkpoint: ids of the unresolved issues plus a bounded history (50,000 ids ≈ 1 MB)."""


OUTSIDE: Final = "resolves outside the repository root {root} (a link out of it?): not read"


class FileRefused(RepoFileError):
    """A file the tool will not read: not a regular file, or larger than its cap.

    A ``RepoFileError``, so a check that meets it ends FAIL with the reason ``file_refused`` and
    the message ``<path>: <why>``.
    """

    reason = "file_refused"

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(str(path), None, None, why)
        self.path = path
        self.why = why


def kind_of(mode: int) -> str:
    """A file type in words, for the message that refuses it."""
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def check_regular(path: Path, *, cap: int) -> int:
    """The size of ``path`` if it is a regular file (after links) within ``cap``; else refused.

    Raises ``FileNotFoundError`` when it does not exist, as ``open`` would.
    """
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(path, f"{kind_of(info.st_mode)}, not a regular file: not read")
    if info.st_size > cap:
        raise FileRefused(
            path, f"{info.st_size:,} bytes, above the {cap:,}-byte cap for this kind of file"
        )
    return info.st_size


def read_bytes(path: Path, *, cap: int, root: Path | None = None) -> bytes:
    """The content of a regular file of at most ``cap`` bytes (see the module docstring).

    With ``root``, the file must also resolve inside ``root`` (an in-repository link pointing
    out of the repository is refused). The type is checked on the open descriptor too, so a file
    swapped for a FIFO between the check and the open cannot block, and at most ``cap + 1``
    bytes are ever read.
    """
    check_regular(path, cap=cap)
    if root is not None and not within(root, path):
        raise FileRefused(path, OUTSIDE.format(root=root))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(path, f"{kind_of(info.st_mode)}, not a regular file: not read")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise FileRefused(path, f"grew above the {cap:,}-byte cap for this kind of file")
    return data


def within(root: Path, path: Path) -> bool:
    """True when ``path``, links resolved, is ``root`` or below it (``root`` resolved too).

    A path that cannot be resolved (a symlink loop) is not within anything.
    """
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def read_text(
    path: Path,
    *,
    cap: int,
    encoding: str = "utf-8",
    errors: str = "strict",
    root: Path | None = None,
) -> str:
    """:func:`read_bytes` decoded (``utf-8-sig`` strips a byte-order mark)."""
    return read_bytes(path, cap=cap, root=root).decode(encoding, errors)
