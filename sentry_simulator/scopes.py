"""How Sentry judges a token's scopes: the hierarchy, the 403 it answers, and the challenge.

``SENTRY_SCOPE_HIERARCHY_MAPPING`` (``src/sentry/conf/server.py``): ``org:admin`` grants
``org:write`` and ``org:read``, and so on for ``project``, ``event``, ``team`` and ``member``;
``project:releases`` and ``org:ci`` grant only themselves. ``GET /api/0/`` lists the scopes already
expanded and sorted. A 403 body never names a scope; SaaS (getsentry/sentry#118612) adds
``WWW-Authenticate: Bearer error="insufficient_scope", scope="…"``, older and self-hosted
servers do not (``Simulator(scope_challenge=…)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

LEVELS: Final = ("read", "write", "admin")
KINDS: Final = ("org", "project", "event", "team", "member")
CHALLENGE: Final = 'Bearer realm="api", error="insufficient_scope", scope="{scopes}"'


def expand(scopes: Iterable[str]) -> tuple[str, ...]:
    """The scopes with everything they imply, sorted (as ``GET /api/0/`` lists them)."""
    held: set[str] = set()
    for scope in scopes:
        held.add(scope)
        kind, _, level = scope.partition(":")
        if kind in KINDS and level in LEVELS:
            held.update(f"{kind}:{lower}" for lower in LEVELS[: LEVELS.index(level) + 1])
    return tuple(sorted(held))


def challenge(required: Iterable[str]) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 403 for an endpoint granted by ``required``."""
    return {"WWW-Authenticate": CHALLENGE.format(scopes=" ".join(sorted(required)))}
