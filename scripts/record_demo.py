"""Re-record the demo's cassettes from the project's Sentry simulator, so they never go stale.

Run from anywhere: ``python scripts/record_demo.py`` (or ``--cassette-dir DIR`` to write
elsewhere). It runs every mode that has bundled checks, ``pytest -m "<modes>"
--sentry-record-mode=all``, at the repository's root: the root ``conftest.py`` starts the
simulator with the demo story (``simulator/scenarios.py``) and a throwaway token, and the plugin
writes ``cassettes/<org>/<project>.yaml``, scrubbed. The old cassette is removed first, so the new
one holds exactly this run's traffic. Afterwards ``pytest -m verify_loop`` at the root replays it
offline. Exits with pytest's status.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_MARK = re.compile(r"^pytestmark = pytest\.mark\.(\w+)", re.MULTILINE)


def modes_with_checks() -> list[str]:
    """The modes the bundled checks cover, from each ``checks/test_<mode>.py``'s marker."""
    found: list[str] = []
    for path in sorted((ROOT / "checks").glob("test_*.py")):
        found.extend(_MARK.findall(path.read_text(encoding="utf-8")))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cassette-dir", type=Path, default=ROOT / "cassettes")
    args = parser.parse_args(argv)
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    cassette_dir = args.cassette_dir.resolve()
    cassette = cassette_dir / ini["sentry_org"] / f"{ini['sentry_project'].split(',')[0]}.yaml"
    cassette.unlink(missing_ok=True)
    modes = modes_with_checks()
    env = {k: v for k, v in os.environ.items() if k not in ("SENTRY_URL", "SENTRY_AUTH_TOKEN")}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        " or ".join(modes),
        "--sentry-record-mode=all",
        f"--sentry-cassette-dir={cassette_dir}",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    print("recording", ", ".join(modes), "->", cassette, flush=True)
    status = subprocess.call(command, cwd=ROOT, env=env)
    # A FAIL in the demo story is expected (the demo shows one); only a broken run is an error.
    return 0 if status in (0, 1) and cassette.is_file() else status or 1


if __name__ == "__main__":
    sys.exit(main())
