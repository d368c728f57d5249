"""sentry-cli on this machine: its path and version, when it is on PATH (it is never required)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import Any, Final

#: How long ``sentry-cli --version`` may take (a hung binary must not hold the preflight).
VERSION_TIMEOUT_S: Final = 10


@dataclass(frozen=True)
class CliTool:
    """The sentry-cli found on PATH and the version it printed (``None``: it did not answer)."""

    path: str
    version: str | None

    def evidence(self) -> dict[str, Any]:
        return {"path": self.path, "version": self.version}


def find_sentry_cli() -> CliTool | None:
    """The sentry-cli on PATH and its ``--version`` (no update check), or ``None``."""
    path = shutil.which("sentry-cli")
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_S,
            check=False,
            env={"SENTRY_DISABLE_UPDATE_CHECK": "true"},
        )
        version = done.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        version = None
    return CliTool(path=path, version=version)
