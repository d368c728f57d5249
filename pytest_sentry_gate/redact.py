"""Hide secrets in text, in every form a message can carry them.

A token reaches a message in more shapes than its own: ``repr`` and escaped forms (a trailing
newline shows as ``\\n``), a bytes repr (httpx's ``Illegal header value b'Bearer <token>\\n'``),
URL-encoded (``%0A``, ``+``), JSON-escaped, or cut at surrounding whitespace. ``Redactor`` is built
once from the secrets of a run and replaces each of these forms, longest first. It imports
neither httpx nor pytest: the client and the plugin's verdict path share it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, quote_plus, urlsplit

MASK: Final = "[redacted]"
#: Pieces of a secret (split at whitespace or control characters) shorter than this stay visible:
#: masking a two-letter piece everywhere would mangle every message and protect nothing.
MIN_PIECE: Final = 8
#: Variables whose raw value is a secret even before settings strip or refuse it.
SECRET_VARIABLES: Final = ("SENTRY_AUTH_TOKEN", "SENTRY_DSN")
_SPLIT: Final = re.compile(r"[\s\x00-\x1f\x7f]+")


def forms(secret: str) -> set[str]:
    """Every spelling of ``secret`` a message may contain (empty for an empty secret)."""
    if not secret:
        return set()
    spellings = {secret}
    pieces = [p for p in _SPLIT.split(secret) if p]
    spellings.update(p for p in pieces if len(p) >= MIN_PIECE)
    core = secret.strip()
    if core:
        spellings.add(core)
    for text in list(spellings):
        spellings.add(repr(text)[1:-1])
        spellings.add(repr(text.encode("utf-8", "backslashreplace"))[2:-1])
        spellings.add(json.dumps(text)[1:-1])
        spellings.add(quote(text, safe=""))
        spellings.add(quote_plus(text, safe=""))
        spellings.add(quote(text))
    return {s for s in spellings if s}


def url_secrets(url: str | None) -> tuple[str, ...]:
    """The userinfo (user and password) of a URL, which are credentials wherever it is shown."""
    if not url:
        return ()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    return tuple(s for s in (parts.username, parts.password) if s)


def without_userinfo(url: str) -> str:
    """The URL with any ``user:password@`` removed (for commands and messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not (parts.username or parts.password):
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


class Redactor:
    """Replaces every form of the given secrets with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        spellings: set[str] = set()
        for secret in secrets:
            if secret:
                spellings |= forms(str(secret))
        self._spellings = sorted(spellings, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._spellings)

    def __call__(self, text: str) -> str:
        for spelling in self._spellings:
            if spelling in text:
                text = text.replace(spelling, MASK)
        return text

    def add(self, *secrets: str | None) -> Redactor:
        """A redactor that also hides ``secrets``."""
        both = Redactor(secrets)
        merged = Redactor()
        merged._spellings = sorted({*self._spellings, *both._spellings}, key=len, reverse=True)
        return merged


def environment_secrets() -> tuple[str, ...]:
    """The raw values of the secret variables, as the environment holds them (unstripped)."""
    values = [os.environ.get(name) for name in SECRET_VARIABLES]
    return tuple(v for v in values if v)
