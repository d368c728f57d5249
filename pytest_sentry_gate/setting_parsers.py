"""The value parsers of the settings table: a raw value and its source in, a typed value out.

Each ``parse_*`` function is the ``parse`` of one or more settings rows (the URL and the secrets
are parsed in ``setting_secrets.py``, the numbers and the time window in ``setting_numbers.py``);
a bad value is a ``pytest.UsageError`` naming the value, where it came from (``Source.label``)
and what is allowed.
A relative path resolves against ``Source.base`` (the ini file's directory for ini values, the
invocation directory for flags and the environment).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

RECORD_MODES: Final = ("off", "none", "once", "new_episodes", "all")
REPORT_DETAILS: Final = ("full", "summary")
SLUG_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
TRUE: Final = ("true", "yes", "on", "1")
FALSE: Final = ("false", "no", "off", "0")

BAD_VALUE: Final = "Invalid {what} {value!r} from {source}: {allowed}"
UNSET: Final = "unset"


@dataclass(frozen=True)
class Source:
    """Where a raw value came from: ``label`` for messages, ``base`` for relative paths."""

    label: str
    base: Path


Parser = Callable[[Any, Source], Any]


def bad(what: str, value: Any, source: Source, allowed: str) -> pytest.UsageError:
    return pytest.UsageError(
        BAD_VALUE.format(what=what, value=value, source=source.label, allowed=allowed)
    )


def text_of(value: Any) -> str:
    return "" if value is None else str(value).strip()


def has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def parse_slug(value: Any, source: Source, what: str = "organization") -> str | None:
    text = text_of(value)
    if not text:
        return None
    if not SLUG_RE.match(text):
        raise bad(
            f"{what} slug",
            text,
            source,
            "lowercase letters, digits, '-' and '_', starting with a letter or digit",
        )
    return text


def parse_slugs(value: Any, source: Source) -> tuple[str, ...]:
    """A comma list (flag, env, ini line), or a list of them (ini lines, TOML list)."""
    items = value if isinstance(value, list | tuple) else [value]
    found = []
    for item in items:
        for part in text_of(item).split(","):
            slug = parse_slug(part, source, "project")
            if slug is not None:
                found.append(slug)
    return tuple(found)


def parse_repo_root(value: Any, source: Source) -> Path:
    text = text_of(value)
    if text:
        path = _under(text, source.base)
        if not path.is_dir():
            raise bad("repository root", text, source, "an existing directory")
        return path.resolve()
    start = source.base.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def parse_path(value: Any, source: Source) -> Path | None:
    text = text_of(value)
    return _under(text, source.base) if text else None


def _under(text: str, base: Path) -> Path:
    """``text`` as a path; a relative one is taken relative to ``base``."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def parse_release(value: Any, source: Source) -> str | None:
    return text_of(value) or None


def parse_name(value: Any, source: Source) -> str:
    text = text_of(value)
    if not text or has_control(text):
        raise bad("name", text, source, "a non-empty name without control characters")
    return text


def parse_template(value: Any, source: Source) -> str:
    from pytest_sentry_gate.repo.release_name import template_fields

    text = text_of(value)
    try:
        template_fields(text)
    except ValueError as exc:
        raise pytest.UsageError(f"{exc} (from {source.label})") from None
    return text


def parse_record_mode(value: Any, source: Source) -> str:
    text = text_of(value)
    if text not in RECORD_MODES:
        raise bad("record mode", text, source, "one of " + ", ".join(RECORD_MODES))
    return text


def parse_report_detail(value: Any, source: Source) -> str:
    text = text_of(value)
    if text not in REPORT_DETAILS:
        raise bad("report detail", text, source, "one of " + ", ".join(REPORT_DETAILS))
    return text


FAIL_ON: Final = ("partial", "fail")


def parse_fail_on(value: Any, source: Source) -> str | None:
    """``partial`` or ``fail``; None (unset) lets the settings pick by CI (``policy``)."""
    text = text_of(value).lower()
    if not text:
        return None
    if text not in FAIL_ON:
        raise bad(
            "exit policy",
            text_of(value),
            source,
            "partial (a PARTIAL or ERROR mode fails the run) or fail (only a FAIL does)",
        )
    return text


def parse_boolean(value: Any, source: Source) -> bool:
    if isinstance(value, bool):
        return value
    text = text_of(value).lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise bad("switch", text_of(value), source, "true or false")


def parse_lines(check: Callable[[Sequence[str]], object] | None = None) -> Parser:
    """A parser for one value per line (blank lines dropped), checked by ``check`` if given."""

    def parse(value: Any, source: Source) -> tuple[str, ...]:
        lines = tuple(text_of(v) for v in (value or ()) if text_of(v))
        if check is None:
            return lines
        try:
            check(lines)
        except ValueError as exc:
            raise pytest.UsageError(f"{exc} (from {source.label})") from None
        return lines

    return parse


def parse_markers(lines: Sequence[str]) -> object:
    from pytest_sentry_gate.repo.wiring import parse_markers

    return parse_markers(lines)


def parse_version_specs(lines: Sequence[str]) -> object:
    from pytest_sentry_gate.repo.versions import parse_spec

    return [parse_spec(line) for line in lines]


def parse_dist_dir(value: Any, source: Source) -> str:
    text = text_of(value)
    if not text:
        raise bad("build output directory", text, source, "a path in the app repository")
    return text


def parse_url_prefix(value: Any, source: Source) -> str:
    text = text_of(value).rstrip("/")
    if not text or has_control(text) or " " in text:
        raise bad(
            "URL prefix", text_of(value), source, "a URL prefix such as app://localhost/assets"
        )
    return text
