"""What every issue and session query is filtered by: the project, the window, the environments.

Sentry's issue list (``/organizations/{org}/issues/``) and sessions API
(``/organizations/{org}/sessions/``) take ``project``, ``statsPeriod`` and a repeatable
``environment`` query parameter (``shared/reference/sentry-api.md`` §3; OpenAPI
``listAnOrganization'sIssues``/``retrieveReleaseHealthSessionStatistics``). The environments
come from ``Settings.environment_filter``: ``sentry_environment`` when it is set (the command
line, ``SENTRY_ENVIRONMENT`` or the ini); its default filters nothing, so queries cover every
environment as before. The fact fixtures and the prefetch call the same readers with the same
client, so both send the same queries. The smoke event's environment
(``sentry_smoke_environment``) is separate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient


def filtered(client: SentryClient, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` (``project``, ``statsPeriod``, …) and, when the run filters by environment,
    ``environment`` last (the order of the other parameters is kept: recorded cassettes match)."""
    if not client.environments:
        return params
    return {**params, "environment": list(client.environments)}
