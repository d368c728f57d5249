"""The built wheel, installed in a fresh virtual environment, runs the bundled checks anywhere.

The wheel is built as ``python -m build`` builds it: from the sdist of this checkout, unpacked.
That build and its fresh environment are made once per test run (``SdistVenv``) and shared with
``tests/test_sdist.py``, whichever pytest-xdist worker asks first.

Offline by construction: the sdist and the wheel are built with ``--no-isolation`` from the tools
already in this environment, installed with ``pip --no-index --no-deps``, and the fresh
environment sees the dependencies already installed here through a ``.pth`` line naming a
directory of links to them that leaves out this checkout's editable install. Package-index and
proxy variables point at a closed port on 127.0.0.1 while building and installing, so a stray
download fails instead of reaching a registry.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from tests.conftest import (
    CANARY_TOKEN,
    PREFLIGHT_EMPTY_REPO,
    all_written,
    assert_no_secret,
    load_report,
)

REPO = Path(__file__).resolve().parents[1]
DIST_NAME = "pytest-sentry-gate"
STEP_TIMEOUT = 120
#: Nothing listens here: any download attempted while building or installing fails at once.
CLOSED = "http://127.0.0.1:9"
PROBE = """
import importlib.metadata as md, json, sys
import pytest_sentry_gate, pytest_sentry_gate.plugin as plugin
dists = [d for d in md.distributions() if d.metadata["Name"] == "pytest-sentry-gate"]
eps = [e for e in md.entry_points(group="pytest11") if e.name == "sentry_gate"]
print(json.dumps({
    "file": pytest_sentry_gate.__file__,
    "checks_dir": str(plugin.CHECKS_DIR),
    "dist_locations": [str(d.locate_file("")) for d in dists],
    "entry_points": [e.value for e in eps],
    "sys_path": sys.path,
}))
"""


PYTEST_SCRIPT = "#!{python}\nimport sys\nimport pytest\nsys.exit(pytest.console_main())\n"


@dataclass(frozen=True)
class FreshVenv:
    root: Path
    python: Path
    site_packages: Path
    wheel: Path


@dataclass(frozen=True)
class SdistVenv:
    """The unpacked sdist of this checkout (its ``pytest_sentry_gate/`` removed, so that every
    import of the package is the wheel's), and the fresh venv holding the wheel built from it."""

    tree: Path
    venv: FreshVenv


def _require(module: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{what} is not installed in this environment (module {module!r} not found)")


def _offline_env(home: Path) -> dict[str, str]:
    """A minimal environment: no index, no proxy that works, no PYTHONPATH, no SENTRY_*."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PIP_NO_INDEX": "1",
        "PIP_INDEX_URL": CLOSED,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CONFIG_FILE": os.devnull,
        "HTTP_PROXY": CLOSED,
        "HTTPS_PROXY": CLOSED,
        "http_proxy": CLOSED,
        "https_proxy": CLOSED,
    }


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _link_dependencies(into: Path) -> None:
    """Link every entry of this environment's site-packages except this project's own.

    Left out: the editable install's ``.pth`` and dist-info (``pytest_sentry_gate*``), and every
    ``.pth`` file (a ``.pth`` line only adds a directory; links to ``.pth`` files would be inert
    but are left out so nothing can name the checkout).
    """
    here = Path(sysconfig.get_paths()["purelib"])
    into.mkdir()
    for entry in here.iterdir():
        name = entry.name
        if name.startswith(("pytest_sentry_gate", "_editable_impl_")) or name == "__pycache__":
            continue
        if name.endswith(".pth"):
            continue
        (into / name).symlink_to(entry)


def _built(kind: str, tree: Path, out: Path, env: dict[str, str]) -> Path:
    """The one distribution ``python -m build <kind>`` makes of ``tree`` in ``out``."""
    _run(
        [sys.executable, "-m", "build", kind, "--no-isolation", "--outdir", str(out), "."],
        cwd=tree,
        env=env,
    )
    (built,) = out.glob(
        "pytest_sentry_gate-*.whl" if kind == "--wheel" else "pytest_sentry_gate-*.tar.gz"
    )
    return built


def venv_with_wheel_of(tree: Path, base: Path, env: dict[str, str]) -> tuple[Path, Path, Path]:
    """Build the wheel of ``tree``, install it alone into a fresh ``base/venv`` that sees the
    dev dependencies installed here (a ``.pth`` to their links, offline): (wheel, python,
    site-packages)."""
    wheel = _built("--wheel", tree, base / "dist", env)
    root = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=base, env=env)
    python = root / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--disable-pip-version-check", str(wheel)],
        cwd=base,
        env=env,
    )  # fmt: skip
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=base,
        env=env,
    ).stdout.strip()
    deps = base / "deps"
    _link_dependencies(deps)
    (Path(purelib) / "_sentry_gate_test_deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    return wheel, python, Path(purelib)


def _unpacked_sdist(base: Path, env: dict[str, str]) -> Path:
    sdist = _built("--sdist", REPO, base / "dist", env)
    with tarfile.open(sdist) as archive:
        archive.extractall(base / "src", filter="data")
    (tree,) = (base / "src").iterdir()
    return tree


def _build_sdist_venv(base: Path) -> SdistVenv:
    env = _offline_env(base)
    tree = _unpacked_sdist(base, env)
    wheel, python, site_packages = venv_with_wheel_of(tree, base, env)
    shutil.rmtree(tree / "pytest_sentry_gate")  # the tests import the installed wheel
    script = python.parent / "pytest"  # the demo runs `.venv/bin/pytest`: the venv's own
    script.write_text(PYTEST_SCRIPT.format(python=python), encoding="utf-8")
    script.chmod(0o755)
    venv = FreshVenv(root=base / "venv", python=python, site_packages=site_packages, wheel=wheel)
    return SdistVenv(tree=tree, venv=venv)


def sdist_venv(tmp_path_factory: pytest.TempPathFactory) -> SdistVenv:
    """The sdist unpacked and the wheel built from it in a fresh venv, made once per test run:
    under pytest-xdist the first worker that asks builds it under a lock in the run's shared
    temporary directory, and the others reuse it."""
    for module, what in (
        ("build", "build (python -m build)"),
        ("hatchling", "hatchling (the build backend)"),
        ("venv", "the venv module"),
        ("pip", "pip"),
    ):
        _require(module, what)
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent  # every worker's basetemp is a directory of the run's
    base, built = shared / "sdist-venv", shared / "sdist-venv.json"
    with FileLock(str(shared / "sdist-venv.lock")):
        if not built.exists():
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir()
            made = _build_sdist_venv(base)
            paths = {"tree": made.tree, **vars(made.venv)}
            built.write_text(json.dumps({k: str(v) for k, v in paths.items()}), encoding="utf-8")
    found = {k: Path(v) for k, v in json.loads(built.read_text(encoding="utf-8")).items()}
    tree = found.pop("tree")
    return SdistVenv(tree=tree, venv=FreshVenv(**found))


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> FreshVenv:
    """The wheel built from the sdist, installed into a fresh venv that cannot see this
    checkout (``sdist_venv``: built once per test run)."""
    return sdist_venv(tmp_path_factory).venv


@pytest.fixture
def unrelated_repo(tmp_path: Path) -> Path:
    """A repository that has nothing to do with this one: no tests, no conftest, no checkout."""
    repo = tmp_path / "elsewhere"
    repo.mkdir()
    return repo


def _pytest_env(home: Path, token: str | None = None) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    if token is not None:
        env["SENTRY_AUTH_TOKEN"] = token
    return env


def test_wheel_ships_the_checks_and_the_entry_point(fresh_venv: FreshVenv) -> None:
    # Given the wheel built from this checkout
    import zipfile

    # When its file list and entry points are read
    with zipfile.ZipFile(fresh_venv.wheel) as whl:
        names = set(whl.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_text = whl.read(entry_points).decode()
    # Then the bundled checks, the report schema and the pytest11 entry point are in it
    assert "pytest_sentry_gate/checks/__init__.py" in names
    assert "pytest_sentry_gate/checks/test_setup_preflight.py" in names
    assert "pytest_sentry_gate/checks/test_release_gate.py" in names
    assert "pytest_sentry_gate/report.schema.json" in names
    assert "[pytest11]\nsentry_gate = pytest_sentry_gate.plugin" in entry_text
    assert not any("__pycache__" in n for n in names)


def test_fresh_venv_imports_the_installed_copy_only(
    fresh_venv: FreshVenv, unrelated_repo: Path, clean_env: Path
) -> None:
    # Given the fresh venv, run from an unrelated directory
    # When it reports where the package and its distribution come from
    done = _run(
        [str(fresh_venv.python), "-c", PROBE], cwd=unrelated_repo, env=_pytest_env(clean_env)
    )
    seen: dict[str, Any] = json.loads(done.stdout)
    # Then the package, its checks and its single distribution are inside the fresh venv
    installed = fresh_venv.site_packages / "pytest_sentry_gate"
    assert Path(seen["file"]) == installed / "__init__.py"
    assert Path(seen["checks_dir"]) == installed / "checks"
    assert [Path(p) for p in seen["dist_locations"]] == [fresh_venv.site_packages]
    assert seen["entry_points"] == ["pytest_sentry_gate.plugin"]
    # And this checkout is nowhere on its path (the editable install's .pth was not followed)
    assert not any(Path(p) == REPO for p in seen["sys_path"] if p)


def test_preflight_runs_bundled_checks_from_unrelated_repo(
    fresh_venv: FreshVenv, unrelated_repo: Path, simulator: Any, clean_env: Path
) -> None:
    # Given an unrelated repository whose pyproject.toml names the org, project and server
    (unrelated_repo / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n"
        'sentry_org = "acme"\n'
        'sentry_project = "codictate"\n'
        f'sentry_url = "{simulator.url}"\n',
        encoding="utf-8",
    )
    # When the fresh venv's pytest runs setup_preflight there, with the token in the environment
    done = subprocess.run(
        [str(fresh_venv.python), "-m", "pytest", "-m", "setup_preflight",
         "--sentry-gate-report=r.json", "-rA", "-p", "no:cacheprovider"],
        cwd=unrelated_repo,
        env=_pytest_env(clean_env, token=CANARY_TOKEN),
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )  # fmt: skip
    # Then the bundled checks ran and passed, read from the installed package
    assert done.returncode == 0, done.stdout + done.stderr
    report = load_report(unrelated_repo / "r.json")
    assert report["overall_status"] == "PASS"
    statuses = {c["nodeid"]: c["status"] for c in report["checks"]}
    assert statuses == {f"test_setup_preflight.py::{k}": v for k, v in PREFLIGHT_EMPTY_REPO.items()}
    installed_checks = fresh_venv.site_packages / "pytest_sentry_gate" / "checks"
    assert str(installed_checks.relative_to(fresh_venv.root)) in done.stdout
    # And the settings came from that repository's ini, the token from the environment
    sources = report["checks"][0]["evidence"]["sources"]
    assert sources["org"] == "sentry_org in pyproject.toml"
    assert sources["url"] == "sentry_url in pyproject.toml"
    assert sources["token"] == "SENTRY_AUTH_TOKEN"
    # And the simulator was really asked, with that token
    assert any(r.path.startswith("/api/0/organizations/acme") for r in simulator.requests)
    # And nothing was copied into the repository, and the token appears nowhere
    assert sorted(p.name for p in unrelated_repo.iterdir()) == ["pyproject.toml", "r.json"]
    assert_no_secret(done.stdout, done.stderr, all_written(unrelated_repo))


def test_installed_plugin_is_inert_without_a_mode(
    fresh_venv: FreshVenv, unrelated_repo: Path, clean_env: Path
) -> None:
    # Given an unrelated repository with one ordinary test and no Sentry settings
    (unrelated_repo / "test_app.py").write_text("def test_ok():\n    assert True\n")
    # When the fresh venv's pytest runs without -m
    done = _run(
        [str(fresh_venv.python), "-m", "pytest", "-rA", "-p", "no:cacheprovider"],
        cwd=unrelated_repo,
        env=_pytest_env(clean_env),
    )
    # Then only that test ran: no bundled check was collected and no sentry-gate header shown
    assert "1 passed" in done.stdout
    assert "PASSED test_app.py::test_ok" in done.stdout
    assert "test_setup_preflight" not in done.stdout
    assert "sentry-gate:" not in done.stdout
    assert "sentry-gate-0.1.0" in done.stdout  # the plugin is loaded, merely idle
