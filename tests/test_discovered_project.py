"""The auto-selected project is the project, everywhere after discovery (issue 14.9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry_simulator import Simulator
from tests.conftest import CANARY_TOKEN, check, load_report, run_mode


def only_codictate(sim: Simulator) -> None:
    """The organization's one project is codictate (the demo also has handy-web)."""
    for key, project in list(sim.data.projects.items()):
        if project.slug != "codictate":
            del sim.data.projects[key]


def discovered(url: str, repo: Path) -> tuple[str, ...]:
    """The demo's org on ``url`` and no project: discovery selects its only one, codictate."""
    return (f"--sentry-url={url}", "--sentry-org=acme", f"--sentry-repo-root={repo}")


def test_release_wiring_uses_the_discovered_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given no sentry_project, one project in the organization, and a CI workflow setting
    # SENTRY_RELEASE: codictate@${{ ... }}
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    only_codictate(sim)
    _result, report = run_mode(pytester, "release_gate", *discovered(sim.url, repo))
    # Then the release wiring is judged with the discovered project: it holds
    wiring = check(report, "test_release_wiring")
    assert wiring["status"] == "PASS", wiring["message"]
    # And the report names the project that was checked
    assert report["project"] == "codictate"
    assert report["projects"] == ["codictate"]


def test_wiring_markers_expand_the_discovered_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a wiring marker naming {project} and no sentry_project
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    only_codictate(sim)
    ini = 'sentry_wiring =\n    src/release.ts: SENTRY_PROJECT = "{project}"\n'
    result, report = run_mode(pytester, "setup_preflight", *discovered(sim.url, repo), ini=ini)
    # Then {project} is the discovered slug, so the marker is found
    markers = check(report, "test_wiring_markers")
    assert markers["status"] == "PASS", markers["message"]
    assert result.ret == 0


def test_repository_markers_without_project_do_not_ask_sentry(
    pytester: pytest.Pytester, repo: Path
) -> None:
    # Given markers that do not name {project}, a release given, no project and no reachable Sentry
    ini = "sentry_wiring =\n    src/main.ts: Sentry.init(\n"
    args = (
        "--sentry-url=http://127.0.0.1:9/",
        "--sentry-org=acme",
        f"--sentry-repo-root={repo}",
        "--sentry-release=codictate@1.4.2",
    )
    _result, report = run_mode(pytester, "setup_preflight", *args, ini=ini)
    # Then the repository check still decides on its own
    assert check(report, "test_wiring_markers")["status"] == "PASS"


def test_version_spellings_name_the_discovered_projects_releases(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given no sentry_project, one project in the organization, and package.json spelling the
    # version "v1.4.2" while the other version files say "1.4.2"
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    only_codictate(sim)
    package = repo / "package.json"
    package.write_text(package.read_text().replace('"1.4.2"', '"v1.4.2"'))
    _result, report = run_mode(pytester, "release_gate", *discovered(sim.url, repo))
    # Then the two releases the spellings would make are named with the discovered project
    aligned = check(report, "test_versions_aligned")
    assert aligned["reason"] == "version_spelling", aligned["message"]
    assert "codictate@1.4.2 and codictate@v1.4.2" in aligned["message"]
    assert "{project}@1.4.2" not in aligned["message"]


def test_the_report_names_the_discovered_target_under_xdist(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given neither an organization nor a project set, one of each that the token sees, and the
    # checks run by an xdist worker while the controller writes the report
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    only_codictate(sim)
    assert [org.slug for org in sim.data.organizations.values()] == ["acme"]
    pytester.makeini("[pytest]\nsentry_http_timeout = 2\n")
    args = (f"--sentry-url={sim.url}", f"--sentry-repo-root={repo}")
    pytester.runpytest_subprocess(
        "-p", "xdist", "-n", "1", "-m", "release_gate", "-p", "no:cacheprovider",
        "--sentry-gate-report=report.json", *args,
    )  # fmt: skip
    report = load_report(pytester.path / "report.json")
    # Then the report names the organization and the project the worker's checks discovered
    assert (report["org"], report["project"], report["projects"]) == (
        "acme",
        "codictate",
        ["codictate"],
    )
    assert check(report, "test_release_wiring")["status"] == "PASS"
