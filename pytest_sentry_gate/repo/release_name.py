"""The release name: rendered from the template, checked against Sentry's naming rules.

Sentry's rules (docs "Naming Releases", and ``Release.is_valid_version`` with
``BAD_RELEASE_CHARS``/``MAX_VERSION_LENGTH`` in Sentry's ``constants.py``): a release name is not
empty or blank, contains no ``/``, ``\\``, newline, carriage return, tab or form feed, is not
``.``, ``..`` or ``latest`` (reserved), and is at most 200 characters long.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Final

from packaging.version import InvalidVersion, Version

from pytest_sentry_gate.repo.defaults import DEFAULT_TEMPLATE as DEFAULT_TEMPLATE

PLACEHOLDERS: Final = ("project", "version")
MAX_RELEASE_LENGTH: Final = 200
FROM_EXPLICIT: Final = "--sentry-release/SENTRY_RELEASE"
FROM_TEMPLATE: Final = "template {template}"

BAD_TEMPLATE: Final = "Release template {template!r}: {reason}; allowed placeholders: {allowed}"
UNKNOWN_PLACEHOLDER: Final = "unknown placeholder {{{name}}}"

PROBLEM_EMPTY: Final = "The release name is empty or blank; Sentry needs a name."
PROBLEM_SLASH: Final = "The release name {name!r} contains '/', which Sentry does not allow."
PROBLEM_BACKSLASH: Final = "The release name {name!r} contains '\\', which Sentry does not allow."
PROBLEM_CONTROL: Final = (
    "The release name {name!r} contains a {what}; Sentry does not allow newlines, carriage "
    "returns, tabs or form feeds."
)
PROBLEM_DOTS: Final = "The release name {name!r} is reserved by Sentry ('.', '..' and 'latest')."
PROBLEM_LENGTH: Final = (
    "The release name is {length} characters long; Sentry allows at most {limit}."
)

_CONTROL: Final = {"\n": "newline", "\r": "carriage return", "\t": "tab", "\f": "form feed"}
_ALLOWED: Final = ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def template_fields(template: str) -> list[str]:
    """The placeholder names in ``template``; a malformed template is a ``ValueError``."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(
            BAD_TEMPLATE.format(template=template, reason=str(exc), allowed=_ALLOWED)
        ) from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            reason = UNKNOWN_PLACEHOLDER.format(name=name or "")
            raise ValueError(
                BAD_TEMPLATE.format(template=template, reason=reason, allowed=_ALLOWED)
            )
        names.append(name)
    return names


def render_release(template: str, *, project: str, version: str) -> str:
    """Apply the release template; an unknown placeholder is a ``ValueError`` naming it."""
    template_fields(template)
    return template.format(project=project, version=version)


def release_name_problems(name: str) -> list[str]:
    """Every Sentry naming rule ``name`` breaks, as sentences; empty when the name is valid."""
    problems = []
    stripped = name.strip()
    if not stripped:
        problems.append(PROBLEM_EMPTY)
    if "/" in name:
        problems.append(PROBLEM_SLASH.format(name=name))
    if "\\" in name:
        problems.append(PROBLEM_BACKSLASH.format(name=name))
    for char, what in _CONTROL.items():
        if char in name:
            problems.append(PROBLEM_CONTROL.format(name=name, what=what))
    if stripped in (".", "..") or stripped.lower() == "latest":
        problems.append(PROBLEM_DOTS.format(name=name))
    if len(name) > MAX_RELEASE_LENGTH:
        problems.append(PROBLEM_LENGTH.format(length=len(name), limit=MAX_RELEASE_LENGTH))
    return problems


def expected_release(
    *, explicit: str | None, template: str, project: str, version: str | None
) -> tuple[str | None, str]:
    """The release under check and where it came from.

    An explicit ``--sentry-release``/``SENTRY_RELEASE`` wins; otherwise the template is applied
    to the repository version. ``(None, source)`` when the template needs a version and the
    repository has none.
    """
    if explicit:
        return explicit, FROM_EXPLICIT
    source = FROM_TEMPLATE.format(template=template)
    needs_version = "version" in template_fields(template)
    if version is None and needs_version:
        return None, source
    return render_release(template, project=project, version=version or ""), source


def next_patch(version: str) -> str | None:
    """The next patch release: ``1.4.2`` → ``1.4.3``; ``None`` when it is not a version.

    A pre-release goes to its final release (``1.4.2-beta.1`` → ``1.4.2``). A release name
    ``project@1.4.2`` keeps its prefix (``project@1.4.3``); a leading ``v`` is kept.
    """
    prefix, at, bare = version.rpartition("@")
    head = prefix + at
    v_prefix = "v" if bare[:1] in ("v", "V") else ""
    try:
        parsed = Version(bare)
    except InvalidVersion:
        return None
    major, minor, micro = (*parsed.release, 0, 0)[:3]
    if parsed.is_prerelease and not parsed.is_postrelease:
        return f"{head}{v_prefix}{major}.{minor}.{micro}"
    return f"{head}{v_prefix}{major}.{minor}.{micro + 1}"


@dataclass(frozen=True)
class ReleaseTarget:
    """The release under check: its name (None when it cannot be known) and where it came from."""

    name: str | None
    source: str
    version: str | None
