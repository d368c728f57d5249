"""The release gate against what real Sentry serves (``shared/reference/sentry-api.md`` §12).

Each test serves one situation where the gate's verdict used to be wrong, from the simulator on
127.0.0.1, and names the verdict before the fix in its first comment.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.modes.release_gate import (
    DIST_MISMATCH,
    NO_RAW_STACK,
    SOURCES_CONTENT,
    WRONG_DIST,
)
from pytest_sentry_gate.repo.bundles import join_url
from pytest_sentry_gate.sentry.release_facts import OLD_DEBUGGER, release_lookup
from pytest_sentry_gate.sentry.uploads import BY_LISTING, BY_QUERY
from sentry_simulator import Fault, Simulator, TokenSpec
from sentry_simulator.built import built_files
from sentry_simulator.model import Event
from sentry_simulator.scenarios import (
    DEMO_RELEASE,
    add_demo_event,
    demo_data,
    demo_frames,
)
from tests.conftest import CANARY_TOKEN, FULL_SCOPES, check
from tests.test_release_gate import run_gate

PREFIX = "app://localhost/assets"


def demo_event(sim: Simulator) -> Event:
    """The demo release's JavaScript event (the newest of its issues)."""
    return next(e for e in sim.data.events.values() if e.release == DEMO_RELEASE)


def edit_event(sim: Simulator, **changes: Any) -> Event:
    """Change the demo event in place (frames, raw frames, errors, dist, date)."""
    event = demo_event(sim)
    with sim.data.lock:
        for name, value in changes.items():
            setattr(event, name, value)
        sim.data.touch()
    return event


def gate(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator, *a: str
) -> dict[str, Any]:
    _, report = run_gate(pytester, monkeypatch, repo, *a, url=sim.url)
    return report


# -- 1. an event never symbolicated --------------------------------------------------------------


def test_event_without_raw_stack_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: PASS "0 frame(s) resolved". Given the event's frames are the minified ones and it
    # has no rawStacktrace (JavaScript processing did not run)
    _, raw = demo_frames(built_files(repo / "dist" / "assets"))
    event = edit_event(sim, frames=raw, raw_frames=[])
    report = gate(pytester, monkeypatch, repo, sim)

    # Then FAIL, saying why
    found = check(report, "test_release_symbolicates")
    assert (found["status"], found["reason"]) == ("FAIL", "not_processed")
    assert f"(event {event.event_id}) was never symbolicated: {NO_RAW_STACK}" in found["message"]
    assert found["evidence"]["raw_stacktrace"] is False


def test_event_with_unchanged_frames_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: PASS. Given a raw stack whose processed frames are the same minified frames
    _, raw = demo_frames(built_files(repo / "dist" / "assets"))
    edit_event(sim, frames=[dict(f) for f in raw], raw_frames=raw)
    report = gate(pytester, monkeypatch, repo, sim)

    # Then FAIL: no app frame was resolved
    found = check(report, "test_release_symbolicates")
    assert found["reason"] == "not_processed"
    assert "none of its 2 app frame(s) differs from its minified frame" in found["message"]


def test_event_older_than_the_uploads_is_partial(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: PASS. Given an unprocessed event received before the source maps were uploaded
    _, raw = demo_frames(built_files(repo / "dist" / "assets"))
    upload_date = sim.data.bundles[0].date
    edit_event(sim, frames=raw, raw_frames=[], date_created=upload_date - 3600)
    report = gate(pytester, monkeypatch, repo, sim)

    # Then PARTIAL: the event cannot show the uploads
    found = check(report, "test_release_symbolicates")
    assert (found["status"], found["reason"]) == ("PARTIAL", "event_predates_uploads")
    assert "predates the newest upload" in found["message"]


# -- 2. and 3. processing errors ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["native_symbolicator_failed", "native_internal_failure"])
def test_symbolicator_failure_fails(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    sim: Simulator,
    kind: str,
) -> None:
    # Before: PASS. Given the symbolicator failed (frames left minified, raw stack kept)
    _, raw = demo_frames(built_files(repo / "dist" / "assets"))
    edit_event(sim, frames=[dict(f) for f in raw], raw_frames=raw, errors=[{"type": kind}])
    report = gate(pytester, monkeypatch, repo, sim)

    # Then FAIL naming the failure
    found = check(report, "test_release_symbolicates")
    assert (found["status"], found["reason"]) == ("FAIL", "not_symbolicated")
    assert f"{kind}: Sentry's symbolicator failed, frames stay minified" in found["message"]


def test_maps_without_sources_content_are_partial(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: PASS. Given lines resolved but the maps carry no sourcesContent
    event = edit_event(sim, errors=[{"type": "js_missing_sources_content", "data": {}}])
    report = gate(pytester, monkeypatch, repo, sim)

    # Then PARTIAL with the fix
    found = check(report, "test_release_symbolicates")
    assert (found["status"], found["reason"]) == ("PARTIAL", "sources_content_missing")
    issue = found["evidence"]["issue"]
    assert found["message"] == SOURCES_CONTENT.format(issue=issue, event_id=event.event_id)


def test_too_many_sources_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: PASS. Given a js_too_many_sources processing error
    edit_event(sim, errors=[{"type": "js_too_many_sources", "message": "Too many sources"}])
    report = gate(pytester, monkeypatch, repo, sim)

    # Then FAIL
    found = check(report, "test_release_symbolicates")
    assert found["reason"] == "not_symbolicated"
    assert "js_too_many_sources" in found["message"]


# -- 4. dist --------------------------------------------------------------------------------------


def test_uploads_under_another_dist_do_not_count(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: PASS. Given the release's bundle is associated under dist "7", the build has none
    with sim.data.lock:
        sim.data.bundles[0].associations = [(DEMO_RELEASE, "7")]
        sim.data.touch()
    report = gate(pytester, monkeypatch, repo, sim)

    # Then FAIL naming both dists
    found = check(report, "test_artifacts_uploaded")
    assert (found["status"], found["reason"]) == ("FAIL", "artifact_missing")
    main = next(b.name for b in built_files(repo / "dist" / "assets").bundles if "main-" in b.name)
    assert (
        WRONG_DIST.format(file=main, release=DEMO_RELEASE, found="'7'", expected="none")
        in found["message"]
    )
    # And with --sentry-dist 7 the same uploads count, and the upload command carries the dist
    again = gate(pytester, monkeypatch, repo, sim, "--sentry-dist=7")
    assert check(again, "test_artifacts_uploaded")["status"] == "PASS"


def test_event_of_another_dist_names_both(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: PASS. Given an unprocessed event under dist "2" (the build carries none)
    _, raw = demo_frames(built_files(repo / "dist" / "assets"))
    event = edit_event(sim, frames=[dict(f) for f in raw], raw_frames=raw, dist="2")
    report = gate(pytester, monkeypatch, repo, sim)

    # Then FAIL naming both dists
    found = check(report, "test_release_symbolicates")
    assert found["reason"] == "dist_mismatch"
    issue = found["evidence"]["issue"]
    assert found["message"] == DIST_MISMATCH.format(
        issue=issue, event_id=event.event_id, release=DEMO_RELEASE, event_dist="'2'",
        expected="none",
    )  # fmt: skip


# -- 5. frames Sentry never processes ------------------------------------------------------------


def test_native_anonymous_and_third_party_frames_are_not_judged(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: FAIL "frame URLs [native code] ... do not start with". Given a WKWebView/WebView2
    # stack with native, anonymous and CDN frames beside the app's
    processed, raw = demo_frames(built_files(repo / "dist" / "assets"))
    foreign = [
        {"absPath": "[native code]", "function": "forEach", "lineNo": None, "inApp": False},
        {"absPath": "<anonymous>", "function": "eval", "lineNo": 1, "colNo": 1},
        {"absPath": "https://cdn.example.com/lib.js", "lineNo": 3, "colNo": 9, "inApp": False},
    ]
    edit_event(sim, frames=foreign + processed, raw_frames=foreign + raw)
    report = gate(pytester, monkeypatch, repo, sim)

    # Then PASS, the other frames listed as not judged
    found = check(report, "test_release_symbolicates")
    assert found["status"] == "PASS"
    assert found["evidence"]["not_judged"] == [
        "[native code]",
        "<anonymous>",
        "https://cdn.example.com/lib.js",
    ]
    assert found["evidence"]["resolved_frames"] == 2


# -- 6. debug-id uploads ------------------------------------------------------------------------


def _inject_debug_ids(repo: Path) -> dict[str, str]:
    """Give every built bundle a debug id (as ``sentry-cli sourcemaps inject`` does)."""
    ids = {}
    for path in sorted((repo / "dist" / "assets").glob("*.js")):
        debug_id = str(uuid.uuid5(uuid.NAMESPACE_URL, path.name))
        path.write_text(path.read_text() + f"\n//# debugId={debug_id}\n")
        ids[path.name] = debug_id
    return ids


@pytest.mark.parametrize(
    ("legacy", "method"), [((), BY_QUERY), (("bundle_query_no_debug_id",), BY_LISTING)]
)
def test_debug_id_uploads_without_release_count(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    legacy: tuple[str, ...],
    method: str,
) -> None:
    # Before: FAIL "not uploaded for codictate@1.4.2". Given built files with debug ids, uploaded
    # by `sentry-cli sourcemaps upload` without --release (no association), under ~/other
    ids = _inject_debug_ids(repo)
    data = demo_data(repo)
    data.bundles.clear()
    paths = [f"~/other/{name}" for name in ids]
    item = data.add_artifact_bundle("codictate", files=paths, debug_ids=False)
    for file, name in zip(item.files, ids, strict=True):
        file.debug_id = ids[name]
    with Simulator(data=data, legacy=legacy) as sim:
        sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
        report = gate(pytester, monkeypatch, repo, sim)

    # Then PASS, matched by debug id, saying how the lookup was done
    found = check(report, "test_artifacts_uploaded")
    assert found["status"] == "PASS"
    assert sorted(found["evidence"]["matched_by_debug_id"]) == sorted(ids)
    assert found["evidence"]["debug_id_lookup"] == method


def test_2023_bundle_answers_are_unsupported_not_missing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Before: FAIL "not uploaded". Given a 2023 self-hosted server (no associations)
    with Simulator(data=demo_data(repo), legacy=("bundles_2023",)) as sim:
        sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
        report = gate(pytester, monkeypatch, repo, sim)

    # Then PARTIAL, naming the format
    found = check(report, "test_artifacts_uploaded")
    assert (found["status"], found["reason"]) == ("PARTIAL", "uploads_unsupported")
    assert "2023 format" in found["message"]


# -- 10. source-map debug asks about the failing frame ---------------------------------------------


@pytest.mark.parametrize("legacy", [(), ("debug_needs_frame_idx",)])
def test_source_map_debug_asks_about_the_failing_frame(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    legacy: tuple[str, ...],
) -> None:
    # Before: frame 0 asked, without indices (older servers: 400). Given an event whose second
    # frame did not resolve
    data = demo_data(repo)
    with Simulator(data=data, legacy=legacy) as sim:
        sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
        processed, raw = demo_frames(built_files(repo / "dist" / "assets"))
        error = {"type": "js_no_source", "data": {"url": raw[1]["absPath"]}}
        edit_event(sim, frames=[processed[0], dict(raw[1])], raw_frames=raw, errors=[error])
        report = gate(pytester, monkeypatch, repo, sim)
        asked = [r for r in sim.requests if r.path.endswith("/source-map-debug/")]

    # Then Sentry's debugger is asked about frame 1 of exception 0
    found = check(report, "test_release_symbolicates")
    assert found["status"] == "FAIL"
    assert len(asked) == 1
    assert asked[0].query == {"exception_idx": ["0"], "frame_idx": ["1"]}
    assert found["evidence"]["source_map_debug"]["frame_idx"] == 1
    assert found["evidence"]["source_map_debug"]["abs_path"] == raw[1]["absPath"]


def test_old_debugger_400_is_said_plainly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: a risk quoting "HTTP 400 ...". Given a debugger answering 400
    sim.add_fault(Fault(path="/source-map-debug/$", status=400))
    _, raw = demo_frames(built_files(repo / "dist" / "assets"))
    edit_event(sim, frames=[dict(f) for f in raw], raw_frames=raw)
    report = gate(pytester, monkeypatch, repo, sim)

    # Then the evidence says the server's debugger needs a newer Sentry
    found = check(report, "test_release_symbolicates")
    said = found["evidence"]["source_map_debug_unavailable"]
    assert said.startswith(OLD_DEBUGGER.split("(", 1)[0])


# -- 11. a latest event that is gone ------------------------------------------------------------


def test_issue_whose_latest_event_is_gone_is_skipped(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Before: FAIL "Sentry has no ...events/latest/ (HTTP 404)". Given two JS issues of the
    # release, the newest one's latest event deleted
    scan = built_files(repo / "dist" / "assets")
    add_demo_event(sim.data, scan, date=sim.data.now_epoch - 60)
    newest = max(sim.data.issues, key=lambda i: i.last_seen)
    sim.add_fault(Fault(path=f"/issues/{newest.id}/events/latest/$", status=404))
    report = gate(pytester, monkeypatch, repo, sim)

    # Then the next issue of the release is judged
    found = check(report, "test_release_symbolicates")
    assert found["status"] == "PASS"
    assert found["evidence"]["event_id"] == demo_event(sim).event_id


# -- shapes and costs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "check_name"),
    [
        ("/api/0/organizations/acme/$", [1, 2], "test_release_visible"),
        ("/api/0/projects/acme/codictate/$", "str", "test_release_visible"),
        ("/releases/codictate@1.4.2/$", [], "test_release_visible"),
        ("/releases/codictate@1.4.2/$", {"version": DEMO_RELEASE, "projects": "x"}, None),
        ("/api/0/projects/acme/codictate/$", {"slug": "codictate"}, "test_release_symbolicates"),
    ],
)
def test_wrong_shapes_are_malformed(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    sim: Simulator,
    path: str,
    body: Any,
    check_name: str | None,
) -> None:
    # Before: PASS, or "does not exist". Given an answer that is not the documented JSON
    sim.add_fault(Fault(path=path, status=200, body=body))
    report = gate(pytester, monkeypatch, repo, sim)

    # Then FAIL "not the documented JSON", never PASS, never "does not exist"
    found = check(report, check_name or "test_release_visible")
    assert (found["status"], found["reason"]) == ("FAIL", "malformed_response")
    assert "not the documented JSON" in found["message"]


def test_a_404_release_fetched_twice_costs_one_request(sim: Simulator) -> None:
    # Given a release Sentry does not have
    from pytest_sentry_gate.sentry.client import SentryClient

    with SentryClient(base_url=sim.url, token=CANARY_TOKEN, max_retries=0) as client:
        first = release_lookup(client, "acme", "codictate", "codictate@9.9.9")
        second = release_lookup(client, "acme", "codictate", "codictate@9.9.9")

    # Then it is looked up once
    assert not first.exists
    assert first == second
    asked = [r for r in sim.requests if r.path.endswith("/releases/codictate@9.9.9/")]
    assert len(asked) == 1


def test_event_urls_of_the_full_url_upload_are_found(sim: Simulator, repo: Path) -> None:
    # Given the demo's uploads under the full URL (not ~/)
    import httpx

    event = demo_event(sim)
    answer = httpx.get(
        f"{sim.url}/api/0/projects/acme/codictate/events/{event.event_id}/source-map-debug/",
        headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
    ).json()

    # Then Sentry's debugger reports them found (it tries the ~ form and the full URL)
    frame = answer["exceptions"][0]["frames"][1]["release_process"]  # 0 is [native code]
    assert frame["source_file_lookup_result"] == "found"
    assert join_url(PREFIX, "") in frame["abs_path"]
