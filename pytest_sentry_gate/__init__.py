"""pytest-sentry-gate: a Sentry production runbook as pytest checks.

The public surface for an app repository's own checks: the verdict record a check writes to
(``Check``, the ``sentry_check`` fixture), the statuses, the facts the fixtures hand out, the
settings and the error tree. Everything else is private. Names are imported on first use, so that
an installed but unused plugin imports neither httpx nor vcrpy.

PYTEST_DONT_REWRITE: the plugin is imported before pytest could rewrite its asserts.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_sentry_gate.errors import (
        ApiError,
        NetworkUnavailable,
        RepoFileError,
        SentryGateError,
        SlugError,
    )
    from pytest_sentry_gate.repo.release_name import ReleaseTarget
    from pytest_sentry_gate.repo.versions import VersionReport
    from pytest_sentry_gate.sentry.auth import AuthFacts
    from pytest_sentry_gate.sentry.client import ClientConfig
    from pytest_sentry_gate.sentry.discovery import Resolution
    from pytest_sentry_gate.sentry.release_facts import ReleaseLookup, SymbolicationFacts
    from pytest_sentry_gate.sentry.uploads import Uploaded
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import FAIL, PARTIAL, PASS, SKIP, Check

_PUBLIC = {
    "ApiError": "pytest_sentry_gate.errors",
    "AuthFacts": "pytest_sentry_gate.sentry.auth",
    "Check": "pytest_sentry_gate.verdict",
    "ClientConfig": "pytest_sentry_gate.sentry.client",
    "FAIL": "pytest_sentry_gate.verdict",
    "NetworkUnavailable": "pytest_sentry_gate.errors",
    "PARTIAL": "pytest_sentry_gate.verdict",
    "PASS": "pytest_sentry_gate.verdict",
    "ReleaseLookup": "pytest_sentry_gate.sentry.release_facts",
    "ReleaseTarget": "pytest_sentry_gate.repo.release_name",
    "RepoFileError": "pytest_sentry_gate.errors",
    "Resolution": "pytest_sentry_gate.sentry.discovery",
    "SKIP": "pytest_sentry_gate.verdict",
    "SentryGateError": "pytest_sentry_gate.errors",
    "Settings": "pytest_sentry_gate.settings",
    "SlugError": "pytest_sentry_gate.errors",
    "SymbolicationFacts": "pytest_sentry_gate.sentry.release_facts",
    "Uploaded": "pytest_sentry_gate.sentry.uploads",
    "VersionReport": "pytest_sentry_gate.repo.versions",
}

__all__ = [
    "FAIL",
    "PARTIAL",
    "PASS",
    "SKIP",
    "ApiError",
    "AuthFacts",
    "Check",
    "ClientConfig",
    "NetworkUnavailable",
    "ReleaseLookup",
    "ReleaseTarget",
    "RepoFileError",
    "Resolution",
    "SentryGateError",
    "Settings",
    "SlugError",
    "SymbolicationFacts",
    "Uploaded",
    "VersionReport",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
