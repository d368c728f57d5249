"""Where the agent report may go: what at the report path is replaced, written through, or refused.

- nothing there: a new regular file, written atomically (a temporary file beside it, renamed);
- a regular file this tool wrote (an agent report, or an empty file such as ``mktemp`` makes):
  replaced atomically; through a symlink, the file it points to is (the link stays);
- a character device or a FIFO, directly or through symlinks (``/dev/stdout``, ``/dev/null``, a
  pipe, a terminal): written through, never replaced; so is the file this process's standard
  output or error is redirected to (``--sentry-gate-report /dev/stdout > out.txt``), appended to;
- anything else (a directory, a socket, a block device, a dangling symlink, a regular file this
  tool did not write, directly or through a symlink, a FIFO nothing reads): refused, named and
  left untouched.

Standard library only: the plugin checks the path when the run starts and writes at its end, and
``sentry-gate`` does both for its ``--report``. The check at the start (``plan(path,
prepare=True)``) also creates the missing parent directories and creates and removes a temporary
file in the directory the report will be renamed into, so a directory that cannot be created or
written (``/proc/x/r.json``, a read-only file system) is refused before any check runs.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import sys
from pathlib import Path
from typing import Final

from pytest_sentry_gate import atomic
from pytest_sentry_gate.repo.files import CAP_MANIFEST, FileRefused, kind_of, read_bytes

SCHEMA_ID: Final = "pytest-sentry-gate/report@1"
ALLOWED: Final = (
    "the report path must be new, a report this tool wrote (or an empty file), or something "
    "written through such as /dev/stdout, a FIFO or a terminal; it was left untouched"
)
NEW, REPLACE, THROUGH = "new", "replace", "through"


class ReportPathRefused(Exception):
    """The report path holds something the report must not replace nor be written through."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path}: {why} ({ALLOWED})")
        self.path = path


def plan(path: Path, *, prepare: bool = False) -> str:
    """How the report will be written to ``path`` (``NEW``, ``REPLACE``, ``THROUGH``), or
    ``ReportPathRefused`` saying why it will not. ``prepare`` (when the run starts): a new or
    replaced file's directory is created and tried for writing too."""
    how = _plan(path)
    if prepare and how != THROUGH:
        _prepare(Path(os.path.realpath(path)) if how == REPLACE else path)
    return how


def _prepare(path: Path) -> None:
    """Create ``path``'s directory and write (then remove) a temporary file in it, as
    ``atomic.replace`` will: the report's own file is not created."""
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = f"the directory {directory} cannot be created ({exc.strerror or exc})"
        raise ReportPathRefused(path, why) from None
    try:
        atomic.probe(path)
    except OSError as exc:
        why = f"the directory {directory} is not writable ({exc.strerror or exc})"
        raise ReportPathRefused(path, why) from None


def _plan(path: Path) -> str:
    try:
        info = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return _new(path)
    except OSError as exc:
        raise ReportPathRefused(path, f"cannot be inspected ({exc.strerror or exc})") from None
    if stat.S_ISLNK(info.st_mode):
        return _through_link(path)
    if stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode):
        return THROUGH
    if not stat.S_ISREG(info.st_mode):
        raise ReportPathRefused(path, f"{kind_of(info.st_mode)}, not a file to write the report to")
    if _standard_stream(info) is not None:
        return THROUGH
    if not _ours(path):
        raise ReportPathRefused(path, "a file this tool did not write (not an agent report)")
    return REPLACE


def _new(path: Path) -> str:
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # the nearest existing ancestor: the rest is created
    if not parent.is_dir():
        raise ReportPathRefused(path, f"{parent} is not a directory")
    return NEW  # whether it can be written: tried when the run starts (``plan(prepare=True)``)


def _through_link(path: Path) -> str:
    try:
        info = path.stat()
    except OSError:
        raise ReportPathRefused(
            path, f"a symlink (to {os.readlink(path)}) to nothing that exists"
        ) from None
    if (
        stat.S_ISCHR(info.st_mode)
        or stat.S_ISFIFO(info.st_mode)
        or _standard_stream(info) is not None
    ):
        return THROUGH
    if stat.S_ISREG(info.st_mode) and _ours(path):
        return REPLACE  # the link's target: the link itself stays
    what = "a file this tool did not write" if stat.S_ISREG(info.st_mode) else kind_of(info.st_mode)
    raise ReportPathRefused(path, f"a symlink (to {os.readlink(path)}) to {what}")


def _standard_stream(info: os.stat_result) -> int | None:
    """The descriptor (1 or 2) of this process's standard output or error when ``info`` is the
    file it goes to, else ``None``."""
    for fd in (1, 2):
        try:
            stream = os.fstat(fd)
        except OSError:
            continue
        if (stream.st_dev, stream.st_ino) == (info.st_dev, info.st_ino):
            return fd
    return None


def _ours(path: Path) -> bool:
    """An agent report (its ``schema``), or an empty file."""
    try:
        data = read_bytes(path, cap=CAP_MANIFEST)
    except (FileRefused, OSError):
        return False
    if not data.strip():
        return True
    try:
        document = json.loads(data)
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("schema") == SCHEMA_ID


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as ``plan`` says (``ReportPathRefused``, ``OSError``)."""
    how = plan(path)
    if how == THROUGH:
        _write_through(path, text)
        return
    if path.is_symlink():  # to a report this tool wrote: that file is replaced, the link stays
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)

    def unchanged() -> None:
        if plan(path) != how:  # something else appeared meanwhile: leave it alone
            raise ReportPathRefused(path, "changed while the report was written")

    atomic.replace(path, text.encode("utf-8"), before_replace=unchanged)


def _write_through(path: Path, text: str) -> None:
    """Write to what ``path`` opens, without creating or truncating it: this process's own
    standard output or error through its descriptor (so the report lands after what was printed,
    even in a redirected file), anything else appended to; a FIFO nothing reads is refused rather
    than waited on."""
    stream = _standard_stream(path.stat())
    if stream is not None:
        for handle in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if handle is not None:
                handle.flush()
        data = text.encode("utf-8")
        while data:
            data = data[os.write(stream, data) :]
        return
    flags = os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_NONBLOCK
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise ReportPathRefused(path, "a FIFO that nothing reads") from None
        raise
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
