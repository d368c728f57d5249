"""The value parsers of the settings table: a raw value and its source in, a typed value out.

Each ``parse_*`` function is the ``parse`` of one or more rows in ``settings.py``; a bad value is a
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
from urllib.parse import urlsplit

import pytest

from pytest_sentry_gate.redact import mask_query

RECORD_MODES: Final = ("off", "none", "once", "new_episodes", "all")
REPORT_DETAILS: Final = ("full", "summary")
SLUG_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
PERIOD_RE: Final = re.compile(r"^(\d+)([smhdw])$")
USERINFO_RE: Final = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/?#]*@")
HOST_LABEL_RE: Final = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
TRUE: Final = ("true", "yes", "on", "1")
FALSE: Final = ("false", "no", "off", "0")

BAD_VALUE: Final = "Invalid {what} {value!r} from {source}: {allowed}"
BAD_SECRET: Final = (
    "Invalid {what} from {source}: {problem}. The value is not shown; check it for pasted line "
    "breaks or spaces."
)
URL_CREDENTIALS: Final = (
    "credentials in the URL are refused; put the token in SENTRY_AUTH_TOKEN or .sentryclirc"
)
TOKEN_STRIPPED: Final = "surrounding whitespace stripped"
UNSET: Final = "unset"


@dataclass(frozen=True)
class Source:
    """Where a raw value came from: ``label`` for messages, ``base`` for relative paths."""

    label: str
    base: Path


Parser = Callable[[Any, Source], Any]


def _bad(what: str, value: Any, source: Source, allowed: str) -> pytest.UsageError:
    return pytest.UsageError(
        BAD_VALUE.format(what=what, value=value, source=source.label, allowed=allowed)
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def parse_slug(value: Any, source: Source, what: str = "organization") -> str | None:
    text = _text(value)
    if not text:
        return None
    if not SLUG_RE.match(text):
        raise _bad(
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
        for part in _text(item).split(","):
            slug = parse_slug(part, source, "project")
            if slug is not None:
                found.append(slug)
    return tuple(found)


def _masked(url: str) -> str:
    """``url`` with any userinfo (``user:pass@``) replaced by ``***@`` and each query value and
    the fragment by ``***`` (``?token=…`` is a credential too): printable."""
    return mask_query(USERINFO_RE.sub(r"\1***@", url, count=1))


def parse_url(value: Any, source: Source) -> str:
    url = _text(value)
    text = _masked(url)  # every message shows this, never the raw value (nor its secrets)
    allowed = "an absolute http(s) URL such as https://sentry.io/"
    if USERINFO_RE.match(url):  # checked first: the credentials are refused outright
        raise _bad("Sentry URL", text, source, URL_CREDENTIALS)
    if _has_control(url) or " " in url:
        raise _bad("Sentry URL", text, source, allowed + " (no spaces or control characters)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _bad("Sentry URL", text, source, f"{allowed} ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise _bad("Sentry URL", text, source, allowed + " (the scheme must be http or https)")
    host = parts.hostname
    if not host:
        raise _bad("Sentry URL", text, source, allowed + " (the host is missing)")
    if not _valid_host(host):
        raise _bad("Sentry URL", text, source, allowed + f" (the host {host!r} is not valid)")
    if port == 0:
        raise _bad("Sentry URL", text, source, allowed + " (port 0)")
    if parts.query or parts.fragment:
        raise _bad("Sentry URL", text, source, allowed + " (no query or fragment)")
    return url if url.endswith("/") else url + "/"


def _valid_host(host: str) -> bool:
    if ":" in host:  # an IPv6 literal: urlsplit has parsed its brackets
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(HOST_LABEL_RE.match(label) for label in labels)


def parse_secret(what: str) -> Parser:
    """A parser for a secret: surrounding whitespace stripped, anything else odd refused unseen."""

    def parse(value: Any, source: Source) -> Secret | None:
        if value is None:
            return None
        text = str(value).strip()
        problem = None
        if not text:
            problem = "it is blank"
        elif any(c.isspace() for c in text):
            problem = "it contains whitespace inside it"
        elif _has_control(text) or not text.isprintable():
            problem = "it contains a control character"
        if problem is not None:
            raise pytest.UsageError(
                BAD_SECRET.format(what=what, source=source.label, problem=problem)
            )
        return Secret(text)

    return parse


parse_token = parse_secret("Sentry auth token")
parse_dsn = parse_secret("Sentry DSN")


def parse_repo_root(value: Any, source: Source) -> Path:
    text = _text(value)
    if text:
        path = _under(text, source.base)
        if not path.is_dir():
            raise _bad("repository root", text, source, "an existing directory")
        return path.resolve()
    start = source.base.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def parse_path(value: Any, source: Source) -> Path | None:
    text = _text(value)
    return _under(text, source.base) if text else None


def _under(text: str, base: Path) -> Path:
    """``text`` as a path; a relative one is taken relative to ``base``."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def parse_release(value: Any, source: Source) -> str | None:
    return _text(value) or None


def parse_name(value: Any, source: Source) -> str:
    text = _text(value)
    if not text or _has_control(text):
        raise _bad("name", text, source, "a non-empty name without control characters")
    return text


def parse_template(value: Any, source: Source) -> str:
    from pytest_sentry_gate.repo.release_name import template_fields

    text = _text(value)
    try:
        template_fields(text)
    except ValueError as exc:
        raise pytest.UsageError(f"{exc} (from {source.label})") from None
    return text


def parse_record_mode(value: Any, source: Source) -> str:
    text = _text(value)
    if text not in RECORD_MODES:
        raise _bad("record mode", text, source, "one of " + ", ".join(RECORD_MODES))
    return text


def parse_report_detail(value: Any, source: Source) -> str:
    text = _text(value)
    if text not in REPORT_DETAILS:
        raise _bad("report detail", text, source, "one of " + ", ".join(REPORT_DETAILS))
    return text


#: Issue search covers at most 90 days; Sentry silently shortens a longer ``statsPeriod``
#: (``reference/sentry-api.md`` §13 "Retention").
MAX_PERIOD_SECONDS: Final = 90 * 86400
TOO_LONG: Final = (
    "at most 90d (Sentry's issue search covers 90 days and silently shortens a longer window)"
)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_period(value: Any, source: Source) -> str:
    text = _text(value)
    match = PERIOD_RE.match(text)
    allowed = "a positive number with a unit s, m, h, d or w, such as 24h or 14d"
    if not match or int(match.group(1)) <= 0:
        raise _bad("time window", text, source, allowed)
    if int(match.group(1)) * _UNIT_SECONDS[match.group(2)] > MAX_PERIOD_SECONDS:
        raise _bad("time window", text, source, TOO_LONG)
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
        text = _text(value)
        number: float | int
        try:
            number = int(text) if whole else float(text)
        except ValueError:  # also a whole number of more digits than Python converts
            number = math.nan
        if whole and abs(number) > high:  # before math.isfinite, which overflows on a huge int
            raise _bad(what, _shown(text), source, allowed)
        if not math.isfinite(number) or number < low or number > high or (above and number == low):
            raise _bad(what, _shown(text), source, allowed)
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
    text = _text(value).lower()
    if not text:
        return None
    if text not in FAIL_ON:
        raise _bad(
            "exit policy",
            _text(value),
            source,
            "partial (a PARTIAL or ERROR mode fails the run) or fail (only a FAIL does)",
        )
    return text


def parse_boolean(value: Any, source: Source) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise _bad("switch", _text(value), source, "true or false")


def parse_lines(check: Callable[[Sequence[str]], object] | None = None) -> Parser:
    """A parser for one value per line (blank lines dropped), checked by ``check`` if given."""

    def parse(value: Any, source: Source) -> tuple[str, ...]:
        lines = tuple(_text(v) for v in (value or ()) if _text(v))
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
    text = _text(value)
    if not text:
        raise _bad("build output directory", text, source, "a path in the app repository")
    return text


def parse_url_prefix(value: Any, source: Source) -> str:
    text = _text(value).rstrip("/")
    if not text or _has_control(text) or " " in text:
        raise _bad(
            "URL prefix", _text(value), source, "a URL prefix such as app://localhost/assets"
        )
    return text


class Secret(str):
    """A string that never shows itself in ``repr`` (so not in tracebacks or dataclass reprs)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')"
