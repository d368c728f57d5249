"""Pure functions behind the fidelity fixes: scope judgement, frame judgement, and the setting."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.sentry.symbolication import ERROR_TYPES, analyse, is_app_frame
from sentry_simulator import Simulator, TokenSpec, seeded

PREFIX = "app://localhost/assets"


def frame(url: str, line: int | None = 1, col: int = 1, **extra: Any) -> dict[str, Any]:
    return {"absPath": url, "lineNo": line, "colNo": col, **extra}


def event(raw: list[dict[str, Any]] | None, processed: list[dict[str, Any]], **extra: Any) -> Any:
    value: dict[str, Any] = {"stacktrace": {"frames": processed}}
    if raw is not None:
        value["rawStacktrace"] = {"frames": raw}
    return {
        "eventID": "e1",
        "entries": [{"type": "exception", "data": {"values": [value]}}],
        **extra,
    }


@pytest.mark.parametrize(
    ("scopes", "ungranted"),
    [
        ({"org:read", "project:read", "event:read"}, []),
        ({"org:admin", "project:admin", "event:admin"}, []),
        ({"org:read", "project:releases", "event:read"}, ["project", "source-map debug"]),
        (
            {"org:ci"},
            ["organization list", "organization", "project list", "project", "issue list"],
        ),
    ],
)
def test_scopes_judged_with_alternatives_and_hierarchy(
    scopes: set[str], ungranted: list[str]
) -> None:
    # Given the endpoints of the preflight and the release gate
    table = endpoints.for_modes(("setup_preflight", "release_gate"))

    # When / Then the token is judged as Sentry judges it
    assert [e.name for e in endpoints.ungranted(scopes, table)][:5] == ungranted[:5]


def test_hierarchy_and_needed_scope() -> None:
    assert endpoints.expand({"org:admin"}) == {"org:admin", "org:write", "org:read"}
    assert endpoints.expand({"project:releases"}) == {"project:releases"}
    assert endpoints.PROJECT.needed == "project:read"
    assert endpoints.RELEASE.needed == "project:read"
    found = endpoints.find("/api/0/projects/acme/app/events/abc/source-map-debug/?frame_idx=1")
    assert found is endpoints.SOURCE_MAP_DEBUG
    assert endpoints.for_modes(("verify_loop",)) == endpoints.for_modes(
        ("setup_preflight", "local_smoke", "release_gate", "prod_health", "issue_triage")
    )


@pytest.mark.parametrize(
    ("item", "judged"),
    [
        (frame(f"{PREFIX}/main.js"), True),
        (frame("app://localhost/other/x.js"), True),  # the app's host: judged (wrong prefix)
        (frame("[native code]", line=None), False),
        (frame("native"), False),
        (frame("<anonymous>"), False),
        (frame("node:internal/process"), False),
        (frame("https://cdn.example.com/lib.js", inApp=False), False),
        (frame("http://tauri.localhost/assets/main.js", inApp=True), True),
        (frame(f"{PREFIX}/main.js", line=None), False),
    ],
)
def test_which_frames_are_the_apps(item: dict[str, Any], judged: bool) -> None:
    assert is_app_frame(item, ("app", "localhost")) is judged


def test_analysis_finds_the_failing_frame_and_unresolved_stacks() -> None:
    raw = [
        frame("[native code]", line=None),
        frame(f"{PREFIX}/a.js", col=9),
        frame(f"{PREFIX}/b.js"),
    ]
    good = [raw[0], frame("../src/a.ts", line=3), frame("../src/b.ts", line=7)]

    resolved = analyse(event(raw, good), "X-1", PREFIX)
    unprocessed = analyse(event(None, raw), "X-1", PREFIX)
    half = analyse(event(raw, [raw[0], good[1], raw[2]]), "X-1", PREFIX)

    assert (resolved.resolved, resolved.failing, resolved.not_judged) == (
        True,
        None,
        ("[native code]",),
    )
    assert (unprocessed.resolved, unprocessed.raw_missing) == (False, True)
    assert half.failing == (0, 2)
    assert half.resolved_frames == 1


def test_error_types_table() -> None:
    assert ERROR_TYPES["js_missing_sources_content"] == "partial"
    assert ERROR_TYPES["native_symbolicator_failed"] == "processing_failed"
    assert ERROR_TYPES["js_too_many_sources"] == "fail"
    assert ERROR_TYPES["js_invalid_source"] == "fail"  # older spelling of js_invalid_sourcemap


def test_release_filter_matches_any_event_of_the_release() -> None:
    # Given an issue first and last seen in 1.0, with one event of 1.1 in between
    data = seeded(seed=1, issues=0)
    first = data.add_event(project="codictate", release="codictate@1.0", exc_type="Error")
    data.add_event(first.issue_id, release="codictate@1.1")
    data.add_event(first.issue_id, release="codictate@1.0")
    with Simulator(data=data) as sim:
        sim.add_token("t", TokenSpec())
        found = httpx.get(
            f"{sim.url}/api/0/organizations/acme/issues/",
            params={"query": 'release:"codictate@1.1"', "statsPeriod": "14d"},
            headers={"Authorization": "Bearer t"},
        ).json()

    # Then the issue is found by the release of any of its events
    assert [i["id"] for i in found] == [str(first.issue_id)]


def test_sentry_dist_setting(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the dist from the ini file, the environment, and the flag
    pytester.makepyfile(
        "def test_dist(sentry_settings):\n    print('DIST=' + repr(sentry_settings.dist))\n"
    )
    pytester.makeini("[pytest]\nsentry_dist = from-ini\n")
    args = ("-s", "-p", "no:cacheprovider", "--sentry-org=acme")
    ini = pytester.runpytest_inprocess(*args).stdout.str()
    monkeypatch.setenv("SENTRY_DIST", "from-env")
    env = pytester.runpytest_inprocess(*args).stdout.str()
    flag = pytester.runpytest_inprocess(*args, "--sentry-dist=42").stdout.str()

    # Then command line > environment > ini
    assert "DIST='from-ini'" in ini
    assert "DIST='from-env'" in env
    assert "DIST='42'" in flag
