"""The incident's mitigation and rollback, as far as Sentry's deploys tell them.

``GET /api/0/organizations/{org}/releases/{version}/deploys/`` answers a release's deploys,
``[{"id", "environment", "dateStarted", "dateFinished", "name", "url"}]`` (OpenAPI
``listOrganizationReleaseDeploys``; scopes ``project:read``/``project:releases``/``org:ci``).
The project's newest releases (``…/releases/?project=<id>``, newest first: ``read_releases``, which
needs only the project id), then each one's deploys, read together; then, in the environment under
check:

- the newest deploy after the affected release's own is a newer release (rolled forward) or an
  older one (rolled back);
- each affected issue last seen before that deploy looks mitigated by it; one seen after it is
  still happening.

Everything said is inferred and says so; what Sentry cannot know is left to the person on call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pytest_sentry_gate import errors
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.sentry.client import SentryClient, gather
from pytest_sentry_gate.sentry.incident import IncidentFacts

#: The newest releases whose deploys are read (the affected one is added when older).
RELEASES: Final = 10
INFERRED: Final = "inferred from Sentry's deploys and last-seen times: confirm it"
NO_RELEASE: Final = "no affected event names a release: nothing to compare deploys with"
NO_DEPLOY: Final = (
    "Sentry has no deploy of {release} to {environment} (sentry-cli releases deploys new records "
    "them): mitigation and rollback are left for the person on call"
)
UNREAD: Final = "the deploys could not be read ({error}): left for the person on call"


@dataclass(frozen=True)
class Deploy:
    """One deploy of ``release`` (``finished``: ISO-8601, compared as text in UTC ``Z`` form)."""

    release: str
    environment: str
    finished: str


@dataclass(frozen=True)
class Mitigation:
    """What the deploys say: the two checklist fields (empty when nothing can be said) and why."""

    mitigation: str = ""
    rollback: str = ""
    note: str | None = None
    deploys: tuple[Deploy, ...] = ()

    @property
    def inferred(self) -> bool:
        return bool(self.mitigation or self.rollback)

    def evidence(self) -> dict[str, Any]:
        return {
            "note": self.note,
            "deploys": [
                {"release": d.release, "environment": d.environment, "finished": d.finished}
                for d in self.deploys
            ],
        }


def _deploys(release: str, data: Any) -> list[Deploy]:
    found = []
    for row in data if isinstance(data, list) else ():
        if isinstance(row, dict) and row.get("dateFinished") and row.get("environment"):
            found.append(Deploy(release, str(row["environment"]), _utc(str(row["dateFinished"]))))
    return found


def infer(
    facts: IncidentFacts, affected: str, environment: str, order: list[str], deploys: list[Deploy]
) -> Mitigation:
    """The checklist fields from the deploys to ``environment``. ``order`` lists the releases
    newest first (Sentry's release order), so "newer" and "older" are Sentry's, not a guess."""
    here = sorted((d for d in deploys if d.environment == environment), key=lambda d: d.finished)
    mine = [d for d in here if d.release == affected]
    if not mine:
        return Mitigation(note=NO_DEPLOY.format(release=affected, environment=environment),
                          deploys=tuple(here))  # fmt: skip
    since = mine[-1]
    later = [d for d in here if d.finished > since.finished and d.release != affected]
    if not later:
        still = f"{affected} is still the latest deploy to {environment} (since {since.finished})"
        return Mitigation(
            mitigation=f"no later deploy to {environment}: {still}; {INFERRED}",
            rollback=f"not rolled back: {still}; {INFERRED}",
            deploys=tuple(here),
        )
    after = later[-1]
    rank = {v: n for n, v in enumerate(order)}
    older = rank.get(after.release, -1) > rank.get(affected, -1)
    move = f"{after.release} was deployed to {environment} at {after.finished}, after {affected}"
    seen = []
    for item in facts.affected:
        when = item.last_seen
        status = f"unresolved, {item.substatus}" if item.substatus else "unresolved"
        if when is None:
            seen.append(f"{item.issue} ({status}): last seen unknown")
        elif _utc(when) < after.finished:
            seen.append(f"{item.issue} ({status}) last seen {when}, before it: mitigated by it")
        else:
            seen.append(f"{item.issue} ({status}) last seen {when}, after it: still happening")
    rollback = (
        f"rolled back to the older release {after.release} at {after.finished}"
        if older
        else f"no rollback seen: rolled forward to the newer release {after.release}"
    )
    return Mitigation(
        mitigation=f"{move}; " + "; ".join(seen) + f" ({INFERRED})",
        rollback=f"{rollback} ({INFERRED})",
        deploys=tuple(here),
    )


def _utc(text: str) -> str:
    """Sentry's ``…+00:00`` and ``…Z`` forms compare as the same text."""
    return text.replace("+00:00", "Z").split(".")[0].removesuffix("Z") + "Z"


def read_releases(client: SentryClient, org: str, project_id: str) -> tuple[str, ...]:
    """The project's ``RELEASES`` newest release versions, newest first (Sentry's order). It
    needs only the project id: the prefetch reads it beside the incident's issue query."""
    listing = client.get_json(
        endpoints.RELEASES.path(org=org), {"project": project_id, "per_page": RELEASES}
    )
    rows = listing if isinstance(listing, list) else ()
    found = [str(r["version"]) for r in rows if isinstance(r, dict) and r.get("version")]
    return tuple(found[:RELEASES])


def read_mitigation(
    client: SentryClient,
    org: str,
    facts: IncidentFacts,
    newest: Callable[[], tuple[str, ...]],
    *,
    environment: str,
) -> Mitigation:
    """The project's newest releases (``newest``: ``read_releases``, asked only when an affected
    event names a release) and the affected one, each one's deploys read together, then
    ``infer``. A failed read is said, never a verdict: the checklist is a record."""
    affected = facts.checklist()["affected_release"]
    if affected is None:
        return Mitigation(note=NO_RELEASE)
    try:
        order = list(newest())
        order = order if affected in order else [*order, affected]
        paths = [endpoints.RELEASE_DEPLOYS.path(org=org, version=v) for v in order]
        answers = gather([functools.partial(client.get_json, p) for p in paths])
    except errors.SentryGateError as error:
        return Mitigation(note=UNREAD.format(error=error))
    deploys: list[Deploy] = []
    for version, answer in zip(order, answers, strict=True):
        if isinstance(answer, errors.SentryGateError):
            return Mitigation(note=UNREAD.format(error=answer))
        deploys += _deploys(version, answer)
    return infer(facts, affected, environment, order, deploys)
