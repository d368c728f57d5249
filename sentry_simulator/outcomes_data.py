"""What happened to the events after ingestion said 200, and where the release went since
(``shared/reference/sentry-api.md`` §13 "Outcomes" and "Ingestion answers"), for tests and
``--scenario`` alike.

- ``add_outcome``: one row of the organization's outcomes (what ``stats_v2`` sums).
- ``add_dropped_events``: a day of accepted errors and, beside them, errors dropped for a reason:
  by default a quota (``rate_limited``/``usage_exceeded``) and an inbound filter
  (``filtered``/``browser-extensions``); the ingestion of a discarded hash adds its own
  ``filtered``/``discarded-hash`` row (``ingest.store_event``).
- ``add_deploy``: a deploy of a release to an environment (what ``sentry-cli releases deploys
  new`` records), served by ``…/releases/{version}/deploys/`` and as the release's
  ``lastDeploy``.
"""

from __future__ import annotations

from typing import Final

from .data import SimulatorData
from .model import Deploy, OutcomeRow

HOUR: Final = 3600
#: (outcome, reason, category, quantity) dropped by ``add_dropped_events`` unless told otherwise.
DROPPED: Final = (
    ("rate_limited", "usage_exceeded", "error", 120),
    ("filtered", "browser-extensions", "error", 7),
)


def add_outcome(
    data: SimulatorData,
    *,
    project: str | int,
    outcome: str,
    category: str = "error",
    quantity: int = 1,
    reason: str | None = None,
    at: int | None = None,
) -> OutcomeRow:
    """One outcome row of ``project`` (a slug or id) at ``at`` (default: now)."""
    with data.lock:
        pid = data._project_arg(project, None).id
        row = OutcomeRow(pid, data.now_epoch if at is None else at, outcome, category, quantity,
                         reason)  # fmt: skip
        data.outcomes.append(row)
        data.version += 1
    return row


def add_dropped_events(
    data: SimulatorData,
    *,
    project: str,
    accepted: int = 400,
    dropped: tuple[tuple[str, str, str, int], ...] = DROPPED,
    hours_ago: int = 3,
) -> None:
    """A day of ``accepted`` errors spread over 24 hours, and the ``dropped`` rows ``hours_ago``
    hours ago."""
    now = data.now_epoch
    for hour in range(24):
        add_outcome(data, project=project, outcome="accepted", quantity=accepted // 24,
                    at=now - hour * HOUR)  # fmt: skip
    for outcome, reason, category, quantity in dropped:
        add_outcome(data, project=project, outcome=outcome, reason=reason, category=category,
                    quantity=quantity, at=now - hours_ago * HOUR)  # fmt: skip


def add_deploy(
    data: SimulatorData,
    release: str,
    *,
    environment: str = "production",
    finished: int,
    started: int | None = None,
    name: str | None = None,
) -> Deploy:
    """A deploy of ``release`` to ``environment`` that finished at ``finished`` (epoch), named
    ``name`` (default ``deploy <id>``: the release's ``lastDeploy.name`` is a required string in
    Sentry's schema)."""
    with data.lock:
        item = data.releases[release]
        number = 1 + sum(len(r.deploys) for r in data.releases.values())
        deploy = Deploy(number, environment, finished, started, name or f"deploy {number}")
        item.deploys.append(deploy)
        data.version += 1
    return deploy
