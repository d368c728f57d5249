"""Read ``.sentryclirc`` the way sentry-cli does, and the repository's ``.env``.

sentry-cli reads the global file (``~/.sentryclirc``), then the nearest ``.sentryclirc`` found
walking up from the working directory; keys of the nearer file override the global one, key by
key. Here the walk starts at the app repository, so the file beside (or above) the repository
wins over the one in the home directory. Only ``[auth] token`` and ``[defaults] org/project/url``
are used.
"""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Final

import pytest

FILE_NAME: Final = ".sentryclirc"
KEYS: Final = (("auth", "token"), ("defaults", "org"), ("defaults", "project"), ("defaults", "url"))

UNREADABLE: Final = (
    "Invalid .sentryclirc {path}: {error}. Allowed: an INI file with [auth] and [defaults] sections"
)


def load(*, home: Path | None, start: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """Map ``(section, key)`` to ``(value, source)`` from the global and the nearest file."""
    values: dict[tuple[str, str], tuple[str, str]] = {}
    files: list[Path] = []
    if home is not None and (home / FILE_NAME).is_file():
        files.append(home / FILE_NAME)
    nearest = _nearest(start)
    if nearest is not None and nearest not in files:
        files.append(nearest)
    for path in files:
        for key, value in _read(path).items():
            values[key] = (value, f".sentryclirc ({path})")
    return values


def _nearest(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def _read(path: Path) -> dict[tuple[str, str], str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        # configparser messages quote the offending line, never a token value from a valid line;
        # a malformed line could hold one, so only the error's first line and kind are shown.
        kind = type(exc).__name__
        line = getattr(exc, "lineno", None)
        where = f"line {line}: " if line else ""
        raise pytest.UsageError(UNREADABLE.format(path=path, error=f"{where}{kind}")) from None
    found: dict[tuple[str, str], str] = {}
    for section, key in KEYS:
        if parser.has_option(section, key):
            value = parser.get(section, key).strip()
            if value:
                found[(section, key)] = value
    return found


def read_dotenv(path: Path) -> dict[str, str]:
    """The ``KEY=value`` pairs of a ``.env`` file, parsed by python-dotenv (empty if absent)."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}
