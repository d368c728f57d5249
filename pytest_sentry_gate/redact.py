"""Hide secrets in text, in every form a message can carry them.

A token reaches a message in more shapes than its own: ``repr`` and escaped forms (a trailing
newline shows as ``\\n``), a bytes repr (httpx's ``Illegal header value b'Bearer <token>\\n'``),
URL-encoded (``%0A``, ``+``), JSON-escaped, cut at surrounding whitespace, or inside base64 (a
``Basic`` header, an encoded payload: standard and URL-safe alphabets, at each of the three byte
alignments). ``Redactor`` is built once from the secrets of a run and replaces each of these
forms in one pass, longest first.

A spelling of ``MIN_PIECE`` characters or more is masked wherever it appears. A shorter one (a
test token such as ``tok``) is masked only as a whole token, never inside a word: it must not be
preceded or followed by a letter, digit, ``_`` or ``-`` (``tok`` is masked in ``Bearer tok``,
not in ``token``). Base64 forms are kept for secrets of ``MIN_PIECE`` characters or more only.

``active()`` is the redactor of the run in progress (installed at configure time), for text
that is cut to a length far from the output it reaches: redact first, then cut. It imports
neither httpx nor pytest: the client and the plugin's verdict path share it.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, quote_plus, urlsplit

MASK: Final = "[redacted]"
#: Spellings at least this long are masked anywhere; shorter ones only as a whole token.
#: Pieces of a secret (split at whitespace or control characters) shorter than this stay
#: visible: masking a two-letter piece everywhere would mangle every message and protect nothing.
MIN_PIECE: Final = 8
#: What a short secret may not touch on either side to be masked (it would be inside a word).
WORD_CHAR: Final = "A-Za-z0-9_-"
#: Variables whose raw value is a secret even before settings strip or refuse it.
SECRET_VARIABLES: Final = ("SENTRY_AUTH_TOKEN", "SENTRY_DSN")
_SPLIT: Final = re.compile(r"[\s\x00-\x1f\x7f]+")
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_URL_USERINFO: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_QUERY_VALUE: Final = re.compile(r"([?&;][^=&;#]*=)[^&;#]*")
_FRAGMENT: Final = re.compile(r"#.+$")
URL_MASK: Final = "***"


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
    for text in {secret, core}:
        spellings |= base64_forms(text)
    return {s for s in spellings if s}


def base64_forms(secret: str) -> set[str]:
    """The characters that encode ``secret`` inside any base64 text, whatever precedes it: at
    each of the three byte alignments, the run of characters that depends on its bytes only,
    in the standard and the URL-safe alphabet (none for a secret shorter than ``MIN_PIECE``)."""
    data = secret.encode("utf-8", "backslashreplace")
    if len(secret) < MIN_PIECE:
        return set()
    found: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        start = -(-8 * offset // 6)  # the first character whose six bits are all the secret's
        end = 8 * (offset + len(data)) // 6  # past the last such character
        core = encoded[start:end]
        found |= {core, core.translate(str.maketrans("+/", "-_"))}
    return found


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


def mask_url(url: str) -> str:
    """One URL made printable: its userinfo is ``***@``, each query value and the fragment
    ``***`` (``?token=…`` carries a secret as well as ``user:pass@`` does)."""
    return mask_query(_URL_USERINFO.sub(rf"\1{URL_MASK}@", url, count=1))


def mask_query(url: str) -> str:
    """``url`` with each query value and the fragment replaced by ``***``."""
    head, hash_, fragment = url.partition("#")
    head = _QUERY_VALUE.sub(rf"\1{URL_MASK}", head) if "?" in head else head
    return head + (hash_ + URL_MASK if fragment else hash_)


def mask_urls(text: str) -> str:
    """``text`` with every URL in it masked as ``mask_url`` does (a command, a message)."""
    return _URL.sub(lambda m: mask_url(m.group(0)), text)


class Redactor:
    """Replaces every form of the given secrets with ``[redacted]``, in one pass."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        spellings: set[str] = set()
        for secret in secrets:
            if secret:
                spellings |= forms(str(secret))
        self._spellings = frozenset(spellings)
        self._pattern = _pattern(self._spellings)

    def __bool__(self) -> bool:
        return bool(self._spellings)

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def add(self, *secrets: str | None) -> Redactor:
        """A redactor that also hides ``secrets``."""
        merged = Redactor()
        merged._spellings = self._spellings | Redactor(secrets)._spellings
        merged._pattern = _pattern(merged._spellings)
        return merged


def _pattern(spellings: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(spellings, key=lambda s: (-len(s), s))
    anywhere = [re.escape(s) for s in ordered if len(s) >= MIN_PIECE]
    whole = [re.escape(s) for s in ordered if len(s) < MIN_PIECE]
    parts = []
    if anywhere:
        parts.append("|".join(anywhere))
    if whole:
        parts.append(rf"(?<![{WORD_CHAR}])(?:{'|'.join(whole)})(?![{WORD_CHAR}])")
    return re.compile("|".join(parts)) if parts else None


_ACTIVE: list[Redactor] = [Redactor()]


def active() -> Redactor:
    """The redactor of the run in progress (one that hides nothing outside a run)."""
    return _ACTIVE[-1]


def use(redactor: Redactor) -> None:
    """Make ``redactor`` the run's (``active()``) until ``release()``."""
    _ACTIVE.append(redactor)


def release(redactor: Redactor) -> None:
    """Stop using ``redactor`` (the one before it is active again)."""
    if redactor in _ACTIVE[1:]:
        _ACTIVE.remove(redactor)


def environment_secrets() -> tuple[str, ...]:
    """The raw values of the secret variables, as the environment holds them (unstripped)."""
    values = [os.environ.get(name) for name in SECRET_VARIABLES]
    return tuple(v for v in values if v)
