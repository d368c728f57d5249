"""Hostile answers on 127.0.0.1 end in named verdicts: deep JSON, wrong shapes of the API root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY_TOKEN, check, run_mode
from tests.hostile import ROOT_OK, answer, serving

DEEP = b"[" * 100_000 + b"]" * 100_000


def run_against(
    pytester: pytest.Pytester, url: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[pytest.RunResult, dict[str, Any]]:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    return run_mode(
        pytester, mode, f"--sentry-url={url}", "--sentry-org=acme", "--sentry-project=app"
    )


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b"null", "got null"),
        (b"{}", "got an empty object"),
        (b"[1, 2]", "got a JSON list"),
        (b'{"auth": {"scopes": "all"}, "user": null}', '"auth": an object with keys [scopes]'),
    ],
)
@pytest.mark.parametrize("mode", ["setup_preflight", "local_smoke"])
def test_api_root_of_the_wrong_shape_is_malformed_not_a_rejected_token(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    body: bytes,
    shown: str,
    mode: str,
) -> None:
    # Given a server whose API root answers 200 with something that is not Sentry's root object
    with serving({"/api/0/": answer(None, raw=body)}) as server:
        _result, report = run_against(pytester, server.url, mode, monkeypatch)
    # Then the check reading the root says the answer is malformed, naming the endpoint and shape
    name = "test_token_accepted" if mode == "setup_preflight" else "test_api_answers"
    verdict = check(report, name)
    assert (verdict["status"], verdict["reason"]) == ("FAIL", "malformed_response")
    assert "/api/0/" in verdict["message"]
    assert shown in verdict["message"]
    assert "token" not in verdict["message"].lower()


def test_api_root_without_a_token_is_still_a_rejected_token(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Sentry's own answer for a request it did not authenticate (reference §1)
    anonymous = {"version": "0", "auth": None, "user": None}
    with serving({"/api/0/": answer(anonymous)}) as server:
        _r, preflight = run_against(pytester, server.url, "setup_preflight", monkeypatch)
        _r, smoke = run_against(pytester, server.url, "local_smoke", monkeypatch)
    # Then both modes say the token was not accepted; neither says the API accepts it
    for verdict in (check(preflight, "test_token_accepted"), check(smoke, "test_api_answers")):
        assert (verdict["status"], verdict["reason"]) == ("FAIL", "token_rejected")


@pytest.mark.parametrize("path", ["/api/0/", "/api/0/organizations/acme/"])
def test_json_nested_past_the_recursion_limit_is_malformed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    # Given a server that answers one endpoint with JSON nested 100,000 levels deep
    routes = {"/api/0/": answer(ROOT_OK), path: answer(None, raw=DEEP)}
    with serving(routes) as server:
        result, report = run_against(pytester, server.url, "setup_preflight", monkeypatch)
    # Then the check reading it FAILs malformed_response naming the endpoint, with no error
    name = "test_token_accepted" if path == "/api/0/" else "test_organization_exists"
    verdict = check(report, name)
    assert (verdict["status"], verdict["reason"]) == ("FAIL", "malformed_response")
    assert path in verdict["message"]
    assert "nested deeper" in verdict["message"]
    out = result.stdout.str()
    assert "RecursionError" not in out
    assert "ERROR at setup" not in out


def test_smoke_event_is_never_sent_to_a_foreign_dsn_host(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Any
) -> None:
    from tests.test_smoke import demo_dsn, run_smoke

    # Given the demo's DSN moved to another host (localhost, where the keys say 127.0.0.1)
    with serving({}) as elsewhere:
        key_and_host, project_id = demo_dsn(sim).split("@")[0], demo_dsn(sim).rsplit("/", 1)[1]
        foreign = f"{key_and_host}@localhost:{elsewhere.port}/{project_id}"
        # When local_smoke runs with --send-test-event
        result, report = run_smoke(
            pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=foreign
        )
        sent_there = list(elsewhere.requests)
    # Then the DSN check names the foreign host, and the smoke event was not sent anywhere
    assert "its host localhost is not" in check(report, "test_dsn_matches_project")["message"]
    smoke = check(report, "test_smoke_event_arrives")
    assert (smoke["status"], smoke["reason"]) == ("FAIL", "dsn_mismatch")
    assert "No smoke event sent: the DSN's host localhost" in smoke["message"]
    assert sent_there == []
    assert not [r for r in sim.requests if r.method == "POST"]
    assert result.ret == 1
