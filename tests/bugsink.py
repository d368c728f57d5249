"""A real Bugsink (PyPI ``bugsink``, in its own virtual environment) on 127.0.0.1, for tests.

The recipe of ``shared/reference/bugsink.md``: a settings file written here (SQLite, eager task
digestion, no phone-home), ``migrate`` twice, a full-access API token, gunicorn with one worker on
a free port, then a team and a project created through Bugsink's own API (``/api/canonical/0/``),
whose DSN the tests hand to the plugin. Stopped by its process id.

The virtual environment is ``$BUGSINK_VENV``, else ``.venv-bugsink`` beside the repository or
beside the running interpreter's environment (``.ci/run`` installs it there).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

import httpx

ROOT: Final = Path(__file__).resolve().parents[1]
VERSION: Final = "2.6.2"
CONF: Final = """\
import os
from bugsink.settings.default import *  # noqa
_base = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "test-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DATABASES["default"]["NAME"] = os.path.join(_base, "db.sqlite3")
DATABASES["default"]["TEST"]["NAME"] = os.path.join(_base, "test.sqlite3")
DATABASES["snappea"]["NAME"] = os.path.join(_base, "snappea.sqlite3")
SNAPPEA = {{"TASK_ALWAYS_EAGER": True}}
EMAIL_BACKEND = "bugsink.email_backends.QuietConsoleEmailBackend"
BUGSINK = {{
    "BASE_URL": "{base}",
    "PHONEHOME": False,
    "INGEST_STORE_BASE_DIR": os.path.join(_base, "ingestion"),
}}
"""


def venv() -> Path | None:
    """The Bugsink virtual environment, or ``None`` when it is not installed."""
    candidates = [
        os.environ.get("BUGSINK_VENV"),
        ROOT / ".venv-bugsink",
        Path(sys.prefix).parent / ".venv-bugsink",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "bin" / "bugsink-manage").is_file():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Bugsink:
    """A running Bugsink: its base URL, API token, project id and the project's DSN."""

    base: str
    token: str
    project_id: int
    dsn: str
    process: subprocess.Popen[bytes]
    log: IO[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def api(self, path: str, **params: Any) -> httpx.Response:
        """GET Bugsink's own API (``/api/canonical/0/…``)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.get(f"{self.base}/api/canonical/0/{path}", params=params, headers=headers)

    def stop(self) -> None:
        """Stop gunicorn (master and worker) by its process id."""
        try:
            os.kill(self.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait()
        finally:
            self.log.close()


def start(env_dir: Path, workdir: Path) -> Bugsink:
    """Configure, migrate and start Bugsink in ``workdir``; create a team and a project."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    (workdir / "bugsink_conf.py").write_text(CONF.format(base=base))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")},
        "DJANGO_SETTINGS_MODULE": "bugsink_conf",
        "PYTHONPATH": str(workdir),
    }
    bin_dir = env_dir / "bin"

    def manage(*args: str) -> str:
        done = subprocess.run(
            [str(bin_dir / "bugsink-manage"), *args],
            cwd=workdir, env=env, capture_output=True, text=True, check=True, timeout=180,
        )  # fmt: skip
        return done.stdout

    manage("migrate", "--noinput")
    manage("migrate", "snappea", "--database=snappea", "--noinput")
    token = manage("create_auth_token").strip().splitlines()[-1]
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--no-control-socket", "bugsink.wsgi"],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health/ready").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            server.wait()
            log.close()
            raise RuntimeError("Bugsink did not start: " + (workdir / "server.log").read_text())
        time.sleep(0.1)
    headers = {"Authorization": f"Bearer {token}"}
    team = httpx.post(f"{base}/api/canonical/0/teams/", json={"name": "qa"}, headers=headers)
    project = httpx.post(
        f"{base}/api/canonical/0/projects/",
        json={"name": "demo", "team": team.raise_for_status().json()["id"]},
        headers=headers,
    ).raise_for_status()
    project_id = int(project.json()["id"])
    detail = httpx.get(f"{base}/api/canonical/0/projects/{project_id}/", headers=headers)
    dsn = str(detail.raise_for_status().json()["dsn"])
    return Bugsink(base, token, project_id, dsn, server, log)
