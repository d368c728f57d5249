"""Privacy scanning of event payloads: unscrubbed personal data, found by field path and masked.

``PATTERNS`` is the documented list (extend it with ``scan(payload, patterns=(*PATTERNS, mine))``):

========== ===============================================================================
kind       what it finds
========== ===============================================================================
email      ``local@domain.tld``
ipv4       dotted quads of valid octets, except ``0.0.0.0``, loopback ``127.0.0.0/8``, a
           product version (``Chrome/131.0.0.0``) and a value under a ``version`` key
ipv6       valid IPv6 addresses, except ``::`` and loopback ``::1``
home_path  ``/Users/<name>``, ``/home/<name>``, ``C:\\Users\\<name>`` (either slash), except CI
           accounts (``runner``, ``circleci``, …), paths inside a URL and app routes
           (``url``, ``transaction``, ``route``, ``from``, ``to`` values: ``/home/settings``)
secret     Sentry tokens (``sntrys_``, ``sntryu_``), GitHub (``ghp_``, ``gho_``, ``ghs_``,
           ``github_pat_``), OpenAI-style ``sk-``, AWS access key ids (``AKIA…``/``ASIA…``),
           ``password=``/``token:``-style pairs, and any value under a key such as ``password``
========== ===============================================================================

Sentry's own scrubbing markers (``[Filtered]``, ``[email]``, ``[ip]``, ``[user]``, any
``[word]``) count as scrubbed: a marker is never a finding. An event's ``_meta`` (Sentry's record
of what it scrubbed: ``rem``, ``chunks[].rule_id``) and its ``release`` object (commit authors are
the team, not the user) are never scanned (``shared/reference/sentry-api.md`` §13 "Events");
``scrub_records`` lists the rules ``_meta`` names, as evidence that scrubbing happened. A tag
``{"key": k, "value": v}`` is scanned as a value under the key ``k``. Each pattern's named
groups starting with ``m`` are the personal part; ``mask`` keeps their first character and
replaces the rest with ``***``, so a finding shows where and what kind, never the value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

MASK: Final = "***"
MARKER: Final = re.compile(r"^\[[A-Za-z][A-Za-z _-]*\]$")
SENSITIVE_KEYS: Final = re.compile(
    r"^(password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|token)$", re.I
)


@dataclass(frozen=True)
class Pattern:
    """One kind of personal data: a regex whose ``m…`` groups are masked, and an optional veto."""

    kind: str
    regex: re.Pattern[str]
    description: str
    allow: Callable[[str], bool] | None = None
    #: Values under these keys are not scanned for this kind (routes, versions).
    skip_keys: frozenset[str] = frozenset()


def _public_ip(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return True  # not an address after all (e.g. a version string): allowed
    return address.is_loopback or address.is_unspecified


#: Accounts of hosted CI runners: a build path under them names no person.
CI_ACCOUNTS: Final = frozenset(
    {"runner", "runneradmin", "circleci", "distiller", "vsts", "vssadministrator", "travis",
     "gitlab-runner", "jenkins", "buildkite-agent", "public", "default", "shared"}
)  # fmt: skip
#: Top-level parts of an event detail that are not the user's data.
NOT_PAYLOAD: Final = frozenset({"_meta", "release"})
ROUTE_KEYS: Final = frozenset({"url", "transaction", "route", "from", "to"})
VERSION_KEYS: Final = frozenset({"version", "kernel_version", "build", "sdk_version"})


def _ci_account(text: str) -> bool:
    return re.split(r"[\\/]+", text.rstrip("\\/"))[-1].lower() in CI_ACCOUNTS


#: Secret-like values: known token prefixes, AWS key ids, ``password=…``-style pairs. The
#: cassette scrubber (``replay``) removes what this finds too, so the two cannot drift apart.
SECRET_VALUE: Final = re.compile(
    r"\b(?:sntry[su]_|gh[pousr]_|github_pat_|sk-)(?P<m>[A-Za-z0-9_=+/-]{16,})"
    r"|\b(?:AKIA|ASIA)(?P<m2>[0-9A-Z]{16})\b"
    r"|\b(?:password|passwd|pwd|secret|api[_-]?key|token)\s*[=:]\s*(?P<m3>[^\s&,;\"'\[][^\s&,;\"']*)",
    re.I,
)

PATTERNS: Final[tuple[Pattern, ...]] = (
    Pattern(
        "email",
        re.compile(
            r"(?<![\w.+-])(?P<m1>[A-Za-z0-9._%+-]+)@(?P<m2>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)"
            r"\.[A-Za-z]{2,}\b"
        ),
        "an email address",
    ),
    Pattern(
        "ipv4",
        re.compile(
            r"(?<![\w.])(?<![A-Za-z]/)(?:25[0-5]|2[0-4]\d|1?\d?\d)"
            r"(?P<m>(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})(?![\d.])"
        ),
        "an IPv4 address outside 0.0.0.0 and loopback",
        allow=_public_ip,
        skip_keys=VERSION_KEYS,
    ),
    Pattern(
        "ipv6",
        re.compile(r"(?<![\w:])(?P<m>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:])"),
        "an IPv6 address outside :: and loopback",
        allow=_public_ip,
    ),
    Pattern(
        "home_path",
        re.compile(
            r"(?:(?<![\w.:~-])(?:/Users/|/home/)|\b[A-Za-z]:[\\/]+Users[\\/]+)"
            r"(?P<m>[A-Za-z0-9._-]+)"
        ),
        "a home-directory path naming a user",
        allow=_ci_account,
        skip_keys=ROUTE_KEYS,
    ),
    Pattern(
        "secret",
        SECRET_VALUE,
        "a secret-like value (known token prefix, AWS key id, password=… pair)",
    ),
)


@dataclass(frozen=True)
class Finding:
    """Personal data found at ``path`` (``user.email``, ``tags[3].value``), shown masked."""

    kind: str
    path: str
    masked: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "masked": self.masked}


def mask(match: re.Match[str]) -> str:
    """The match with each ``m…`` group reduced to its first character and ``***``."""
    text, base, out, cursor = match.group(0), match.start(), [], 0
    for name, value in match.groupdict().items():
        if not name.startswith("m") or not value:
            continue
        start, end = match.start(name) - base, match.end(name) - base
        out.append(text[cursor:start] + value[:1] + MASK)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """(path, key, text) for every string (and every key) in a JSON value; a tag's value is
    under its tag key."""
    if isinstance(value, dict):
        tag = value.get("key") if isinstance(value.get("value"), str) else None
        for key, item in value.items():
            if isinstance(tag, str) and key == "value":
                yield f"{path}.value", tag, str(item)
                continue
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key), str(key)
            yield from _walk(item, child)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _walk(item, f"{path}[{n}]")
    elif isinstance(value, str):
        yield path, path.rpartition(".")[2], value


def scan(payload: Any, *, patterns: tuple[Pattern, ...] = PATTERNS) -> list[Finding]:
    """Every unscrubbed match in ``payload`` (an event as the API returns it), masked."""
    findings: list[Finding] = []
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k not in NOT_PAYLOAD}
    for path, key, text in _walk(payload, ""):
        if MARKER.match(text.strip()):
            continue
        if text != key and SENSITIVE_KEYS.match(key) and text:
            findings.append(Finding("secret", path, text[:1] + MASK))
            continue
        for pattern in patterns:
            if key in pattern.skip_keys:
                continue
            for match in pattern.regex.finditer(text):
                if pattern.allow is not None and pattern.allow(match.group(0)):
                    continue
                findings.append(Finding(pattern.kind, path, mask(match)))
    return findings


def scrub_records(payload: Any) -> list[str]:
    """The rules Sentry's ``_meta`` says it applied (``@password:filter``), sorted, each once."""
    rules: set[str] = set()
    stack = [payload.get("_meta") if isinstance(payload, dict) else None]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for rem in value.get("rem") or () if isinstance(value.get("rem"), list) else ():
                if isinstance(rem, list) and rem and isinstance(rem[0], str):
                    rules.add(rem[0])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return sorted(rules)
