"""The plugin's fixtures: settings, the org/project/repository, the network probe, the client.

Each is session-scoped where it is read-only, and each can be overridden from a ``conftest.py``
(for example to point ``sentry_client`` at a test server).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_sentry_gate import errors
from pytest_sentry_gate.state import GATE_KEY, RUN_KEY, SETTINGS_KEY, check_id, item_mode

# Only what the fixtures' bodies need is imported there, when first used: the plugin imports
# this module at start-up, and an unused plugin must cost nothing measurable.
if TYPE_CHECKING:
    from pytest_sentry_gate import settings
    from pytest_sentry_gate.client import SentryClient
    from pytest_sentry_gate.discovery import Resolution
    from pytest_sentry_gate.network import ProbeResult
    from pytest_sentry_gate.repo.release import ReleaseTarget
    from pytest_sentry_gate.repo.versions import VersionReport
    from pytest_sentry_gate.verdict import Gate


@pytest.fixture(scope="session")
def sentry_settings(pytestconfig: pytest.Config) -> settings.Settings:
    """The resolved pytest-sentry-gate settings (flags > env > ini > .sentryclirc > default)."""
    conf = pytestconfig.stash.get(SETTINGS_KEY, None)
    if conf is None:
        from pytest_sentry_gate.settings import resolve

        conf = resolve(pytestconfig)
        pytestconfig.stash[SETTINGS_KEY] = conf
    return conf


@pytest.fixture(scope="session")
def repo_root(sentry_settings: settings.Settings) -> Path:
    """The app repository the checks read."""
    return sentry_settings.repo_root


@pytest.fixture(scope="session")
def network_probe(sentry_settings: settings.Settings) -> ProbeResult:
    """DNS resolution then a TCP connect to the Sentry host, once per session."""
    from pytest_sentry_gate.network import probe

    return probe(sentry_settings.url)


@pytest.fixture(scope="session")
def sentry_client(
    sentry_settings: settings.Settings, network_probe: ProbeResult
) -> Iterator[SentryClient]:
    """The read-only Sentry API client; a check using it is PARTIAL when the host is unreachable."""
    if not network_probe.ok:
        raise errors.NetworkUnavailable(
            network_probe.host, network_probe.stage, network_probe.detail
        )
    if sentry_settings.token is None:
        raise errors.TokenMissing()
    import httpx

    from pytest_sentry_gate.client import SentryClient

    timeout = sentry_settings.http_timeout
    client = SentryClient(
        base_url=sentry_settings.url,
        token=sentry_settings.token,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        allow_envelope=sentry_settings.send_test_event,
    )
    with client:
        yield client


@pytest.fixture(scope="session")
def org_resolution(sentry_settings: settings.Settings, sentry_client: SentryClient) -> Resolution:
    """How the organization slug was settled (configured or auto-selected)."""
    from pytest_sentry_gate.discovery import resolve_org

    return resolve_org(
        sentry_client,
        sentry_settings.org,
        source=sentry_settings.sources.get("org", "default"),
        auto=sentry_settings.auto_slug_discovery,
    )


@pytest.fixture(scope="session")
def sentry_org(org_resolution: Resolution) -> str:
    """The Sentry organization slug."""
    return org_resolution.slug


@pytest.fixture(scope="session")
def project_resolution(
    sentry_settings: settings.Settings, sentry_client: SentryClient, sentry_org: str
) -> Resolution:
    """How the (main) project slug was settled (configured or auto-selected)."""
    from pytest_sentry_gate.discovery import resolve_project

    return resolve_project(
        sentry_client,
        sentry_org,
        sentry_settings.project,
        source=sentry_settings.sources.get("project", "default"),
        auto=sentry_settings.auto_slug_discovery,
    )


@pytest.fixture(scope="session")
def sentry_project(project_resolution: Resolution) -> str:
    """The Sentry project slug (the first of ``--sentry-project``)."""
    return project_resolution.slug


@pytest.fixture(scope="session")
def app_version(sentry_settings: settings.Settings) -> VersionReport:
    """The app version as each version file states it (ini sentry_version_files).

    A file that does not parse is kept as ``error`` (file, line, column), so that one check
    fails on it and the checks that need a version say why they cannot run.
    """
    from pytest_sentry_gate.repo.versions import DEFAULT_VERSION_FILES, VersionReport, read_versions

    files = sentry_settings.version_files or DEFAULT_VERSION_FILES
    try:
        return read_versions(sentry_settings.repo_root, files)
    except errors.RepoFileError as exc:
        return VersionReport(sources=(), aligned=False, version=None, error=str(exc))


@pytest.fixture(scope="session")
def sentry_release(
    request: pytest.FixtureRequest, sentry_settings: settings.Settings, app_version: VersionReport
) -> ReleaseTarget:
    """The release under check: --sentry-release, else the template on the aligned version."""
    from pytest_sentry_gate.repo.release import ReleaseTarget, expected_release

    conf = sentry_settings
    project = conf.project
    needs_project = (
        not conf.release and app_version.version and "{project}" in conf.release_template
    )
    if project is None and needs_project:
        project = request.getfixturevalue("sentry_project")  # discovery needs the API
    name, source = expected_release(
        explicit=conf.release,
        template=conf.release_template,
        project=project or "",
        version=app_version.version,
    )
    run = request.config.stash.get(RUN_KEY, None)
    if run is not None:
        run.release = name  # the report names the release under check
    return ReleaseTarget(name=name, source=source, version=app_version.version)


@pytest.fixture
def gate(request: pytest.FixtureRequest) -> Gate:
    """Where a check records its evidence, risks, next commands and verdict."""
    from pytest_sentry_gate.plugin import activate
    from pytest_sentry_gate.verdict import Gate

    item = request.node
    activate(item.config)
    run = item.config.stash.get(RUN_KEY, None)
    record = Gate(
        check_id=check_id(item), mode=item_mode(item), rerun=run.rerun if run else "pytest"
    )
    item.stash[GATE_KEY] = record
    return record
