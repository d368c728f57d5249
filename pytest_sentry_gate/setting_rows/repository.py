"""The settings rows of what is read in the app repository: wiring markers, version files, the
built bundles and the old script's state file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pytest_sentry_gate.repo.defaults import (
    DEFAULT_DIST_DIR,
    DEFAULT_URL_PREFIX,
    DEFAULT_VERSION_FILES,
)
from pytest_sentry_gate.setting_parsers import (
    parse_dist_dir,
    parse_lines,
    parse_markers,
    parse_path,
    parse_url_prefix,
    parse_version_specs,
)
from pytest_sentry_gate.setting_rows import declare
from pytest_sentry_gate.setting_rows.run import RunSettings


@dataclass(frozen=True)
class RepositorySettings(RunSettings):
    """The repository rows (a layer of ``settings.Settings``)."""

    wiring: tuple[str, ...] = field(
        metadata=declare(
            help="Repository wiring markers, one per line: 'path: expected text' "
            "({release} {project} {version}).",
            parse=parse_lines(parse_markers),
            ini="sentry_wiring",
            ini_type="linelist",
            default=(),
            default_doc="none",
        ),
    )
    release_wiring: tuple[str, ...] = field(
        metadata=declare(
            help="Release wiring markers, one per line: 'path: expected text'.",
            parse=parse_lines(parse_markers),
            ini="sentry_release_wiring",
            ini_type="linelist",
            default=(),
            default_doc="Tauri: Vite plugin `release`, CI `SENTRY_RELEASE`",
        ),
    )
    version_files: tuple[str, ...] = field(
        metadata=declare(
            help="Version files to align, one per line: 'path[:dotted.key]'.",
            parse=parse_lines(parse_version_specs),
            ini="sentry_version_files",
            ini_type="linelist",
            default=DEFAULT_VERSION_FILES,
            default_doc=", ".join(f"`{name}`" for name in DEFAULT_VERSION_FILES),
        ),
    )
    dist_dir: str = field(
        metadata=declare(
            help="Built bundles directory, relative to the app repository.",
            parse=parse_dist_dir,
            ini="sentry_dist_dir",
            default=DEFAULT_DIST_DIR,
        ),
    )
    url_prefix: str = field(
        metadata=declare(
            help="URL prefix the bundles are uploaded under.",
            parse=parse_url_prefix,
            ini="sentry_url_prefix",
            default=DEFAULT_URL_PREFIX,
        ),
    )
    state_file: Path | None = field(
        metadata=declare(
            help="The verify_loop checkpoint file.",
            parse=parse_path,
            flags=("--sentry-state-file",),
            ini="sentry_state_file",
            default_doc="`<repo>/.sentry-gate/<org>_<project>.json`",
            metavar="PATH",
            cli=("--state-file",),
        ),
    )
