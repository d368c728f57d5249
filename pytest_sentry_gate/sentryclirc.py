"""Read ``.sentryclirc`` the way sentry-cli does.

sentry-cli reads the global file (``~/.sentryclirc``), then the nearest ``.sentryclirc`` found
walking up from the working directory; keys of the nearer file override the global one, key by
key. The walk starts at the working directory, as sentry-cli's; the nearest file above
the app repository (when it is elsewhere) comes between the home file and that one. In each
directory ``sentrycli.ini`` counts too, as in sentry-cli. Only
``[auth] token``, ``[defaults] org/project/url`` and ``[http] proxy_url/verify_ssl/ca_certs``
are used.

A ``.sentryclirc`` that exists but cannot be read as an INI file (a directory, no permission,
not UTF-8, malformed, not a regular file such as a link to ``/dev/zero``, above
``files.CAP_CONFIG``) is a usage error naming its path, never a silent skip; the repository's
``.env`` read for settings (``read_dotenv``) is refused the same way. Values keep the
whitespace that ends their line, so the settings can say when a token's was stripped; no message
ever quotes a value.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Final

import pytest

from pytest_sentry_gate.repo import files

FILE_NAME: Final = ".sentryclirc"
#: ``sentrycli.ini``: the other name sentry-cli looks for in each directory of the walk.
OTHER_NAME: Final = "sentrycli.ini"
KEYS: Final = (
    ("auth", "token"),
    ("defaults", "org"),
    ("defaults", "project"),
    ("defaults", "url"),
    ("http", "proxy_url"),
    ("http", "verify_ssl"),
    ("http", "ca_certs"),
)

DOTENV_REFUSED: Final = (
    "Invalid .env {path}: {why}. Allowed: a regular file of KEY=value lines, at most {cap:,} bytes"
)
UNREADABLE: Final = (
    "Invalid .sentryclirc {path}: {error}. Allowed: an INI file with [auth] and [defaults] sections"
)
_SECTION: Final = re.compile(r"^\s*\[([^\]]+)\]")
_KEY: Final = re.compile(r"^\s*([^=:\s][^=:]*?)\s*[=:](.*)$")


def load(
    *, home: Path | None, start: Path, repo: Path | None = None
) -> dict[tuple[str, str], tuple[str, Path]]:
    """Map ``(section, key)`` to ``(value, file)`` from the global and the nearest files.

    Key by key, later files win: the home file, the nearest file from ``repo`` (the app
    repository) upward, the nearest file from ``start`` (the working directory) upward."""
    values: dict[tuple[str, str], tuple[str, Path]] = {}
    found: list[Path] = []
    if home is not None and _exists(home / FILE_NAME):
        found.append(home / FILE_NAME)
    for origin in (repo, start):
        nearest = _nearest(origin) if origin is not None else None
        if nearest is not None and nearest not in found:
            found.append(nearest)
    for path in found:
        for key, value in _read(path).items():
            values[key] = (value, path)
    return values


def _exists(path: Path) -> bool:
    """As sentry-cli: the name exists (a directory there is an error when read, not a skip)."""
    try:
        return path.exists() or path.is_symlink()
    except OSError:
        return True


def _nearest(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        for name in (FILE_NAME, OTHER_NAME):
            candidate = directory / name
            if _exists(candidate):
                return candidate
    return None


def _read(path: Path) -> dict[tuple[str, str], str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        if path.is_dir():
            raise IsADirectoryError(path)
        text = files.read_text(path, cap=files.CAP_CONFIG)
        parser.read_string(text, source=str(path))
    except files.FileRefused as exc:
        raise pytest.UsageError(UNREADABLE.format(path=path, error=exc.why)) from None
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        # configparser messages quote the offending line, never a token value from a valid line;
        # a malformed line could hold one, so only the error's line number and kind are shown.
        kind = type(exc).__name__
        line = getattr(exc, "lineno", None)
        where = f"line {line}: " if line else ""
        raise pytest.UsageError(UNREADABLE.format(path=path, error=f"{where}{kind}")) from None
    trailing = _trailing_whitespace(text)
    found: dict[tuple[str, str], str] = {}
    for section, key in KEYS:
        if parser.has_option(section, key):
            value = parser.get(section, key)
            if value.strip():
                found[(section, key)] = value + trailing.get((section, key), "")
    return found


def _trailing_whitespace(text: str) -> dict[tuple[str, str], str]:
    """The whitespace that configparser strips from the end of each one-line ``key = value``."""
    ends: dict[tuple[str, str], str] = {}
    section = ""
    for line in text.splitlines():
        if heading := _SECTION.match(line):
            section = heading.group(1).strip()
        elif match := _KEY.match(line):
            value = match.group(2)
            ends[(section, match.group(1).strip().lower())] = value[len(value.rstrip()) :]
    return ends


def read_dotenv(path: Path) -> dict[str, str]:
    """``repo.dsn.read_dotenv`` for the settings: a refused ``.env`` is a usage error naming it."""
    from pytest_sentry_gate.repo.dsn import read_dotenv as parse

    try:
        return parse(path)
    except (files.FileRefused, OSError) as exc:
        reason = exc.why if isinstance(exc, files.FileRefused) else exc.strerror or repr(exc)
        why = DOTENV_REFUSED.format(path=path, why=reason, cap=files.CAP_CONFIG)
        raise pytest.UsageError(why) from None
