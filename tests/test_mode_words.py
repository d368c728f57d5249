"""A ``-m`` word that is almost a runbook mode stops the run with the mode meant (mode_words)."""

from __future__ import annotations

import pytest

from pytest_sentry_gate import mode_words, selection

CHECKS = """
import pytest

@pytest.mark.prod_health
def test_health(sentry_check):
    sentry_check.passed("healthy")

@pytest.mark.slow
def test_slow():
    pass

@pytest.mark.smoke
def test_smoke():
    pass

def test_plain():
    pass
"""
NO_BUNDLED = ("-o", "sentry_bundled_checks=false", "-p", "no:cacheprovider")


@pytest.mark.parametrize(
    ("expression", "word", "mode"),
    [
        ("prod_heath", "prod_heath", "prod_health"),  # a typo
        ("prod-health", "prod-health", "prod_health"),  # the summary's and the report's spelling
        ("PROD_HEALTH", "PROD_HEALTH", "prod_health"),
        ("releasegate", "releasegate", "release_gate"),
        ("not prod_heath", "prod_heath", "prod_health"),
        ("release_gate or (slow and issue-triage)", "issue-triage", "issue_triage"),
    ],
)
def test_a_word_that_is_almost_a_mode_is_a_usage_error_naming_it(
    pytester: pytest.Pytester, expression: str, word: str, mode: str
) -> None:
    # Given a suite with a check of a mode and tests of the user's own markers
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n    smoke: smoke\n")
    pytester.makepyfile(test_custom=CHECKS)
    # When -m names a mode misspelt, in another case, or with the report's hyphens
    result = pytester.runpytest_inprocess(
        "-m", expression, "--sentry-gate-report=report.json", *NO_BUNDLED
    )
    # Then the run stops at once: a usage error naming the word and the mode meant, no test ran
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert f"names {word!r}, which is no runbook mode" in errors
    assert f"did you mean {mode!r}? Modes: setup_preflight, local_smoke, " in errors
    assert "passed" not in result.stdout.str()
    assert not (pytester.path / "report.json").exists()


def test_the_hyphen_spelling_is_one_name_to_pytest_and_spaced_out_a_syntax_error(
    pytester: pytest.Pytester,
) -> None:
    # Given a check of prod_health
    pytester.makepyfile(test_custom=CHECKS)
    # When -m writes the mode as the report does, and with spaces around the hyphen
    hyphen = pytester.runpytest_inprocess("-m", "prod-health", *NO_BUNDLED)
    spaced = pytester.runpytest_inprocess("-m", "prod - health", *NO_BUNDLED)
    # Then pytest reads prod-health as one name (ours to name), and "prod - health" is its own
    # syntax error, which the plugin leaves to pytest
    assert hyphen.ret == spaced.ret == pytest.ExitCode.USAGE_ERROR
    assert "the summary and the report write modes with '-'" in hyphen.stderr.str()
    assert "did you mean" not in spaced.stderr.str()
    assert "Wrong expression passed to '-m'" in spaced.stderr.str()


@pytest.mark.parametrize(
    ("expression", "ran"),
    [
        ("not slow", 4),  # the user's own markers
        ("smoke", 1),
        ("health", 0),  # no marker, but close to no mode (difflib ratio below the cutoff)
        ("prod_heath", 1),  # registered by a conftest.py below: the user's own
        ("prod_health or slow", 2),
    ],
)
def test_markers_of_the_user_and_words_far_from_a_mode_are_left_to_pytest(
    pytester: pytest.Pytester, expression: str, ran: int
) -> None:
    # Given the user's markers (slow, smoke), and one close to a mode that a conftest.py
    # registers when pytest configures (after the plugin's own markers)
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n    smoke: smoke\n")
    pytester.makepyfile(
        test_custom=CHECKS + "\n@pytest.mark.prod_heath\ndef test_mine():\n    pass\n",
        conftest="def pytest_configure(config):\n"
        "    config.addinivalue_line('markers', 'prod_heath(x): my own marker')\n",
    )
    # When -m names them
    result = pytester.runpytest_inprocess("-m", expression, *NO_BUNDLED)
    # Then pytest selects as it always does
    assert "no runbook mode" not in result.stderr.str()
    result.assert_outcomes(passed=ran, deselected=5 - ran)


def test_a_plugins_mode_is_named_by_its_json_name(pytester: pytest.Pytester) -> None:
    # Given a plugin that registers a mode whose JSON name is not its marker's
    pytester.makepyfile(
        toy_plugin="from pytest_sentry_gate.modes import Mode, register\n"
        "register(Mode(name='toy_early', order=5, help='a toy', json='toy-first'))\n",
        test_toy="import pytest\n@pytest.mark.toy_early\ndef test_toy(): pass\n",
    )
    # When -m names the JSON name, then the marker
    named = [
        pytester.runpytest_subprocess("-p", "toy_plugin", "-m", word, *NO_BUNDLED)
        for word in ("toy-first", "toy_early")
    ]
    # Then the JSON name is a usage error naming the marker, which itself runs
    assert named[0].ret == pytest.ExitCode.USAGE_ERROR
    assert "names 'toy-first', which is no runbook mode" in named[0].stderr.str()
    assert "did you mean 'toy_early'?" in named[0].stderr.str()
    named[1].assert_outcomes(passed=1)


def test_spellings_and_near_misses_name_the_mode() -> None:
    # Given the mode names (built in) and words a user types
    # When each is looked up
    found = {w: mode_words.meant(w) for w in ("verify-loop", "incidnet", "Local-Smoke", "slow")}
    # Then a spelling or a near miss names the mode, a far word none
    assert found == {
        "verify-loop": "verify_loop",
        "incidnet": "incident",
        "Local-Smoke": "local_smoke",
        "slow": None,
    }


def test_the_names_are_those_pytests_grammar_reads() -> None:
    # Given an expression with names behind and/or/not, a dotted and a hyphenated name, and a
    # mark with a keyword argument
    text = "release_gate or (slow and not a.b) or mark(key='prod_heath') or (x and prod-health)"
    # When -m is read
    # Then every mark name is there, each as one name, and no keyword argument's key or value
    assert selection._select(text).names == {
        "release_gate", "slow", "a.b", "mark", "x", "prod-health"
    }  # fmt: skip


@pytest.mark.parametrize("marker", ["release_notes", "incidents", "prod_healthcheck"])
def test_a_marker_of_the_user_close_to_a_mode_that_tests_carry_runs(
    pytester: pytest.Pytester, marker: str
) -> None:
    # Given tests that carry a marker of the user's own, close to a mode's name, never registered
    pytester.makepyfile(
        test_mine=f"import pytest\n\n@pytest.mark.{marker}\ndef test_mine():\n    pass\n\n"
        "def test_other():\n    pass\n"
    )
    # When -m selects by it, or leaves it out (pytest's warning for an unregistered marker,
    # which this suite's own settings would make an error in process, ignored)
    quiet = ("-W", "ignore::pytest.PytestUnknownMarkWarning", *NO_BUNDLED)
    chosen = pytester.runpytest_inprocess("-m", marker, *quiet)
    others = pytester.runpytest_inprocess("-m", f"not {marker}", *quiet)
    # Then pytest selects as it always does
    assert "no runbook mode" not in chosen.stderr.str() + others.stderr.str()
    chosen.assert_outcomes(passed=1, deselected=1)
    others.assert_outcomes(passed=1, deselected=1)


def test_a_marker_a_conftest_below_registers_runs(pytester: pytest.Pytester) -> None:
    # Given a marker close to a mode's name that a conftest.py in a subdirectory registers (when
    # it is collected, after pytest configured), and tests there, none of which carries it
    sub = pytester.mkpydir("sub")
    (sub / "conftest.py").write_text(
        "def pytest_configure(config):\n"
        "    config.addinivalue_line('markers', 'prod_healthcheck: my own marker')\n"
    )
    (sub / "test_sub.py").write_text("def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    # When -m leaves that marker out
    result = pytester.runpytest_inprocess("-m", "not prod_healthcheck", *NO_BUNDLED)
    # Then every test runs
    assert "no runbook mode" not in result.stderr.str()
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("word", "mode"),
    [
        ("Release-Gate", "release_gate"),
        ("release-gate", "release_gate"),
        ("PROD_HEALTH", "prod_health"),
    ],
)
def test_a_mode_spelt_otherwise_is_refused_before_collection(
    pytester: pytest.Pytester, word: str, mode: str
) -> None:
    # Given a test file that cannot even be imported
    pytester.makepyfile(test_broken="raise RuntimeError('imported')\n")
    # When -m names a mode in another case or with hyphens
    result = pytester.runpytest_inprocess("-m", word, *NO_BUNDLED)
    # Then the run stops before collection: nothing was imported, the mode is named
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"names {word!r}, which is no runbook mode" in result.stderr.str()
    assert f"did you mean {mode!r}?" in result.stderr.str()
    assert "imported" not in result.stdout.str() + result.stderr.str()


def test_a_misspelt_mode_is_refused_after_collection_when_no_test_carries_it(
    pytester: pytest.Pytester,
) -> None:
    # Given tests of a mode, none marked with the misspelling
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n    smoke: smoke\n")
    pytester.makepyfile(test_custom=CHECKS)
    # When -m names the misspelt mode (which selects nothing)
    result = pytester.runpytest_inprocess("-m", "prod_heath", *NO_BUNDLED)
    # Then the run was collected, then stopped with the mode meant, and no test ran
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "collected 4 items" in result.stdout.str()
    assert (
        "-m names 'prod_heath', which is no runbook mode and no marker a collected test carries; "
        "did you mean 'prod_health'?"
    ) in result.stderr.str()
    result.assert_outcomes()


def test_under_xdist_a_misspelt_mode_that_selects_nothing_is_refused(
    pytester: pytest.Pytester,
) -> None:
    # Given tests of a mode and a test marked with a marker of the user's own close to a mode
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n    smoke: smoke\n")
    pytester.makepyfile(
        test_custom=CHECKS + "\n@pytest.mark.incidents\ndef test_mine():\n    pass\n"
    )
    # When they run on an xdist worker, with -m a misspelt mode, then with -m that marker
    misspelt = pytester.runpytest_subprocess(
        "-p", "xdist", "-n", "1", "-m", "prod_heath", *NO_BUNDLED
    )
    mine = pytester.runpytest_subprocess("-p", "xdist", "-n", "1", "-m", "incidents", *NO_BUNDLED)
    # Then the misspelling is a usage error naming the mode; the user's marker runs its test
    assert misspelt.ret == pytest.ExitCode.USAGE_ERROR
    assert "INTERNALERROR" not in misspelt.stdout.str() + misspelt.stderr.str()
    assert "did you mean 'prod_health'?" in misspelt.stderr.str()
    assert mine.ret == pytest.ExitCode.OK
    assert "no runbook mode" not in mine.stderr.str()
    mine.assert_outcomes(passed=1, warnings=1)
