"""Bounded reads: a link to /dev/zero, a FIFO or an oversized sparse file is refused, unread."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_sentry_gate.repo import files


def test_a_regular_file_within_its_cap_is_read(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("hi", encoding="utf-8")
    assert files.read_text(tmp_path / "a", cap=2) == "hi"


def test_a_link_to_a_device_is_refused_without_reading(tmp_path: Path) -> None:
    (tmp_path / "zero").symlink_to("/dev/zero")
    with pytest.raises(files.FileRefused, match="a character device, not a regular file"):
        files.read_bytes(tmp_path / "zero", cap=10)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(files.FileRefused, match="a FIFO"):
        files.read_bytes(tmp_path / "fifo", cap=10)


def test_a_sparse_file_above_the_cap_is_refused_by_its_size(tmp_path: Path) -> None:
    with (tmp_path / "big").open("wb") as handle:
        handle.truncate(2 * 1024**3)
    with pytest.raises(files.FileRefused, match=r"2,147,483,648 bytes, above the 11-byte cap"):
        files.read_bytes(tmp_path / "big", cap=11)


def test_a_missing_file_raises_as_open_would(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        files.read_bytes(tmp_path / "missing", cap=10)
