"""Property tests of the parsers that read outside text (issue 15, item 15).

Each parser either gives its result or raises its one documented error, whatever the text; what
can be written can be read back (round trips); and no error message repeats a secret. Sizes and
example counts are modest so the suite stays fast. ``X-Sentry-Rate-Limits`` has no parser here
(the client reads only ``Retry-After`` and ``X-Sentry-Rate-Limit-Reset``), so it has no property.
"""

from __future__ import annotations

import string
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pytest_sentry_gate import sentryclirc
from pytest_sentry_gate.repo.codeowners import read_owners
from pytest_sentry_gate.repo.dsn import DsnError, parse_dsn, read_dotenv
from pytest_sentry_gate.repo.release_name import (
    next_patch,
    release_name_problems,
    render_release,
    template_fields,
)
from pytest_sentry_gate.repo.versions import parse_spec
from pytest_sentry_gate.sentry.responses import next_cursor

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
HEX = "0123456789abcdef"
keys = st.text(HEX, min_size=32, max_size=32)
slugs = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12)
#: Text a header may carry (visible ASCII and spaces: no line breaks).
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=200)
safe_value = st.text(string.ascii_letters + string.digits + "-_./:@+", min_size=1, max_size=40)


# -- Link headers (pagination cursors) ----------------------------------------------------------


@FAST
@given(text=header_text)
def test_any_link_header_gives_a_cursor_or_none(text: str) -> None:
    response = httpx.Response(200, headers={"Link": text})
    cursor = next_cursor(response)
    assert cursor is None or isinstance(cursor, str)


@FAST
@given(
    cursor=st.text(string.ascii_letters + string.digits + ":_-", min_size=1, max_size=40),
    more=st.booleans(),
)
def test_a_written_link_header_reads_back_its_cursor(cursor: str, more: bool) -> None:
    results = "true" if more else "false"
    link = (
        f'<https://sentry.io/api/0/x/?cursor=0:0:1>; rel="previous"; results="false"; '
        f'cursor="0:0:1", <https://sentry.io/api/0/x/?cursor={cursor}>; rel="next"; '
        f'results="{results}"; cursor="{cursor}"'
    )
    assert next_cursor(httpx.Response(200, headers={"Link": link})) == (cursor if more else None)


# -- DSNs ---------------------------------------------------------------------------------------


@FAST
@given(text=st.text(max_size=120))
def test_any_dsn_text_parses_or_raises_dsn_error(text: str) -> None:
    try:
        dsn = parse_dsn(text)
    except DsnError:
        return
    assert dsn.project_id.isdigit()
    assert len(dsn.public_key) == 32


@FAST
@given(
    scheme=st.sampled_from(["http", "https"]),
    key=keys,
    host=slugs.map(lambda s: s.strip("-") or "h").map(lambda s: f"{s}.example"),
    port=st.none() | st.integers(1, 65535),
    prefix=st.lists(slugs, max_size=2).map(lambda parts: "".join("/" + p for p in parts)),
    project_id=st.integers(1, 10**9).map(str),
)
def test_a_built_dsn_reads_back(
    scheme: str, key: str, host: str, port: int | None, prefix: str, project_id: str
) -> None:
    netloc = f"{key}@{host}" + (f":{port}" if port is not None else "")
    dsn = parse_dsn(f"{scheme}://{netloc}{prefix}/{project_id}")
    assert (dsn.scheme, dsn.host, dsn.port, dsn.path_prefix) == (scheme, host, port, prefix)
    assert (dsn.project_id, dsn.public_key) == (project_id, key)
    assert key not in repr(dsn)
    assert key not in str(dsn.safe())


@FAST
@given(key=keys, before=st.text(max_size=20), after=st.text(max_size=20))
def test_a_dsn_error_never_repeats_the_key(key: str, before: str, after: str) -> None:
    assume(key not in before + after)
    for text in (f"{before}{key}@{after}", f"ftp://{key}@{after}", f"{before}://{key}@/{after}"):
        message = ""
        try:
            parse_dsn(text)
        except DsnError as exc:
            message = str(exc)
        assert key not in message


# -- dotenv (as the settings read .env) ---------------------------------------------------------


@FAST
@given(text=st.text(max_size=300))
def test_any_dotenv_text_reads_as_string_pairs(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    pairs = read_dotenv(path)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in pairs.items())


@FAST
@given(
    values=st.dictionaries(
        st.text(string.ascii_uppercase + "_", min_size=1, max_size=12).filter(
            lambda k: not k[0].isdigit()
        ),
        safe_value,
        max_size=5,
    ),
    quote=st.sampled_from(["", '"', "'"]),
    export=st.booleans(),
)
def test_written_dotenv_pairs_read_back(
    tmp_path: Path, values: dict[str, str], quote: str, export: bool
) -> None:
    path = tmp_path / ".env"
    lead = "export " if export else ""
    lines = [f"{lead}{k}={quote}{v}{quote}" for k, v in values.items()]
    path.write_text("# the app's settings\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert read_dotenv(path) == values


# -- .sentryclirc -------------------------------------------------------------------------------


@FAST
@given(text=st.text(max_size=300), secret=st.text(string.ascii_letters, min_size=24, max_size=24))
def test_any_sentryclirc_loads_or_is_a_usage_error_without_the_token(
    tmp_path: Path, text: str, secret: str
) -> None:
    (tmp_path / ".sentryclirc").write_text(f"[auth]\ntoken = {secret}\n{text}", encoding="utf-8")
    message, values = "", {}
    try:
        values = sentryclirc.load(home=None, start=tmp_path)
    except pytest.UsageError as exc:
        message = str(exc)
    assert secret not in message
    assert all(isinstance(value, str) for value, _ in values.values())


@FAST
@given(
    token=st.text(string.ascii_letters + string.digits + "_-.=+/", min_size=1, max_size=64),
    org=slugs,
    trailing=st.sampled_from(["", " ", "\t", "  "]),
)
def test_a_written_sentryclirc_reads_back(
    tmp_path: Path, token: str, org: str, trailing: str
) -> None:
    text = f"[defaults]\norg = {org}\n\n[auth]\ntoken = {token}{trailing}\n"
    (tmp_path / ".sentryclirc").write_text(text, encoding="utf-8")
    values = sentryclirc.load(home=None, start=tmp_path)
    assert values[("auth", "token")][0] == token + trailing
    assert values[("defaults", "org")][0] == org


# -- release names and versions -----------------------------------------------------------------


@FAST
@given(name=st.text(max_size=300))
def test_release_name_problems_are_sentences_and_stable(name: str) -> None:
    problems = release_name_problems(name)
    assert all(isinstance(p, str) and p for p in problems)
    assert release_name_problems(name) == problems


@FAST
@given(
    template=st.text(st.sampled_from("{}projectversion@!:x "), max_size=30) | st.text(max_size=40),
    project=slugs,
    version=safe_value,
)
def test_any_release_template_renders_or_raises_value_error(
    template: str, project: str, version: str
) -> None:
    try:
        fields = template_fields(template)
    except ValueError:
        with pytest.raises(ValueError, match="Release template"):
            render_release(template, project=project, version=version)
        return
    assert set(fields) <= {"project", "version"}
    rendered = render_release(template, project=project, version=version)
    assert isinstance(rendered, str)


@FAST
@given(
    parts=st.lists(st.integers(0, 999), min_size=1, max_size=3),
    head=st.sampled_from(["", "codictate@", "app@"]),
    v=st.sampled_from(["", "v"]),
)
def test_next_patch_increments_the_patch_and_keeps_the_spelling(
    parts: list[int], head: str, v: str
) -> None:
    major, minor, micro = (*parts, 0, 0)[:3]
    version = head + v + ".".join(map(str, parts))
    after = next_patch(version)
    assert after == f"{head}{v}{major}.{minor}.{micro + 1}"
    assert next_patch(after) == f"{head}{v}{major}.{minor}.{micro + 2}"


@FAST
@given(text=st.text(max_size=60))
def test_next_patch_of_any_text_is_a_version_or_none(text: str) -> None:
    after = next_patch(text)
    assert after is None or next_patch(after) is not None


@FAST
@given(spec=st.text(max_size=60))
def test_any_version_spec_parses_or_raises_value_error(spec: str) -> None:
    try:
        parsed = parse_spec(spec)
    except ValueError:
        return
    assert parsed.path
    assert all(parsed.key.split("."))


# -- CODEOWNERS (our wrapper over the codeowners package) ---------------------------------------


@FAST
@given(text=st.text(max_size=200), path=st.text(max_size=40))
def test_any_codeowners_text_gives_owners_or_says_why_not(
    tmp_path: Path, text: str, path: str
) -> None:
    (tmp_path / "CODEOWNERS").write_text(text, encoding="utf-8")
    assert isinstance(read_owners(tmp_path).describe(path), str)


@FAST
@given(
    directory=slugs,
    name=slugs,
    first=slugs.map(lambda s: "@" + s),
    second=slugs.map(lambda s: "@" + s),
)
def test_the_last_matching_codeowners_rule_wins(
    tmp_path: Path, directory: str, name: str, first: str, second: str
) -> None:
    (tmp_path / "CODEOWNERS").write_text(f"* {first}\n/{directory}/ {second}\n")
    owners = read_owners(tmp_path)
    assert owners.describe(f"{directory}/{name}.ts") == second
    assert owners.describe(f"other-{directory}/{name}.ts") == first


def test_a_codeowners_pattern_the_matcher_cannot_compile_leaves_the_other_rules(
    tmp_path: Path,
) -> None:
    # Given a CODEOWNERS with an unterminated character class on one line (found by the
    # property above: it raised ValueError and ended triage with a traceback)
    (tmp_path / "CODEOWNERS").write_text("src/[ab @acme/broken\n* @acme/all\n/src/ @acme/web\n")
    # Then the other rules still name the owners
    owners = read_owners(tmp_path)
    assert owners.describe("src/app.ts") == "@acme/web"
    assert owners.describe("README.md") == "@acme/all"


@FAST
@given(
    value=st.text(
        st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="\"'\\$`"),
        max_size=40,
    ),
    quote=st.sampled_from(['"', "'"]),
)
def test_a_quoted_dotenv_value_reads_back_whole(tmp_path: Path, value: str, quote: str) -> None:
    # A quoted value keeps its spaces and '#' (as sentry-cli's dotenv reads them)
    path = tmp_path / ".env"
    path.write_text(f"SENTRY_DSN={quote}{value}{quote}  # the app's DSN\n", encoding="utf-8")
    assert read_dotenv(path) == {"SENTRY_DSN": value}
