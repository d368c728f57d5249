"""release_gate end to end: the demo app (copied and edited) against the simulator's demo data."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_sentry_gate.modes.release_gate import (
    NO_EVENT,
    NO_RELEASE,
    NOT_THE_VERSION,
    RELEASE_MISSING,
    RELEASE_OTHER_PROJECT,
    VERSION_MISMATCH,
    files_other_project,
)
from sentry_simulator import Simulator
from sentry_simulator.built import built_files
from sentry_simulator.scenarios import (
    DEMO_RELEASE,
    add_demo_event,
    demo_data,
    upload_bundles,
    upload_release_files,
)
from tests.conftest import (
    CANARY_TOKEN,
    check,
    demo_target,
    edit_json,
    run_mode,
    statuses,
)

DEMO = Path(__file__).resolve().parents[1] / "examples" / "codictate"
CHECKS = (
    "test_versions_aligned",
    "test_release_name",
    "test_release_wiring",
    "test_built_bundles",
    "test_release_visible",
    "test_artifacts_uploaded",
    "test_release_symbolicates",
)
REPO_SIDE = CHECKS[:4]
SENTRY_SIDE = CHECKS[4:]


def run_gate(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    *args: str,
    url: str,
    ini: str = "",
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """``pytest -m release_gate`` on ``repo``; returns the run and its validated report."""
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    return run_mode(
        pytester,
        "release_gate",
        *demo_target(url, repo),
        *args,
        ini="sentry_http_timeout = 2\n" + ini,
        also_written=(repo,),
    )


def row(report: dict[str, Any]) -> dict[str, str]:
    return next(r for r in report["results"] if r["mode"] == "release-gate")


# -- the healthy demo ------------------------------------------------------------------------

#: Every request one release_gate run makes on the healthy demo, in order (GET, path).
HEALTHY_PATHS = (
    "/api/0/organizations/acme/",  # the org slug exists (shared with setup_preflight)
    "/api/0/projects/acme/codictate/",  # the project slug exists; also gives its numeric id
    "/api/0/organizations/acme/releases/codictate@1.4.2/",
    "/api/0/projects/acme/codictate/releases/codictate@1.4.2/files/",
    "/api/0/projects/acme/codictate/files/artifact-bundles/",
    "/api/0/projects/acme/codictate/artifact-bundles/{bundle}/files/",
    "/api/0/organizations/acme/issues/",
    "/api/0/organizations/acme/issues/{issue}/events/latest/",
)


def test_aligned_demo_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the demo app and a Sentry that holds its release, uploads and a symbolicated event
    # When the release gate runs
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then every check passes and the exit code is 0
    assert result.ret == 0
    assert statuses(report) == dict.fromkeys(CHECKS, "PASS")
    assert report["overall_status"] == "PASS"
    assert report["release"] == DEMO_RELEASE
    versions = check(report, "test_versions_aligned")
    assert versions["evidence"]["versions"] == {
        "src-tauri/tauri.conf.json": "1.4.2",
        "src-tauri/Cargo.toml": "1.4.2",
        "package.json": "1.4.2",
    }
    assert (
        "src-tauri/Cargo.toml: inherited from Cargo.toml [workspace.package]"
        in (versions["evidence"]["notes"])
    )
    assert check(report, "test_release_name")["evidence"]["release"] == DEMO_RELEASE
    names = [b.name for b in built_files(repo / "dist" / "assets").bundles]
    assert check(report, "test_built_bundles")["evidence"]["bundles"] == names
    uploaded = check(report, "test_artifacts_uploaded")["evidence"]
    assert uploaded["url_prefix"] == "app://localhost/assets"
    assert uploaded["artifact_bundles"] == 1
    symbolicated = check(report, "test_release_symbolicates")
    assert symbolicated["evidence"]["event_release"] == DEMO_RELEASE
    assert symbolicated["evidence"]["resolved_frames"] == 2
    assert symbolicated["evidence"]["frame_urls"][0].startswith("app://localhost/assets/main-")

    # And the results row carries the versions per file, the release, the bundles and the prefix
    evidence = row(report)["evidence"]
    assert row(report)["status"] == "PASS"
    facts = evidence.split("; ")  # the old script's ``key=value; …``
    for fact in (
        "versions.package.json=1.4.2",
        "versions.src-tauri/Cargo.toml=1.4.2",
        "versions.src-tauri/tauri.conf.json=1.4.2",
        f"release={DEMO_RELEASE}",
        "url_prefix=app://localhost/assets",
        "bundles=" + ",".join(names),
    ):
        assert fact in facts

    # And the gate costs a fixed number of requests, each fetched once
    bundle = sim.data.bundles[0].bundle_id
    issue = next(i.id for i in sim.data.issues if i.last_release == DEMO_RELEASE)
    expected = [p.format(bundle=bundle, issue=issue) for p in HEALTHY_PATHS]
    # (the first four are fetched concurrently, so their order is not fixed)
    assert sorted((r.method, r.path) for r in sim.requests) == sorted(("GET", p) for p in expected)


# -- repository side: versions and the release name ------------------------------------------


def test_one_version_file_off_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given package.json says 1.4.3 while the Tauri files say 1.4.2
    edit_json(repo / "package.json", version="1.4.3")
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the version check fails naming each file, its value and the fix
    assert result.ret == 1
    versions = check(report, "test_versions_aligned")
    assert versions["status"] == "FAIL"
    assert versions["reason"] == "version_mismatch"
    sources = (
        "src-tauri/tauri.conf.json=1.4.2, src-tauri/Cargo.toml=1.4.2 (inherited from "
        "Cargo.toml [workspace.package]), package.json=1.4.3"
    )
    assert versions["message"] == VERSION_MISMATCH.format(sources=sources)
    assert "Make every file say the same version." in result.stdout.str()
    # And the checks that need the release say why there is none: PARTIAL, not "not applicable"
    for name in ("test_release_name", "test_release_visible", "test_artifacts_uploaded"):
        assert check(report, name)["status"] == "PARTIAL"
        assert check(report, name)["reason"] == "no_release"
        assert check(report, name)["message"].startswith(NO_RELEASE.split("{command}")[0])
        assert "--sentry-release=<name>" in check(report, name)["message"]


@pytest.mark.parametrize(
    "entry", ["app/package.json", "package.json:versoin", "src-tauri/tauri.conf.json:app.version"]
)
def test_configured_version_file_without_a_version_fails(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    sim: Simulator,
    entry: str,
) -> None:
    # Given sentry_version_files names a file or a dotted key that is not there
    ini = f"sentry_version_files =\n    {entry}\n"
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url, ini=ini)

    # Then the gate does not pass: the version check FAILs naming the entry, exit 1
    assert result.ret == 1
    assert report["overall_status"] == "FAIL"
    versions = check(report, "test_versions_aligned")
    assert versions["status"] == "FAIL"
    assert versions["reason"] == "version_not_found"
    assert "sentry_version_files (sentry_version_files in " in versions["message"]
    # and the checks that need the release are PARTIAL (no release), never a silent skip
    assert check(report, "test_release_visible")["status"] == "PARTIAL"
    assert not sim.requests or all("/releases/" not in r.path for r in sim.requests)


def test_no_release_at_all_is_partial_not_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sim: Simulator
) -> None:
    # Given a repository with no version file and no --sentry-release
    empty = tmp_path / "empty"
    empty.mkdir()
    result, report = run_gate(pytester, monkeypatch, empty, url=sim.url)

    # Then the release gate is PARTIAL (exit 0), not PASS
    assert result.ret == 0
    assert report["overall_status"] == "PARTIAL"
    assert check(report, "test_release_visible")["reason"] == "no_release"


def test_workspace_inherited_version_off_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the workspace (inherited by src-tauri/Cargo.toml) still says 1.4.1
    cargo = repo / "Cargo.toml"
    cargo.write_text(cargo.read_text().replace('version = "1.4.2"', 'version = "1.4.1"'))
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the failure names the inherited value and where it comes from
    assert result.ret == 1
    message = check(report, "test_versions_aligned")["message"]
    assert "src-tauri/Cargo.toml=1.4.1 (inherited from Cargo.toml [workspace.package])" in message


def test_tauri_conf_without_version_uses_cargo(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given tauri.conf.json sets no version (Tauri then uses Cargo.toml's)
    edit_json(repo / "src-tauri" / "tauri.conf.json", version=None)
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then it is no mismatch, and the note says why
    assert result.ret == 0
    versions = check(report, "test_versions_aligned")
    assert versions["status"] == "PASS"
    assert versions["evidence"]["versions"]["src-tauri/tauri.conf.json"] is None
    assert (
        "src-tauri/tauri.conf.json: absent: Tauri uses Cargo.toml's"
        in versions["evidence"]["notes"]
    )


def test_tauri_version_as_path_to_package_json(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given tauri.conf.json's version is a path to package.json
    edit_json(repo / "src-tauri" / "tauri.conf.json", version="../package.json")
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)
    versions = check(report, "test_versions_aligned")
    assert result.ret == 0
    assert versions["evidence"]["versions"]["src-tauri/tauri.conf.json"] == "1.4.2"
    assert "src-tauri/tauri.conf.json: path to ../package.json" in versions["evidence"]["notes"]

    # When package.json moves on alone, the path follows it and Cargo.toml is the odd one out
    edit_json(repo / "package.json", version="1.5.0")
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)
    assert result.ret == 1
    assert (
        "src-tauri/tauri.conf.json=1.5.0 (path to ../package.json)"
        in (check(report, "test_versions_aligned")["message"])
    )


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        (
            "package.json",
            '{\n  "name": "handy-app",\n  "version": "1.4.2",\n}\n',
            "package.json:4:1",
        ),
        (
            "src-tauri/Cargo.toml",
            '[package]\nname = "codictate"\nversion.workspace = true\nedition = \n',
            "src-tauri/Cargo.toml:4:",
        ),
    ],
    ids=["json", "toml"],
)
def test_malformed_version_file_names_file_and_position(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    sim: Simulator,
    file: str,
    text: str,
    where: str,
) -> None:
    # Given a version file that does not parse
    (repo / file).write_text(text)
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the version check fails naming the file and the position, without a traceback
    assert result.ret == 1
    versions = check(report, "test_versions_aligned")
    assert versions["status"] == "FAIL"
    assert versions["reason"] == "repo_file"
    assert versions["message"].startswith(where)
    assert where in result.stdout.str()
    # and it is the only failure: the checks that need a version say why they do not apply
    assert [c["id"] for c in report["checks"] if c["status"] == "FAIL"] == [versions["id"]]
    assert "see test_versions_aligned" in check(report, "test_release_name")["message"]


def test_release_name_with_a_slash_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a release template that puts a slash in the name
    result, report = run_gate(
        pytester,
        monkeypatch,
        repo,
        url=sim.url,
        ini="sentry_release_template = {project}/{version}\n",
    )

    # Then the name check fails naming the value, the rule and where the name came from
    assert result.ret == 1
    name = check(report, "test_release_name")
    assert name["status"] == "FAIL"
    assert name["reason"] == "release_name_invalid"
    assert name["message"] == (
        "Release name 'codictate/1.4.2' (template {project}/{version}) is not valid in Sentry: "
        "The release name 'codictate/1.4.2' contains '/', which Sentry does not allow. "
        "Fix the value, or sentry_release_template in the ini file."
    )


def test_a_release_given_that_does_not_name_the_version_is_a_risk(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given --sentry-release names another version than the repository's (1.4.2), one whose
    # text holds "1.4.2"
    _, report = run_gate(
        pytester, monkeypatch, repo, "--sentry-release=codictate@1.4.25", url=sim.url
    )
    # Then the name passes (it is valid, and the user chose it), with the mismatch as a risk
    name = check(report, "test_release_name")
    assert name["status"] == "PASS"
    assert name["risks"] == [
        NOT_THE_VERSION.format(
            name="codictate@1.4.25", source="--sentry-release/SENTRY_RELEASE", version="1.4.2"
        )
    ]
    # And a release given that names the version carries no such risk
    _, report = run_gate(
        pytester, monkeypatch, repo, "--sentry-release=codictate@1.4.2", url=sim.url
    )
    assert check(report, "test_release_name")["risks"] == []


# -- Sentry side -----------------------------------------------------------------------------


def test_release_missing_lists_newest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given Sentry has no codictate@1.4.2
    with sim.data.lock:
        del sim.data.releases[DEMO_RELEASE]
        sim.data.touch()
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the release check fails naming the newest releases and the command that creates it
    assert result.ret == 1
    visible = check(report, "test_release_visible")
    assert visible["message"] == RELEASE_MISSING.format(
        name=DEMO_RELEASE,
        org="acme",
        project="codictate",
        latest="codictate@1.4.1, codictate@1.4.0, codictate@1.3.9",
    )
    assert visible["next_commands"] == [
        "sentry-cli releases new --org acme --project codictate codictate@1.4.2"
    ]
    # And the uploads are judged as they are, not failed on the 404 of the missing release's
    # own files (Sentry's release-files endpoint looks the release up first): the bundles,
    # which name the release only as a string, still hold the built files
    uploads = check(report, "test_artifacts_uploaded")
    assert (uploads["status"], uploads["reason"]) == ("PASS", "ok"), uploads
    # And the release detail's 404 (read for the lookup anyway) is what says so: no request
    # goes to the organization's release files
    assert f"/api/0/organizations/acme/releases/{DEMO_RELEASE}/files/" not in {
        r.path for r in sim.requests
    }


def test_release_under_another_project_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given codictate@1.4.2 exists, but for handy-web only
    with sim.data.lock:
        other = next(p.id for p in sim.data.projects.values() if p.slug == "handy-web")
        sim.data.releases[DEMO_RELEASE].projects = [other]
        sim.data.touch()
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the release check fails naming the project it belongs to
    assert result.ret == 1
    visible = check(report, "test_release_visible")
    assert visible["reason"] == "release_other_project"
    assert visible["message"] == RELEASE_OTHER_PROJECT.format(
        name=DEMO_RELEASE, projects="handy-web", project="codictate"
    )
    assert visible["evidence"]["projects"] == ["handy-web"]


def test_release_files_of_a_release_under_another_project_fail_as_unused(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given codictate@1.4.2 exists for handy-web only, and the built files are uploaded as its
    # release files (no artifact bundle): Sentry's project endpoint answers 404 for them, as it
    # does for a release that does not exist
    scan = built_files(repo / "dist" / "assets")
    with sim.data.lock:
        other = next(p.id for p in sim.data.projects.values() if p.slug == "handy-web")
        sim.data.releases[DEMO_RELEASE].projects = [other]
        sim.data.bundles.clear()
        upload_release_files(sim.data, scan)
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the upload check does not call them missing: they are uploaded, but Sentry resolves
    # codictate's events through codictate's releases, so they serve none of them; the fix is to
    # associate the release with codictate
    assert result.ret == 1
    uploads = check(report, "test_artifacts_uploaded")
    assert (uploads["status"], uploads["reason"]) == ("FAIL", "release_files_other_project")
    built = [name for b in scan.bundles for name in (b.name, b.map_name) if name]
    assert uploads["message"] == files_other_project(
        built, len(built), DEMO_RELEASE, ("handy-web",), "codictate"
    )
    assert uploads["next_commands"] == [
        "sentry-cli releases new --org acme --project codictate codictate@1.4.2"
    ]
    assert uploads["evidence"]["release_projects"] == ["handy-web"]
    assert uploads["evidence"]["release_files_outside_project"] == len(built)
    # And they were read where Sentry lists them: the organization's release files
    paths = {r.path for r in sim.requests}
    assert f"/api/0/projects/acme/codictate/releases/{DEMO_RELEASE}/files/" in paths
    assert f"/api/0/organizations/acme/releases/{DEMO_RELEASE}/files/" in paths

    # And when one built file is not among them either, the message counts it apart and the
    # upload command follows the one that adds codictate to the release
    with sim.data.lock:
        sim.data.releases[DEMO_RELEASE].files.pop()
        sim.data.touch()
    _, partly = run_gate(pytester, monkeypatch, repo, url=sim.url)
    some = check(partly, "test_artifacts_uploaded")
    assert some["reason"] == "release_files_other_project"
    assert some["message"] == files_other_project(
        built[:-1], len(built), DEMO_RELEASE, ("handy-web",), "codictate"
    )
    assert some["message"].endswith(" 1 other built file(s) are not uploaded at all.")
    assert some["next_commands"] == [
        "sentry-cli releases new --org acme --project codictate codictate@1.4.2",
        "sentry-cli sourcemaps upload --org acme --project codictate --release codictate@1.4.2 "
        "--url-prefix app://localhost/assets --validate --wait dist/assets",
    ]

    # And without those files, the same release's uploads are missing, with the upload command
    with sim.data.lock:
        sim.data.releases[DEMO_RELEASE].files.clear()
        sim.data.touch()
    _, again = run_gate(pytester, monkeypatch, repo, url=sim.url)
    assert check(again, "test_artifacts_uploaded")["reason"] == "artifact_missing"


def test_bundles_under_tilde_prefix_are_partial_with_upload_command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the bundles were uploaded under ~/assets instead of app://localhost/assets
    with sim.data.lock:
        sim.data.bundles.clear()
        upload_bundles(sim.data, built_files(repo / "dist" / "assets"), prefix="~/assets")
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the upload check says so: Sentry's ~ matches any scheme and host, so the maps should
    # still resolve (not a FAIL that blocks a working release), but the prefix is not the
    # configured one (PARTIAL, naming both prefixes and the upload command)
    assert result.ret == 0
    uploaded = check(report, "test_artifacts_uploaded")
    assert uploaded["status"] == "PARTIAL"
    assert uploaded["reason"] == "artifact_prefix_wildcard"
    assert uploaded["message"].startswith(
        "6 artifact(s) are uploaded under ~/assets, not app://localhost/assets"
    )
    upload = (
        "sentry-cli sourcemaps upload --org acme --project codictate --release codictate@1.4.2 "
        "--url-prefix app://localhost/assets --validate --wait dist/assets"
    )
    assert upload in uploaded["next_commands"]
    assert upload in row(report)["next_commands"].splitlines()


def test_bundles_under_another_path_fail_with_upload_command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the bundles were uploaded under a prefix whose path differs (~/static)
    with sim.data.lock:
        sim.data.bundles.clear()
        upload_bundles(sim.data, built_files(repo / "dist" / "assets"), prefix="~/static")
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the upload check fails naming the found and the expected prefix, and the upload command
    assert result.ret == 1
    uploaded = check(report, "test_artifacts_uploaded")
    assert uploaded["reason"] == "artifact_missing"
    main = next(b.name for b in built_files(repo / "dist" / "assets").bundles if "main-" in b.name)
    assert (
        f"{main} is not uploaded for {DEMO_RELEASE} under app://localhost/assets "
        "(found under ~/static)." in uploaded["message"]
    )
    upload = (
        "sentry-cli sourcemaps upload --org acme --project codictate --release codictate@1.4.2 "
        "--url-prefix app://localhost/assets --validate --wait dist/assets"
    )
    assert uploaded["next_commands"] == [upload]
    assert upload in row(report)["next_commands"].splitlines()


def test_map_missing_for_one_bundle_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the built settings bundle lost its source map (and the upload lacks it too)
    assets = repo / "dist" / "assets"
    settings = next(assets.glob("settings-*.js"))
    (assets / f"{settings.name}.map").unlink()
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the build check fails naming the bundle and what is missing
    assert result.ret == 1
    built = check(report, "test_built_bundles")
    assert built["status"] == "FAIL"
    assert built["reason"] == "source_map_invalid"
    assert built["message"] == (
        f"{settings.name}: sourceMappingURL points to {settings.name}.map, which does not exist"
    )


def test_map_not_uploaded_for_one_bundle_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given Sentry holds every file but the settings bundle's map
    with sim.data.lock:
        files = sim.data.bundles[0].files
        files[:] = [
            f for f in files if not (f.file_path.endswith(".map") and "settings-" in f.file_path)
        ]
        sim.data.touch()
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the upload check fails naming that map only
    assert result.ret == 1
    message = check(report, "test_artifacts_uploaded")["message"]
    settings = next((repo / "dist" / "assets").glob("settings-*.js")).name
    assert message == (
        f"{settings}.map is not uploaded for {DEMO_RELEASE} under app://localhost/assets."
    )


def test_event_with_js_no_source_fails_naming_frame(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the newest event of the release could not fetch its minified source
    scan = built_files(repo / "dist" / "assets")
    main = next(b.name for b in scan.bundles if "main-" in b.name)
    url = f"app://localhost/assets/{main}"
    error = {"type": "js_no_source", "message": "Source code was not found", "data": {"url": url}}
    event_id = add_demo_event(sim.data, scan, date=sim.data.now_epoch - 60, errors=[error])
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then symbolication fails naming the error and the frame, with Sentry's own verdict attached
    assert result.ret == 1
    symbolicated = check(report, "test_release_symbolicates")
    assert symbolicated["reason"] == "not_symbolicated"
    assert (
        f"(event {event_id}) does not symbolicate: js_no_source at {url}: "
        in (symbolicated["message"])
    )
    assert "Source code was not found" in symbolicated["message"]
    assert symbolicated["evidence"]["source_map_debug"]["abs_path"] == url


def test_event_of_another_prefix_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the newest event's frames come from http://tauri.localhost (Tauri on Windows)
    scan = built_files(repo / "dist" / "assets")
    add_demo_event(
        sim.data, scan, prefix="http://tauri.localhost/assets", date=sim.data.now_epoch - 60
    )
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the failure names the frame URLs and the expected prefix
    assert result.ret == 1
    message = check(report, "test_release_symbolicates")["message"]
    assert "frame URLs http://tauri.localhost/assets/main-" in message
    assert "do not start with app://localhost/assets" in message


def test_no_js_event_is_partial(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given no issue of the release yet
    with sim.data.lock:
        sim.data.issues[:] = [i for i in sim.data.issues if i.last_release != DEMO_RELEASE]
        sim.data._issue_pos = {i.id: n for n, i in enumerate(sim.data.issues)}
        sim.data.touch()
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then symbolication is PARTIAL (exit 0) and says what to do
    assert result.ret == 0
    symbolicated = check(report, "test_release_symbolicates")
    assert symbolicated["status"] == "PARTIAL"
    assert symbolicated["reason"] == "no_event"
    assert symbolicated["message"] == NO_EVENT.format(release=DEMO_RELEASE, others="")
    assert report["overall_status"] == "PARTIAL"


def test_no_dist_dir_is_partial_with_build_command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the app was not built
    shutil.rmtree(repo / "dist")
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then the build and upload checks are PARTIAL, and the build command is the next step
    assert result.ret == 0
    built = check(report, "test_built_bundles")
    assert (built["status"], built["reason"]) == ("PARTIAL", "no_build")
    assert built["next_commands"][0] == f"npm --prefix {repo} run build"  # no lock file: npm
    # And it is a step a program can run as it stands (no ``cd`` for a person's own shell)
    step = built["steps"][0]
    assert (step["argv"], step["kind"]) == (["npm", "--prefix", str(repo), "run", "build"], "human")
    assert built["next_commands"][1].startswith("pytest -m release_gate ")  # then rerun
    assert check(report, "test_artifacts_uploaded")["status"] == "PARTIAL"


@pytest.mark.usefixtures("dns_fails")
def test_api_unreachable_keeps_repository_verdicts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given a Sentry host that does not resolve
    result, report = run_gate(pytester, monkeypatch, repo, url="https://sentry.invalid/")

    # Then the repository checks still decide, the Sentry ones are PARTIAL, and the exit code is 0
    assert result.ret == 0
    found = statuses(report)
    assert {name: found[name] for name in REPO_SIDE} == dict.fromkeys(REPO_SIDE, "PASS")
    assert {name: found[name] for name in SENTRY_SIDE} == dict.fromkeys(SENTRY_SIDE, "PARTIAL")
    visible = check(report, "test_release_visible")
    assert visible["reason"] == "network_unavailable"
    assert "Sentry host sentry.invalid is unreachable (dns:" in visible["message"]
    assert any(c.endswith("--require-host-network") for c in visible["next_commands"])


@pytest.mark.usefixtures("dns_fails")
def test_api_unreachable_still_fails_a_bad_version(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given a version off by one file and no network
    edit_json(repo / "package.json", version="1.4.3")
    result, report = run_gate(pytester, monkeypatch, repo, url="https://sentry.invalid/")

    # Then the repository FAIL still gates the release
    assert result.ret == 1
    assert check(report, "test_versions_aligned")["status"] == "FAIL"


def test_large_artifact_bundle_is_read_past_its_first_page(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given one artifact bundle whose demo files come after 150 other files (two pages)
    from sentry_simulator.model import BundleFile

    with sim.data.lock:
        files = sim.data.bundles[0].files
        files[:0] = [
            BundleFile(f"app://localhost/assets/vendor-{n:03}.js", "minified_source")
            for n in range(150)
        ]
        sim.data.touch()
    result, report = run_gate(pytester, monkeypatch, repo, url=sim.url)

    # Then every page is read and the upload check passes
    assert result.ret == 0
    assert check(report, "test_artifacts_uploaded")["status"] == "PASS"
    pages = [r for r in sim.requests if r.path.endswith(f"/{sim.data.bundles[0].bundle_id}/files/")]
    assert len(pages) == 2


def test_package_json_without_version_is_not_applicable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sim: Simulator
) -> None:
    # Given a repository whose only version file sets no version (a monorepo root, say)
    root = tmp_path / "mono"
    root.mkdir()
    (root / "package.json").write_text('{"name": "mono", "private": true}')
    _, report = run_gate(pytester, monkeypatch, root, url=sim.url)
    # Then the version check does not apply, rather than reporting a disagreement
    versions = check(report, "test_versions_aligned")
    assert versions["status"] == "SKIP"
    assert versions["message"].startswith("no version in package.json")


def test_latest_event_from_a_newer_release_is_not_judged(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the release's only issue recurred in a newer release, with unresolved frames there
    issue = next(i for i in sim.data.issues if i.last_release == DEMO_RELEASE)
    sim.data.add_event(
        issue.id,
        release="codictate@1.5.0",
        date=sim.data.now_epoch + 60,
        exc_type="Error",
        exc_value="later",
        frames=[{"absPath": "x.js", "lineNo": 1}],
        raw_frames=[{"absPath": "x.js", "lineNo": 1}],
        errors=[{"type": "js_no_source", "message": "x", "data": {"url": "x.js"}}],
    )
    _, report = run_gate(pytester, monkeypatch, repo, url=sim.url)
    # Then the newer release's event does not fail this release: PARTIAL, naming where it came from
    symbolicated = check(report, "test_release_symbolicates")
    assert symbolicated["status"] == "PARTIAL"
    assert "(the newest events of its issues come from codictate@1.5.0)" in symbolicated["message"]


#: The demo build's files as written down by hand (examples/codictate/dist/assets): the truth
#: that both the simulator's upload model and the product's scanner must agree with.
DEMO_BUILD: Final = ("chunk-HIG7NCSI.js", "main-LAQUV7NK.js", "settings-OHVDS4IK.js")


def test_the_demo_uploads_and_the_products_scanner_each_match_the_written_truth() -> None:
    # Given the demo build and the simulator's demo data (uploads modelled as sentry-cli's)
    data = demo_data(DEMO)
    [bundle] = [b for b in data.bundles if ("codictate@1.4.2", None) in b.associations]
    uploaded = sorted(f.file_path for f in bundle.files)
    # Then the simulator uploaded exactly the hand-written files and their maps
    prefix = "app://localhost/assets/"
    assert uploaded == sorted(f"{prefix}{n}{m}" for n in DEMO_BUILD for m in ("", ".map"))
    # And the product's own scanner, checked against the same truth, finds the same names: a
    # bug in either side fails here instead of being agreed with by the other
    from pytest_sentry_gate.repo.bundles import scan_bundles

    scan = scan_bundles(DEMO / "dist" / "assets")
    assert sorted(b.name for b in scan.bundles) == list(DEMO_BUILD)
    assert sorted(str(b.map_name) for b in scan.bundles) == [f"{n}.map" for n in DEMO_BUILD]
