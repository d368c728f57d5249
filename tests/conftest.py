"""Shared fixtures of the plugin's own tests: a clean environment, settings probes, servers."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# httpcore and the client are imported here, once: pytester's in-process runs drop the modules
# they import, and httpx caches its httpcore exception map on first use, so a second copy of
# httpcore would let its timeouts escape unmapped.
import httpcore  # noqa: F401
import pytest

# Likewise PyYAML: a second copy of its Python half would not match its C emitter's event
# classes, so a cassette written by a later in-process run would fail to serialize.
import vcr.serializers.yamlserializer  # noqa: F401

import pytest_sentry_gate.sentry.client  # noqa: F401

# What every in-process pytester run used to redo (imports, metadata): done once per session.
import tests.run_once  # noqa: F401
from pytest_sentry_gate.policy_defaults import CI_VARIABLES

pytest_plugins = ["pytester"]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` for this suite: one worker more than the machine has CPUs. A good part of the
    suite waits (on the processes its tests start, on the simulator's latency, on timeouts), and
    a third worker keeps two CPUs busy meanwhile (``.ci/run`` on 2 CPUs: 262 s with 2 workers,
    210 s with 3, 220 s with 4; benchmarks/README.md section 8)."""
    return (os.cpu_count() or 1) + 1


CANARY_TOKEN = "sntryu_" + "c4n4ry" * 10 + "abcd"
"""A token-shaped canary: no output, file or cassette may ever contain it."""


def default_sigint() -> None:
    """``preexec_fn`` of a child a test interrupts: Ctrl-C raises KeyboardInterrupt in it even
    when this suite was started in the background of a shell, which ignores SIGINT for it (a
    Python child keeps an inherited SIG_IGN)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@functools.cache
def _report_validator() -> Any:
    """The shipped schema's validator, built once (it compiles the schema's patterns)."""
    import jsonschema

    from pytest_sentry_gate.report import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def load_report(path: Path) -> dict[str, Any]:
    """Read an agent report and validate it against the schema shipped in the package."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    _report_validator().validate(document)
    return document


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No SENTRY_* variable, no CI variable (the CI policy is tested on its own) and an empty home:
    tests never read the developer's real config."""
    for name in list(os.environ):
        if name.startswith("SENTRY_") or name in ("EXPECT_TOKEN", "EXPECT_DSN", *CI_VARIABLES):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def no_real_sleeps(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pytester run's client records its waits instead of sleeping (``tests/seam.py``):
    in-process and subprocess runs alike load it through ``PYTEST_PLUGINS``."""
    if "pytester" in request.fixturenames:
        monkeypatch.setenv("PYTEST_PLUGINS", "tests.seam")


@pytest.fixture
def home(pytester: pytest.Pytester) -> Path:
    """The home directory of a pytester run (pytester points HOME at its own directory)."""
    return pytester.path


def write_sentryclirc(directory: Path, text: str) -> Path:
    path = directory / ".sentryclirc"
    path.write_text(text)
    return path


FULL_SCOPES = ("org:read", "project:read", "project:releases", "event:read")

#: setup_preflight's verdicts with a good token in a repository with no app in it.
PREFLIGHT_EMPTY_REPO = {
    "test_settings_resolved": "PASS",
    "test_token_accepted": "PASS",
    "test_token_scopes": "PASS",
    "test_organization_exists": "PASS",
    "test_project_exists": "PASS",
    "test_tauri_capability": "SKIP",
    "test_sentry_privacy": "SKIP",
    "test_wiring_markers": "SKIP",
}


@pytest.fixture
def simulator() -> Iterator[Any]:
    """A seeded Sentry simulator on 127.0.0.1 that knows CANARY_TOKEN with every needed scope."""
    from sentry_simulator import Simulator, TokenSpec, seeded

    sim = Simulator(data=seeded(seed=1, issues=30))
    sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
    with sim:
        yield sim


def demo_simulator(repo: Path) -> Any:
    """A (not yet started) simulator holding a healthy release of the demo app copied at ``repo``,
    knowing CANARY_TOKEN with every needed scope."""
    from sentry_simulator import Simulator, TokenSpec
    from sentry_simulator.scenarios import demo_data

    sim = Simulator(data=demo_data(repo))
    sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
    return sim


def assert_no_secret(*texts: str, secret: str = CANARY_TOKEN) -> None:
    """No output, report or file written may contain the secret."""
    for text in texts:
        assert secret not in text


def all_written(root: Path) -> str:
    """Every text file below ``root``, concatenated, for secret searches."""
    chunks = []
    for path in root.rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


@pytest.fixture
def dns_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``sentry.invalid`` unresolvable without sending any DNS query."""
    real = socket.getaddrinfo

    def fake(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "sentry.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def edit_json(path: Path, **changes: Any) -> None:
    """Set (or, with None, remove) top-level keys of a JSON file."""
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(json.dumps(data, indent=2))


@pytest.fixture(scope="session")
def bugsink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Bugsink on 127.0.0.1 with one project (skipped when it is not installed)."""
    from tests import bugsink as server

    env_dir = server.venv()
    if env_dir is None:
        pytest.skip(
            f"Bugsink is not installed: python3 -m venv .venv-bugsink && "
            f".venv-bugsink/bin/pip install bugsink=={server.VERSION} (.ci/run does)"
        )
    running = server.start(env_dir, tmp_path_factory.mktemp("bugsink"))
    try:
        yield running
    finally:
        running.stop()


DEMO_APP = Path(__file__).resolve().parents[1] / "examples" / "codictate"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh copy of the demo app, free to edit."""
    target = tmp_path / "codictate"
    shutil.copytree(DEMO_APP, target, ignore=shutil.ignore_patterns("node_modules", "pytest.ini"))
    return target


@pytest.fixture
def sim(repo: Path) -> Iterator[Any]:
    """The simulator holding a healthy codictate@1.4.2 of the demo copy (its bundles)."""
    with demo_simulator(repo) as simulator:
        yield simulator


def run_mode(
    pytester: pytest.Pytester,
    mode: str,
    *args: str,
    ini: str = "sentry_http_timeout = 2\n",
    secrets: tuple[str, ...] = (CANARY_TOKEN,),
    also_written: tuple[Path, ...] = (),
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """``pytest -m <mode> <args>`` in ``pytester.path``: it writes the agent report, prints no
    traceback, and no output, report or file (nor any under ``also_written``) holds a secret."""
    pytester.makeini("[pytest]\n" + ini)
    result = pytester.runpytest_inprocess(
        "-m", mode, "--sentry-gate-report=report.json", "-rA", "-p", "no:cacheprovider", *args
    )
    out = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in out
    assert "INTERNALERROR" not in out
    report = load_report(pytester.path / "report.json")
    written = [all_written(pytester.path), *map(all_written, also_written)]
    for secret in secrets:
        assert_no_secret(out, *written, secret=secret)
    return result, report


def demo_target(url: str, repo: Path) -> tuple[str, ...]:
    """The flags that point a run at the demo's org and project on ``url``, checking ``repo``."""
    return (
        f"--sentry-url={url}",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={repo}",
    )


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    """The report's entry for the check named ``name``."""
    return next(c for c in report["checks"] if c["id"].endswith("::" + name))


def statuses(report: dict[str, Any]) -> dict[str, str]:
    """Each check's status, by check name."""
    return {c["id"].split("::")[1]: c["status"] for c in report["checks"]}


#: A check that dumps the resolved settings (``resolved`` runs it).
SETTINGS_PROBE = """
import dataclasses, json, os
def test_dump(sentry_settings):
    s = sentry_settings
    data = {f.name: getattr(s, f.name) for f in dataclasses.fields(s) if f.name != "token"}
    data["sources"] = dict(s.sources)
    data["token_is_set"] = s.token is not None
    data["token_matches"] = s.token == os.environ.get("EXPECT_TOKEN")
    with open(os.environ["SETTINGS_OUT"], "w") as f:
        json.dump(data, f, default=str)
"""


@pytest.fixture
def resolved(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run pytest in ``pytester.path`` with the given args and return the resolved settings."""

    def run(*args: str) -> dict[str, Any]:
        out = pytester.path / "settings-out.json"
        monkeypatch.setenv("SETTINGS_OUT", str(out))
        pytester.makepyfile(test_settings_probe=SETTINGS_PROBE)
        result = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", "-q", "test_settings_probe.py", *args
        )
        assert result.ret == 0, result.stdout.str() + result.stderr.str()
        data: dict[str, Any] = json.loads(out.read_text())
        return data

    return run


class NamedReads:
    """A facts store (of a target, or of the run's ``stores``) whose every fact is a read named
    after it; ``asked`` lists, in order, the reads it made before returning."""

    def __init__(self, asked: list[str], stores: object = None) -> None:
        self.asked, self.stores = asked, stores

    def __getattr__(self, name: str) -> Any:
        def read() -> None:
            self.asked.append(name)

        read.__name__ = name
        return read
