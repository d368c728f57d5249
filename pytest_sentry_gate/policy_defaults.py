"""The CI policy's defaults, settled while the settings are resolved (``policy`` decides the exit
code from them at the end of the run). Apart from ``policy`` so that the settings need neither
the report nor the run record: ``settings`` → ``policy_defaults``, never back.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, Final

CI_VARIABLES: Final = ("CI", "GITHUB_ACTIONS")
NOT_CI_VALUES: Final = ("", "false", "0")
PARTIAL: Final = "partial"
FAIL: Final = "fail"
DEFAULT_IN_CI: Final = "default in CI"
DEFAULT_OUTSIDE_CI: Final = "default outside CI"


def ci_variable(environ: Mapping[str, str]) -> str | None:
    """The variable that says this run is in CI (``GITHUB_ACTIONS``), or None."""
    for name in CI_VARIABLES:
        if environ.get(name, "").strip().lower() not in NOT_CI_VALUES:
            return name
    return None


def apply_defaults(
    values: MutableMapping[str, Any], sources: MutableMapping[str, str], environ: Mapping[str, str]
) -> str | None:
    """Settle ``fail_on`` (unset: by CI) and what it implies for the network; return the CI
    variable. Called by ``setting_resolution.resolve`` once the table's rows are parsed."""
    ci = ci_variable(environ)
    if values.get("fail_on") is None:
        values["fail_on"] = PARTIAL if ci else FAIL
        sources["fail_on"] = f"{DEFAULT_IN_CI} ({ci} is set)" if ci else DEFAULT_OUTSIDE_CI
    if values["fail_on"] == PARTIAL and not values.get("require_host_network"):
        values["require_host_network"] = True
        sources["require_host_network"] = f"sentry_fail_on={PARTIAL}"
    return ci
