"""Tests of pytest_sentry_gate.repo.release_name: release names and Sentry's naming rules."""

from __future__ import annotations

import pytest

from pytest_sentry_gate.repo.release_name import (
    DEFAULT_TEMPLATE,
    FROM_EXPLICIT,
    MAX_RELEASE_LENGTH,
    PROBLEM_CONTROL,
    PROBLEM_DOTS,
    PROBLEM_EMPTY,
    PROBLEM_LENGTH,
    PROBLEM_SLASH,
    expected_release,
    next_patch,
    release_name_problems,
    render_release,
)


def test_render_default_template() -> None:
    # Given the default template / When rendered / Then it is project@version
    assert render_release(DEFAULT_TEMPLATE, project="codictate", version="1.4.2") == (
        "codictate@1.4.2"
    )


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("{name}@{version}", "{name}"),
        ("{}@{version}", "{}"),
        ("{project.upper}", "{project.upper}"),
    ],
)
def test_render_unknown_placeholder(template: str, named: str) -> None:
    # Given a template with a placeholder that is not allowed
    # When rendered
    with pytest.raises(ValueError, match="unknown placeholder") as caught:
        render_release(template, project="codictate", version="1.4.2")
    # Then the message names it and the allowed ones
    assert named in str(caught.value)
    assert "{project}, {version}" in str(caught.value)


def test_render_malformed_template() -> None:
    # Given an unclosed brace / When rendered / Then a ValueError names the template
    with pytest.raises(ValueError, match=r"Release template '\{project@1'"):
        render_release("{project@1", project="codictate", version="1.4.2")


def test_valid_name_has_no_problems() -> None:
    # Given a valid release name / When checked / Then nothing is wrong
    assert release_name_problems("codictate@1.4.2") == []
    assert release_name_problems("x" * MAX_RELEASE_LENGTH) == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("codictate/1.4.2", PROBLEM_SLASH.format(name="codictate/1.4.2")),
        ("codictate@1.4.2\n", PROBLEM_CONTROL.format(name="codictate@1.4.2\n", what="newline")),
        ("a\tb", PROBLEM_CONTROL.format(name="a\tb", what="tab")),
        ("a\rb", PROBLEM_CONTROL.format(name="a\rb", what="carriage return")),
        ("", PROBLEM_EMPTY),
        (" ", PROBLEM_EMPTY),
        (".", PROBLEM_DOTS.format(name=".")),
        ("..", PROBLEM_DOTS.format(name="..")),
        ("latest", PROBLEM_DOTS.format(name="latest")),
    ],
)
def test_bad_names(name: str, problem: str) -> None:
    # Given a name breaking one rule / When checked / Then that rule is named
    assert problem in release_name_problems(name)


def test_backslash_is_a_problem() -> None:
    # Given a Windows-style path in the name / When checked / Then it is refused
    assert any("'\\'" in p for p in release_name_problems("codictate\\1.4.2"))


def test_too_long_name() -> None:
    # Given a name one character over the limit
    name = "x" * (MAX_RELEASE_LENGTH + 1)
    # When checked / Then the length and the limit are named
    assert release_name_problems(name) == [PROBLEM_LENGTH.format(length=201, limit=200)]


def test_expected_release_explicit_wins() -> None:
    # Given an explicit release / When resolved / Then it is used as is, with its source
    assert expected_release(
        explicit="codictate@2.0.0", template=DEFAULT_TEMPLATE, project="codictate", version="1"
    ) == ("codictate@2.0.0", FROM_EXPLICIT)


def test_expected_release_from_template() -> None:
    # Given no explicit release / When resolved / Then the template is applied and named
    assert expected_release(
        explicit=None, template=DEFAULT_TEMPLATE, project="codictate", version="1.4.2"
    ) == ("codictate@1.4.2", "template {project}@{version}")


def test_expected_release_without_version() -> None:
    # Given no version in the repository / When resolved / Then there is no release
    assert expected_release(
        explicit=None, template=DEFAULT_TEMPLATE, project="codictate", version=None
    ) == (None, "template {project}@{version}")
    # And a template that does not need the version still renders
    assert expected_release(
        explicit=None, template="{project}-nightly", project="codictate", version=None
    ) == ("codictate-nightly", "template {project}-nightly")


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.4.2", "1.4.3"),
        ("1.4", "1.4.1"),
        ("v1.4.2", "v1.4.3"),
        ("1.4.2-beta.1", "1.4.2"),
        ("1.4.2.post1", "1.4.3"),
        ("codictate@1.4.2", "codictate@1.4.3"),
        ("nightly", None),
    ],
)
def test_next_patch(version: str, expected: str | None) -> None:
    # Given a version / When the next patch is asked / Then it is the expected one
    assert next_patch(version) == expected
