"""Issue 18 item 11: the sdist builds a wheel whose tests pass.

The source distribution is built from this checkout and unpacked; the wheel is built from that
unpacked tree (not from the checkout), installed in a fresh virtual environment that sees the dev
dependencies already installed here (as ``test_install`` does: offline, no index), and the
unpacked tree's own tests of the demo, the Action and the pre-commit hook run against it. The
unpacked ``pytest_sentry_gate/`` source is removed first, so every import of the package is the
installed wheel's; the simulator, the demo app, the checks' test helpers and the docs come from
the sdist. A file the tests need that the sdist leaves out fails here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.test_install import (
    REPO,
    STEP_TIMEOUT,
    _offline_env,
    _require,
    _run,
    venv_with_wheel_of,
)

#: The unpacked sdist's tests that run against the installed wheel: the demo (the README's
#: command, the simulator CLI), the Action and the pre-commit hook (files at the sdist's root).
SUBSET = ("tests/test_demo.py", "tests/test_action.py")
#: Left out: the demo on xdist workers (the longest of them, and about scheduling, not packaging).
LEFT_OUT = ("--deselect", "tests/test_demo.py::test_the_demo_replays_on_xdist_workers_too")
PYTEST_SCRIPT = "#!{python}\nimport sys\nimport pytest\nsys.exit(pytest.console_main())\n"


def _unpacked_sdist(base: Path, env: dict[str, str]) -> Path:
    dist = base / "dist"
    _run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(dist), "."],
        cwd=REPO,
        env=env,
    )
    (sdist,) = dist.glob("pytest_sentry_gate-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(base / "src", filter="data")
    (tree,) = (base / "src").iterdir()
    return tree


def _venv_with_wheel_of(tree: Path, base: Path, env: dict[str, str]) -> Path:
    """A fresh venv holding the wheel built from ``tree``; its python."""
    _, python, _ = venv_with_wheel_of(tree, base, env)
    root = python.parent.parent
    script = root / "bin" / "pytest"  # the demo runs `.venv/bin/pytest`: the venv's own
    script.write_text(PYTEST_SCRIPT.format(python=python), encoding="utf-8")
    script.chmod(0o755)
    return python


def test_the_sdist_builds_a_wheel_whose_tests_pass(
    tmp_path_factory: pytest.TempPathFactory, clean_env: Path
) -> None:
    for module, what in (("build", "build"), ("hatchling", "hatchling"), ("pip", "pip")):
        _require(module, what)
    # Given the sdist of this checkout, unpacked, and a fresh venv with the wheel built from it
    base = tmp_path_factory.mktemp("sdist")
    env = _offline_env(base)
    tree = _unpacked_sdist(base, env)
    python = _venv_with_wheel_of(tree, base, env)
    shutil.rmtree(tree / "pytest_sentry_gate")  # the tests import the installed wheel
    # When the unpacked tree's tests of the demo, the Action and the hook run with that venv
    run_env = {**env, "PATH": f"{python.parent}:{env['PATH']}", "HOME": str(clean_env)}
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            *SUBSET,
            *LEFT_OUT,
        ],
        cwd=tree,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT * 2,
        check=False,
    )
    # Then they pass, and they ran against the wheel (its package is in the venv)
    out = done.stdout + done.stderr
    failures = [line for line in out.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert done.returncode == 0, "\n".join(failures) or out[-4000:]
    assert " passed" in out
    assert " failed" not in out
    probe = "import pytest_sentry_gate; print(pytest_sentry_gate.__file__)"
    where = _run([str(python), "-c", probe], cwd=tree, env=run_env).stdout.strip()
    assert Path(where).is_relative_to(python.parents[1])
