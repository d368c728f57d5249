"""The token as Sentry sees it: ``GET /api/0/`` names its scopes and whether a user is behind it.

Sentry always answers the API root with an object holding ``auth`` (``null`` without an accepted
token, else ``{"scopes": [...]}``) and ``user`` (reference §1). Any other shape (``null``, ``{}``,
a list, ``auth`` without a scope list) is a malformed answer, never a rejected token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate.errors import MalformedResponse
from pytest_sentry_gate.sentry import endpoints

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient

NOT_ROOT: Final = 'expected {{"auth": null or {{"scopes": [...]}}, "user": ...}}, got {found}'


@dataclass(frozen=True)
class AuthFacts:
    """What the API root says about the token (scopes as Sentry lists them: already expanded)."""

    authenticated: bool
    scopes: tuple[str, ...]
    has_user: bool

    @property
    def org_ci_only(self) -> bool:
        """An organization auth token: ``org:ci`` only, and no user behind it."""
        return self.scopes == ("org:ci",) and not self.has_user

    @property
    def kind(self) -> str:
        if self.org_ci_only:
            return "organization (org:ci)"
        return "user" if self.has_user else "internal integration or unknown"


def _shape(data: Any) -> str:
    if isinstance(data, dict):
        keys = ", ".join(sorted(str(k) for k in data)[:8])
        return f"an object with keys [{keys}]" if keys else "an empty object"
    return "null" if data is None else f"a JSON {type(data).__name__}"


def read_auth(client: SentryClient) -> AuthFacts:
    """Read the API root once (the client caches it for the session)."""
    path = endpoints.ROOT.path()
    data = client.get_json(path)
    auth = data.get("auth", False) if isinstance(data, dict) else False
    scopes = auth.get("scopes") if isinstance(auth, dict) else None
    if auth is False or (auth is not None and not isinstance(scopes, list)):
        found = _shape(data) if auth is False else f'"auth": {_shape(auth)}'
        raise MalformedResponse(path, NOT_ROOT.format(found=found))
    return AuthFacts(
        authenticated=auth is not None,
        scopes=tuple(sorted(str(s) for s in scopes)) if isinstance(scopes, list) else (),
        has_user=data.get("user") is not None,
    )
