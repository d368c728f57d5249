"""The repository's own build command, as the release gate suggests it when nothing is built.

The package manager is the one ``package.json``'s ``packageManager`` names, else the one its lock
file says (first match of ``LOCK_FILES`` wins), else npm. ``package.json`` is read like every
repository file: a regular file within ``files.CAP_MANIFEST``; one that is refused or does not
parse gives the generic hint, saying why.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Final, NamedTuple

from pytest_sentry_gate.repo import files

BUILD: Final = "{tool} {flag} {root} run build"
#: Each package manager's option that runs it as if started in another directory, so the build
#: is one command a program can run (no ``cd``, which only a person's own shell keeps): npm's
#: ``--prefix`` (non-global commands run in that folder), pnpm's ``--dir`` (``-C``), yarn's
#: ``--cwd`` (classic and 2+), bun's ``--cwd``.
DIRECTORY_FLAGS: Final = {"npm": "--prefix", "pnpm": "--dir", "yarn": "--cwd", "bun": "--cwd"}
PACKAGE_MANAGERS: Final = tuple(DIRECTORY_FLAGS)
NO_BUILD_SCRIPT: Final = "build the app so that its bundles land in {dist}"
NOT_READ: Final = " ({why})"
# The lock file says which package manager the repository uses (first match wins; bun's
# text lock file since 1.2, its binary one before). package.json's "packageManager" wins over it.
LOCK_FILES: Final = (
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)


class BuildHint(NamedTuple):
    """What to run (a shell command, when ``package.json`` has a build script) and what to say."""

    command: str | None
    text: str


def build_command(repo_root: Path, dist_dir: str) -> str | None:
    """The repository's own build command, or ``None`` when there is no build script to run."""
    return build_hint(repo_root, dist_dir).command


def build_hint(repo_root: Path, dist_dir: str) -> BuildHint:
    """The repository's own build: its package manager (``packageManager``, else the lock file);
    without a build script, in words what to build where (and why ``package.json`` was not read).
    """
    refused = ""
    try:
        text = files.read_text(
            repo_root / "package.json", cap=files.CAP_MANIFEST, encoding="utf-8-sig"
        )
        package = json.loads(text)
    except files.FileRefused as exc:
        package, refused = None, NOT_READ.format(why=exc)
    except (OSError, ValueError, RecursionError):
        package = None
    if not isinstance(package, dict):
        package = {}
    scripts = package.get("scripts")
    if not isinstance(scripts, dict) or "build" not in scripts:
        return BuildHint(None, NO_BUILD_SCRIPT.format(dist=repo_root / dist_dir) + refused)
    tool = package_manager(repo_root, package)
    command = BUILD.format(tool=tool, flag=DIRECTORY_FLAGS[tool], root=shlex.quote(str(repo_root)))
    return BuildHint(command, command)


def package_manager(repo_root: Path, package: dict[str, object]) -> str:
    """The package manager ``packageManager`` names, else the lock file's, else npm."""
    declared = package.get("packageManager")
    if isinstance(declared, str):
        name = declared.partition("@")[0].strip()
        if name in PACKAGE_MANAGERS:
            return name
    for lock_file, tool in LOCK_FILES:
        if (repo_root / lock_file).is_file():
            return tool
    return "npm"
