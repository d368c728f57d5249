"""Organization and project slugs: confirm the configured one, or discover the only candidate.

A configured slug that exists is used. A configured slug that does not exist fails, listing the
candidates and the closest match. A missing slug with exactly one candidate is auto-selected
(unless ``--no-auto-slug-discovery``) and the evidence says so; several candidates fail,
listing them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate import errors
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.sentry.responses import expect
from pytest_sentry_gate.text import first_of

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient

CANDIDATES_SHOWN: Final = 20
SLUG_PAGES: Final = 10
WRONG_SLUG: Final = (
    "{what} {slug!r} ({source}) does not exist or is not visible to this token. "
    "Candidates: {candidates}.{closest}"
)
NO_SLUG: Final = "No {what} is set ({flag}, {env} or .sentryclirc) and {why}."
SHAPES: Final = {"Organization": "an organization object", "Project": "a project object"}
#: The setting (``settings.ROWS``) each kind of slug is.
SETTINGS: Final = {"Organization": "org", "Project": "projects"}


@dataclass(frozen=True)
class Resolution:
    """How a slug was settled: configured, auto-selected, and which candidates were seen."""

    slug: str
    auto_selected: bool
    candidates: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "auto_selected": self.auto_selected,
            "candidates": list(self.candidates),
        }


def resolve_org(client: SentryClient, slug: str | None, *, source: str, auto: bool) -> Resolution:
    """Confirm or discover the organization."""
    if slug is not None:
        return _confirm(
            client,
            endpoints.ORGANIZATION.path(org=slug),
            slug,
            source,
            lambda: _slugs(client, endpoints.ORGANIZATIONS.path()),
            "Organization",
        )
    candidates = _slugs(client, endpoints.ORGANIZATIONS.path())
    return _discover(candidates, auto, "organization", "--sentry-org", "SENTRY_ORG", "org")


def resolve_project(
    client: SentryClient, org: str, slug: str | None, *, source: str, auto: bool
) -> Resolution:
    """Confirm or discover a project of ``org``."""
    listing = endpoints.ORG_PROJECTS.path(org=org)
    if slug is not None:
        return _confirm(
            client,
            endpoints.PROJECT.path(org=org, project=slug),
            slug,
            source,
            lambda: _slugs(client, listing),
            "Project",
        )
    found = _slugs(client, listing)
    return _discover(found, auto, "project", "--sentry-project", "SENTRY_PROJECT", "projects")


def _confirm(
    client: SentryClient, path: str, slug: str, source: str, candidates: Any, what: str
) -> Resolution:
    try:
        data = client.get_json(path)
    except errors.NotFound:
        found: tuple[str, ...] = candidates()
        close = difflib.get_close_matches(slug, found, n=1, cutoff=0.5)
        closest = f" Closest match: {close[0]!r}." if close else ""
        raise errors.SlugError(
            WRONG_SLUG.format(
                what=what,
                slug=slug,
                source=source,
                candidates=first_of(found, limit=CANDIDATES_SHOWN, sep=", ") or "none",
                closest=closest,
            ),
            candidates=found,
            setting=SETTINGS[what],
            given=slug,
            suggested=close[0] if close else None,
        ) from None
    expect(data, dict, path, SHAPES[what])
    return Resolution(slug=slug, auto_selected=False, candidates=())


def _discover(
    candidates: tuple[str, ...], auto: bool, what: str, flag: str, env: str, setting: str
) -> Resolution:
    if len(candidates) == 1 and auto:
        return Resolution(slug=candidates[0], auto_selected=True, candidates=candidates)
    if not candidates:
        why = "this token sees none"
    elif len(candidates) == 1:
        why = f"auto-discovery is off (the only candidate is {candidates[0]!r})"
    else:
        shown = first_of(candidates, limit=CANDIDATES_SHOWN, sep=", ")
        why = f"several candidates exist: {shown}"
    raise errors.SlugError(
        NO_SLUG.format(what=what, flag=flag, env=env, why=why),
        candidates=candidates,
        setting=setting,
        suggested=candidates[0] if len(candidates) == 1 else None,
    )


def _slugs(client: SentryClient, path: str) -> tuple[str, ...]:
    """The slugs the token sees (the first ``SLUG_PAGES`` pages: a list for a message)."""
    listing = client.collect(path, {"per_page": 100}, max_pages=SLUG_PAGES)
    return tuple(sorted(str(e.get("slug")) for e in listing.items if isinstance(e, dict)))
