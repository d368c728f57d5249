"""The parsers of the settings that carry a secret or a server: the token, the DSN, the URL.

A secret is never shown: surrounding whitespace is stripped (``TOKEN_STRIPPED`` says so), any
other whitespace or control character is refused without printing the value, and the parsed value
is a ``Secret`` whose ``repr`` hides it. A URL with credentials in it is refused, and every message
shows the URL with its userinfo and query values masked.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

from pytest_sentry_gate.redact import mask_query
from pytest_sentry_gate.setting_parsers import Parser, Source, bad, has_control, text_of

USERINFO_RE: Final = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/?#]*@")
HOST_LABEL_RE: Final = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
BAD_SECRET: Final = (
    "Invalid {what} from {source}: {problem}. The value is not shown; check it for pasted line "
    "breaks or spaces."
)
URL_CREDENTIALS: Final = (
    "credentials in the URL are refused; put the token in SENTRY_AUTH_TOKEN or .sentryclirc"
)
TOKEN_STRIPPED: Final = "surrounding whitespace stripped"


class Secret(str):
    """A string that never shows itself in ``repr`` (so not in tracebacks or dataclass reprs)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')"


def _masked(url: str) -> str:
    """``url`` with any userinfo (``user:pass@``) replaced by ``***@`` and each query value and
    the fragment by ``***`` (``?token=…`` is a credential too): printable."""
    return mask_query(USERINFO_RE.sub(r"\1***@", url, count=1))


def parse_url(value: Any, source: Source) -> str:
    url = text_of(value)
    text = _masked(url)  # every message shows this, never the raw value (nor its secrets)
    allowed = "an absolute http(s) URL such as https://sentry.io/"
    if USERINFO_RE.match(url):  # checked first: the credentials are refused outright
        raise bad("Sentry URL", text, source, URL_CREDENTIALS)
    if has_control(url) or " " in url:
        raise bad("Sentry URL", text, source, allowed + " (no spaces or control characters)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise bad("Sentry URL", text, source, f"{allowed} ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise bad("Sentry URL", text, source, allowed + " (the scheme must be http or https)")
    host = parts.hostname
    if not host:
        raise bad("Sentry URL", text, source, allowed + " (the host is missing)")
    if not _valid_host(host):
        raise bad("Sentry URL", text, source, allowed + f" (the host {host!r} is not valid)")
    if port == 0:
        raise bad("Sentry URL", text, source, allowed + " (port 0)")
    if parts.query or parts.fragment:
        raise bad("Sentry URL", text, source, allowed + " (no query or fragment)")
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
        elif has_control(text) or not text.isprintable():
            problem = "it contains a control character"
        if problem is not None:
            raise pytest.UsageError(
                BAD_SECRET.format(what=what, source=source.label, problem=problem)
            )
        return Secret(text)

    return parse


parse_token = parse_secret("Sentry auth token")
parse_dsn = parse_secret("Sentry DSN")
