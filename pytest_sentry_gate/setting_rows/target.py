"""The settings rows that name the target: organization, projects, server, token, DSN, repository,
release, dist and environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pytest_sentry_gate.repo.defaults import (
    DEFAULT_TEMPLATE,
)
from pytest_sentry_gate.setting_parsers import (
    parse_name,
    parse_release,
    parse_repo_root,
    parse_slug,
    parse_slugs,
    parse_template,
)
from pytest_sentry_gate.setting_rows import declare
from pytest_sentry_gate.setting_secrets import Secret, parse_dsn, parse_token, parse_url


@dataclass(frozen=True)
class TargetSettings:
    """The target rows (a layer of ``settings.Settings``)."""

    org: str | None = field(
        metadata=declare(
            help="Sentry organization slug.",
            parse=parse_slug,
            flags=("--sentry-org",),
            ini="sentry_org",
            env="SENTRY_ORG",
            rc=("defaults", "org"),
            default_doc="the only organization the token sees",
            metavar="SLUG",
            cli=("--org",),
        ),
    )
    projects: tuple[str, ...] = field(
        metadata=declare(
            help="Sentry project slug(s): a comma list (ini: also one per line, or a TOML list).",
            parse=parse_slugs,
            flags=("--sentry-project",),
            ini="sentry_project",
            ini_type="linelist",
            env="SENTRY_PROJECT",
            rc=("defaults", "project"),
            default=(),
            default_doc="the only project of the organization",
            metavar="SLUG[,SLUG]",
            cli=("--project",),
            source_key="project",
        ),
    )
    url: str = field(
        metadata=declare(
            help="Sentry server URL (http or https; credentials in it are refused).",
            parse=parse_url,
            flags=("--sentry-url",),
            ini="sentry_url",
            env="SENTRY_URL",
            rc=("defaults", "url"),
            default="https://sentry.io/",
            metavar="URL",
            cli=("--url",),
        ),
    )
    token: Secret | None = field(
        repr=False,
        metadata=declare(
            help="Sentry auth token (never a flag or an ini value; never shown).",
            parse=parse_token,
            env="SENTRY_AUTH_TOKEN",
            rc=("auth", "token"),
            default_doc="none: setup_preflight fails and says how to create one",
            secret=True,
        ),
    )
    dsn: Secret | None = field(
        repr=False,
        metadata=declare(
            help="The app's Sentry DSN (its key is never shown).",
            parse=parse_dsn,
            env="SENTRY_DSN",
            default_doc="`SENTRY_DSN` in the app repository's `.env`",
            secret=True,
        ),
    )
    repo_root: Path = field(
        metadata=declare(
            help="The app repository the checks read.",
            parse=parse_repo_root,
            flags=("--sentry-repo-root",),
            ini="sentry_repo_root",
            default_doc="the git top level of the invocation directory",
            metavar="DIR",
            cli=("--repo-root",),
        ),
    )
    release: str | None = field(
        metadata=declare(
            help="Release under check: the whole name Sentry knows it by (codictate@1.4.2).",
            parse=parse_release,
            flags=("--sentry-release",),
            ini="sentry_release",
            env="SENTRY_RELEASE",
            default_doc="the release template applied to the repository version",
            metavar="RELEASE",
            cli=("--release",),
        ),
    )
    release_template: str = field(
        metadata=declare(
            help="Release name template; placeholders {project} and {version}.",
            parse=parse_template,
            ini="sentry_release_template",
            default=DEFAULT_TEMPLATE,
        ),
    )
    dist: str | None = field(
        metadata=declare(
            help="Sentry dist the build's uploads and events carry.",
            parse=parse_release,
            flags=("--sentry-dist",),
            ini="sentry_dist",
            env="SENTRY_DIST",
            default_doc="none",
            metavar="DIST",
            cli=("--dist",),
        ),
    )
    environment: str = field(
        metadata=declare(
            help=(
                "Sentry environment of the app; when set, every issue and session query reads "
                "only this environment (unset: every environment is read)."
            ),
            parse=parse_name,
            flags=("--sentry-environment",),
            ini="sentry_environment",
            env="SENTRY_ENVIRONMENT",
            default="production",
            default_doc="`production` (as a filter: none)",
            metavar="NAME",
            cli=("--environment",),
        ),
    )
