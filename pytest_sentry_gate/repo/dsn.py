"""The app's DSN and its kill switch, as the environment and the repository's ``.env`` state them.

A DSN is ``{scheme}://{public_key}@{host}[:port][/path]/{project_id}``. ``parse_dsn`` names what is
wrong with a malformed one without ever repeating it (the public key is a credential for
ingestion). The ``.env`` file is parsed by python-dotenv (comments, ``export``, quotes), as the
settings read ``SENTRY_DSN`` from it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from pytest_sentry_gate.repo import files

TRUTHY: Final = frozenset({"1", "true", "yes", "on"})
_KEY: Final = re.compile(r"^[0-9a-fA-F]{32}$")


#: What a recording leaves of a DSN key (``replay`` scrubs keys to it before writing a cassette).
SCRUBBED_DSN_KEY: Final = "0" * 32


class DsnError(ValueError):
    """A malformed DSN; the message names the problem, never the value."""


@dataclass(frozen=True)
class Dsn:
    """A parsed DSN. ``public_key`` is kept out of ``repr`` and of ``safe()``."""

    scheme: str
    host: str
    port: int | None
    path_prefix: str
    project_id: str
    public_key: str = field(repr=False)

    def safe(self) -> dict[str, str]:
        """What may be printed: the host and the project id."""
        return {"host": self.host, "project_id": self.project_id}


def parse_dsn(value: str) -> Dsn:
    """Parse a DSN, or raise ``DsnError`` naming what is wrong (without the value)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise DsnError("it is not a URL (bad port or brackets)") from None
    if parts.scheme not in ("http", "https"):
        raise DsnError("the scheme must be http or https")
    if not parts.hostname:
        raise DsnError("it has no host")
    if not parts.username:
        raise DsnError("it has no public key before '@'")
    if not _KEY.match(parts.username):
        raise DsnError("the public key is not 32 hexadecimal characters")
    if parts.query or parts.fragment:
        raise DsnError("it has a query or fragment")
    prefix, _, project_id = parts.path.rstrip("/").rpartition("/")
    if not project_id.isdigit():
        raise DsnError("it does not end with a numeric project id")
    return Dsn(parts.scheme, parts.hostname, port, prefix, project_id, parts.username)


def read_dotenv(path: Path) -> dict[str, str]:
    """The ``KEY=value`` pairs of a ``.env`` file, parsed by python-dotenv (empty if absent).

    Read like every repository file: only a regular file within ``files.CAP_CONFIG`` (else
    ``files.FileRefused`` naming it); python-dotenv parses the text, never opens the path.
    """
    if path.is_dir():
        return {}
    try:
        text = files.read_text(path, cap=files.CAP_CONFIG, errors="replace")
    except FileNotFoundError:  # absent, or a dangling link
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}


@dataclass(frozen=True)
class KillSwitch:
    """The variable that disables the app's Sentry: its name, whether it is on, and where."""

    name: str | None
    engaged: bool = False
    source: str | None = None


def kill_switch(name: str | None, environ: Mapping[str, str], repo_root: Path) -> KillSwitch:
    """Whether ``name`` is set to a truthy value (``1/true/yes/on``) in the environment or .env."""
    if not name:
        return KillSwitch(None)
    for source, values in (("environment", environ), (".env", read_dotenv(repo_root / ".env"))):
        value = values.get(name)
        if value is not None:
            return KillSwitch(name, value.strip().lower() in TRUTHY, source)
    return KillSwitch(name)
