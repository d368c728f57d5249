"""The privacy scanner: each kind of personal data found by field path, shown masked."""

from __future__ import annotations

import re

import pytest

from pytest_sentry_gate.privacy import PATTERNS, Pattern, scan, scrub_records
from sentry_simulator.incident_data import PLANTED, SCRUBBED


def _event(values: dict[str, str]) -> dict[str, object]:
    event: dict[str, object] = {"eventID": "e5c1d0f0a1b2c3d4e5f60718293a4b5c"}
    for path, value in values.items():
        target = event
        *parents, leaf = path.split(".")
        for name in parents:
            target = target.setdefault(name, {})  # type: ignore[assignment]
        target[leaf] = value
    return event


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_each_planted_kind_is_found_masked(kind: str) -> None:
    # Given an event holding one planted value
    path, value = PLANTED[kind]
    # When it is scanned
    findings = scan(_event({path: value}))
    # Then the kind is found at its field path, and the value itself is never shown
    assert [(f.kind, f.path) for f in findings] == [(kind, path)]
    assert "***" in findings[0].masked
    personal = re.sub(r"^(/Users/|retry with token sntryu_)", "", value)
    assert personal not in findings[0].masked


@pytest.mark.parametrize("kind", sorted(SCRUBBED))
def test_sentry_markers_count_as_scrubbed(kind: str) -> None:
    path, _ = PLANTED[kind]
    assert scan(_event({path: SCRUBBED[kind]})) == []


@pytest.mark.parametrize(
    "text",
    [
        "listening on 127.0.0.1 and 0.0.0.0",
        "::1 answered",
        "codictate@1.4.2",
        "v1.4.2.3",
        "at 12:30:45",
        "~/assets/main-LAQUV7NK.js",
        "password=[Filtered]",
        "/home/[user]/x",
    ],
)
def test_harmless_text_is_not_a_finding(text: str) -> None:
    assert scan({"message": text}) == []


def test_list_paths_and_sensitive_keys() -> None:
    event = {
        "tags": [{"key": "user", "value": "alice@example.org"}],
        "contexts": {"auth": {"password": "hunter2"}},
        "breadcrumbs": ["C:\\Users\\bob\\AppData", "AKIAIOSFODNN7EXAMPLE", "ghp_" + "a" * 36],
    }
    found = {(f.kind, f.path, f.masked) for f in scan(event)}
    assert found == {
        ("email", "tags[0].value", "a***@e***.org"),
        ("secret", "contexts.auth.password", "h***"),
        ("home_path", "breadcrumbs[0]", "C:\\Users\\b***"),
        ("secret", "breadcrumbs[1]", "AKIAI***"),
        ("secret", "breadcrumbs[2]", "ghp_a***"),
    }


def test_pattern_list_is_extensible() -> None:
    # Given a project-specific kind added to the documented list
    phone = Pattern("phone", re.compile(r"\+\d{2}(?P<m>\d{8,})"), "a phone number")
    # When an event is scanned with it
    findings = scan({"extra": {"caller": "+4915112345678"}}, patterns=(*PATTERNS, phone))
    # Then it is found and masked like the built-in kinds
    assert [(f.kind, f.masked) for f in findings] == [("phone", "+491***")]


@pytest.mark.parametrize(
    "event",
    [
        {"_meta": {"request": {"data": {"password": {"": {"rem": [["@password:filter", "s", 0, 10]],
                                                            "len": 12}}}}}},
        {"release": {"authors": [{"email": "dev@example.com"}],
                     "lastCommit": {"author": {"email": "dev@example.com"}}}},
        {"request": {"headers": [["User-Agent", "Mozilla/5.0 Chrome/131.0.0.0 Edg/131.0.0.0"]]}},
        {"contexts": {"browser": {"name": "Edge", "version": "131.0.0.0"}}},
        {"tags": [{"key": "transaction", "value": "/home/settings"}]},
        {"request": {"url": "https://app.example.com/home/settings"}},
        {"frames": [{"absPath": "/home/runner/work/app/app/src/main.rs"},
                    {"absPath": "/Users/runner/work/app/app/src/lib.rs"},
                    {"absPath": "C:\\Users\\runneradmin\\work\\app\\src\\lib.rs"}]},
    ],
)  # fmt: skip
def test_sentry_records_release_metadata_and_look_alikes_are_not_findings(
    event: dict[str, object],
) -> None:
    assert scan(event) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("http://203.0.113.42/x", "ipv4"),
        ("X-Forwarded-For: 203.0.113.42", "ipv4"),
        ("file:///home/jane/notes.txt", "home_path"),
        ("cwd=/home/jane", "home_path"),
        ("/Users/jane/Library", "home_path"),
    ],
)
def test_real_kinds_beside_look_alikes_are_still_found(text: str, kind: str) -> None:
    assert [f.kind for f in scan({"message": text})] == [kind]


def test_scrub_records_name_the_rules_sentry_applied() -> None:
    meta = {"": {"rem": [["@password:filter", "s", 0, 10]], "len": 12}}
    event = {
        "_meta": {"a": {"password": meta}, "b": [{"x": {"": {"rem": [["@ip:replace", "s"]]}}}]}
    }
    assert scrub_records(event) == ["@ip:replace", "@password:filter"]
