"""The token as Sentry sees it: ``GET /api/0/`` names its scopes and whether a user is behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_sentry_gate.sentry import endpoints

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient


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


def read_auth(client: SentryClient) -> AuthFacts:
    """Read the API root once (the client caches it for the session)."""
    data = client.get_json(endpoints.ROOT.path())
    auth = data.get("auth") if isinstance(data, dict) else None
    scopes = auth.get("scopes") if isinstance(auth, dict) else None
    return AuthFacts(
        authenticated=auth is not None,
        scopes=tuple(sorted(str(s) for s in scopes)) if isinstance(scopes, list) else (),
        has_user=isinstance(data, dict) and data.get("user") is not None,
    )
