"""The value parsers of the settings table: a raw value and its source in, a typed value out.

Each ``parse_*`` function is the ``parse`` of one or more settings rows (the URL and the secrets
are parsed in ``setting_secrets.py``); a bad value is a
``pytest.UsageError`` naming the value, where it came from (``Source.label``) and what is allowed.
A relative path resolves against ``Source.base`` (the ini file's directory for ini values, the
invocation directory for flags and the environment).
"""

from __future__ import annotations

import math
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
PERIOD_RE: Final = re.compile(r"^(\d+)([smhdw])$")
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


#: Issue search covers at most 90 days; Sentry silently shortens a longer ``statsPeriod``
#: (``reference/sentry-api.md`` §13 "Retention").
MAX_PERIOD_SECONDS: Final = 90 * 86400
TOO_LONG: Final = (
    "at most 90d (Sentry's issue search covers 90 days and silently shortens a longer window)"
)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_period(value: Any, source: Source) -> str:
    text = text_of(value)
    match = PERIOD_RE.match(text)
    allowed = "a positive number with a unit s, m, h, d or w, such as 24h or 14d"
    if not match or int(match.group(1)) <= 0:
        raise bad("time window", text, source, allowed)
    if int(match.group(1)) * _UNIT_SECONDS[match.group(2)] > MAX_PERIOD_SECONDS:
        raise bad("time window", text, source, TOO_LONG)
    return text


def parse_number(
    what: str,
    *,
    whole: bool = False,
    low: float = 0.0,
    high: float = math.inf,
    above: bool = False,
    unit: str = "",
) -> Parser:
    """A parser for a finite number in ``[low, high]`` (``(low, high]`` with ``above``).

    Every numeric setting has a finite ``high``: an absurd value (``1e308``) is a usage error
    here, not an ``OverflowError`` in every check that uses it.
    """
    bound = f"above {low:g}" if above else f"at least {low:g}"
    allowed = f"{'a whole number' if whole else 'a number'}{f' of {unit}' if unit else ''} {bound}"
    if high != math.inf:
        allowed += f" and at most {high:g}"

    def parse(value: Any, source: Source) -> float | int:
        text = text_of(value)
        number: float | int
        try:
            number = int(text) if whole else float(text)
        except ValueError:  # also a whole number of more digits than Python converts
            number = math.nan
        if whole and abs(number) > high:  # before math.isfinite, which overflows on a huge int
            raise bad(what, _shown(text), source, allowed)
        if not math.isfinite(number) or number < low or number > high or (above and number == low):
            raise bad(what, _shown(text), source, allowed)
        return number

    return parse


#: Seconds to wait for one Sentry response: above 0, at most ten minutes.
parse_seconds = parse_number("timeout", above=True, high=600.0, unit="seconds")


def _shown(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a message (a 5,000-digit number stays readable)."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


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
