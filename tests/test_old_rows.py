"""The old script's row strings: ``key=value; …`` evidence from structured evidence."""

from __future__ import annotations

from pytest_sentry_gate.old_rows import evidence_text, pairs, split_pairs


def test_nested_evidence_reads_as_key_value_pairs() -> None:
    # Given structured evidence with nested mappings, lists, records and odd scalars
    evidence = {
        "count": 4,
        "exact": True,
        "at_least": None,
        "versions": {"package.json": "1.4.2", "src-tauri/Cargo.toml": "1.4.2"},
        "bundles": ["main-a.js", "main-b.js"],
        "issues": [{"short_id": "APP-1", "title": "x"}, {"title": "no id"}],
        "empty": {},
    }
    # When flattened
    found = dict(pairs(evidence))
    # Then nested keys are dotted, lists comma-separated, records named by their id field
    assert found == {
        "count": "4",
        "exact": "true",
        "at_least": "none",
        "versions.package.json": "1.4.2",
        "versions.src-tauri/Cargo.toml": "1.4.2",
        "bundles": "main-a.js,main-b.js",
        "issues": "APP-1,<1 fields>",
        "empty": "",
    }


def test_a_mode_row_says_shared_pairs_once_and_qualifies_conflicts() -> None:
    text = evidence_text(
        [
            ("test_release_name", {"release": "app@1.0", "version": "1.0"}),
            ("test_release_visible", {"release": "app@1.0", "exists": True}),
            ("test_unresolved_count", {"count": 4}),
            ("test_high_severity", {"count": 1}),
        ]
    )
    assert text == (
        "release=app@1.0; version=1.0; exists=true; unresolved_count=4; high_severity_count=1"
    )


def test_values_that_would_break_the_pairs_apart_are_quoted() -> None:
    # Given untrusted text with the separators in it
    text = evidence_text([("test_x", {"title": 'a; b=c\n"d"', "plain": "ok"})])
    # Then it is one quoted value, and splitting on "; " outside quotes still gives two pairs
    assert text == 'title="a; b=c\\n\\"d\\""; plain=ok'


def test_split_pairs_keeps_quoted_values_whole() -> None:
    text = evidence_text([("test_x", {"title": 'a; b=c "d"', "plain": "ok"})])
    assert split_pairs(text) == ['title="a; b=c \\"d\\""', "plain=ok"]
    assert split_pairs("") == []


def test_the_old_scripts_counts_keep_its_keys() -> None:
    # Given the prod-health checks' evidence (each check records its own count)
    checks = [
        ("test_unresolved_count", {"count": 5, "exact": True}),
        ("test_high_severity", {"count": 2, "issues": [{"short_id": "APP-6"}]}),
        ("test_release_issues", {"regressed": {"count": 1}, "unresolved": {"count": 4}}),
    ]
    # When flattened into the old row's evidence
    found = split_pairs(evidence_text(checks))
    # Then the numbers sentry_monitor.sh printed carry its keys, not dotted or qualified ones
    assert found[:2] == ["unresolved_count=5", "exact=true"]
    assert "high_severity_count=2" in found
    assert "release_regression_count=1" in found
    assert not any(p.startswith(("high_severity.count", "unresolved_count.count")) for p in found)
    assert "unresolved.count=4" in found


def test_the_loop_row_says_baseline_established_only_when_one_was_written() -> None:
    from pytest_sentry_gate.old_loop_row import row

    # Given verify_loop sections without a previous check: one that wrote the first checkpoint,
    # one that wrote none (a replay, a held checkpoint)
    def loop(written: bool) -> dict[str, object]:
        return {
            "unresolved_count": 3,
            "new_since_last": {"count": 0},
            "resolved_since_last": {"count": 0},
            "previous_check": None,
            "baseline_established": written,
            "checkpoint_written": written,
        }

    def previous(written: bool) -> str:
        found = row({"results": [], "verify_loop": loop(written)}, "sentry-gate --mode all")
        assert found is not None
        pairs = dict(p.split("=", 1) for p in split_pairs(found["evidence"]))
        return pairs["previous_check"]

    # Then only the first says a baseline was established
    assert previous(True) == "none (baseline established)"
    assert previous(False) == "none"


def test_a_list_of_queries_reads_as_their_texts() -> None:
    # Given the evidence of a check that ran issue queries (records with no other naming field)
    evidence = {"queries": [{"query": "is:unresolved level:fatal", "count": 2, "exact": True}]}
    # Then each query is shown by its text, not as a number of fields
    assert evidence_text([("test_high_severity", evidence)]) == "queries=is:unresolved level:fatal"
