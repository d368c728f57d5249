"""The layer contracts of pyproject.toml hold, and a planted violation breaks the build."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_layer_contracts_hold() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        (
            "checks/test_release_gate.py",
            "from pytest_sentry_gate.sentry.client import SentryClient",
            "Checks import no httpx, no simulator, and of sentry/ only endpoints.py BROKEN",
        ),
        (
            "checks/test_local_smoke.py",
            "from pytest_sentry_gate.sentry.smoke import read_keys",
            "Checks import no httpx, no simulator, and of sentry/ only endpoints.py BROKEN",
        ),
        (
            "pytest_sentry_gate/sentry/endpoints.py",
            "import pytest",
            "The Sentry side (client, readers) imports no pytest BROKEN",
        ),
        (
            "pytest_sentry_gate/repo/versions.py",
            "import httpx",
            "The repository readers and the checkpoint import neither httpx nor pytest BROKEN",
        ),
        (
            "pytest_sentry_gate/hooks.py",
            "from sentry_simulator import Simulator",
            "The package never imports the simulator (it is not in the wheel) BROKEN",
        ),
        (
            "sentry_simulator/scenarios.py",
            "from pytest_sentry_gate.repo.bundles import join_url",
            "The simulator imports nothing of the product (it shares no code with it) BROKEN",
        ),
        (
            "pytest_sentry_gate/ci_output.py",
            "import httpx",
            "The report and CI output import no client BROKEN",
        ),
        (
            "pytest_sentry_gate/fixtures/core.py",
            "from pytest_sentry_gate import hooks",
            "Fixtures never import the hooks BROKEN",
        ),
        (
            "pytest_sentry_gate/fixtures/health.py",
            "from pytest_sentry_gate import plugin",
            "Fixtures never import the hooks BROKEN",
        ),
        (
            "pytest_sentry_gate/step_summary.py",
            "from pytest_sentry_gate.sentry.client import SentryClient",
            "The report and CI output import no client BROKEN",
        ),
        (
            "pytest_sentry_gate/loop_report.py",
            "import httpx",
            "The report and CI output import no client BROKEN",
        ),
        (  # no ignored import any more: the fixture layer reaches the client
            "pytest_sentry_gate/loop_report.py",
            "from pytest_sentry_gate.fixtures.targets import ENDING",
            "The report and CI output import no client BROKEN",
        ),
        (
            "pytest_sentry_gate/loop_report.py",
            "import pytest_sentry_gate.sentry.client",
            "The report and CI output import no client BROKEN",
        ),
        (
            "pytest_sentry_gate/report_writer.py",
            "from pytest_sentry_gate.fixtures import prefetch",
            "The report and CI output import no client BROKEN",
        ),
        (
            "pytest_sentry_gate/json_report.py",
            "import httpx",
            "The report and CI output import no client BROKEN",
        ),
        (
            "checks/test_release_gate.py",
            "from pytest_sentry_gate.settings import ROWS",
            "Checks never import the settings (they receive them through fixtures) BROKEN",
        ),
        (
            "checks/test_incident.py",
            "from pytest_sentry_gate.setting_resolution import resolve",
            "Checks never import the settings (they receive them through fixtures) BROKEN",
        ),
        (  # checks import verdict, verdict the error verdicts: the table reached around a corner
            "pytest_sentry_gate/error_verdicts.py",
            "from pytest_sentry_gate.settings import ROWS",
            "Checks never import the settings (they receive them through fixtures) BROKEN",
        ),
        (  # distributed imports schedule: a cycle
            "pytest_sentry_gate/schedule.py",
            "from pytest_sentry_gate import distributed",
            "No import cycle between sibling modules (type-only imports excepted) BROKEN",
        ),
        (  # seed imports data: a cycle in the simulator (its own package) too
            "sentry_simulator/data.py",
            "from sentry_simulator.seed import build",
            "No import cycle between sibling modules (type-only imports excepted) BROKEN",
        ),
        (  # the store's readers name FactsStore for type checking only: a run-time import
            "pytest_sentry_gate/store/health.py",
            "from pytest_sentry_gate.store.target import FactsStore",
            "No import cycle between sibling modules (type-only imports excepted) BROKEN",
        ),
    ],
)
def test_a_planted_violation_fails(
    tmp_path: Path, module: str, planted: str, contract: str
) -> None:
    # Given a copy of the source tree with one forbidden import planted
    for part in ("pytest_sentry_gate", "checks", "sentry_simulator"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{planted}  # planted\n")
    # When import-linter checks it
    done = _lint(tmp_path)
    # Then the build fails, naming the broken contract
    assert done.returncode != 0
    assert contract in done.stdout


def test_the_public_surface_resolves_every_name() -> None:
    import pytest_sentry_gate

    assert sorted(pytest_sentry_gate.__all__) == sorted(pytest_sentry_gate._PUBLIC)
    for name in pytest_sentry_gate.__all__:
        assert getattr(pytest_sentry_gate, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'client'"):
        _ = pytest_sentry_gate.client
    assert (ROOT / "pytest_sentry_gate" / "py.typed").is_file()
