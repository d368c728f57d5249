"""Before anything runs: a checkpoint path the tool must not touch is a usage error.

When a mode that reads the checkpoint is selected (its declaration says so,
``Mode.reads_checkpoint``: prod_health and issue_triage, and so verify_loop, which writes it),
the checkpoint path that the settings name (``--sentry-state-file`` / ``sentry_state_file``, or
the default ``<repo>/.sentry-gate/<org>_<project>.json`` when the org and project are
configured) must be absent or a regular file, and a ``.sentry-gate`` directory
must not be a symlink out of the repository. Anything else is refused here, naming the path, its
source and what is allowed, and nothing is read, moved or written. A replay
(``--sentry-record-mode=none``) never touches the checkpoint, so it is not refused. Paths that
depend on a discovered slug are checked again by the ``sentry_state_file`` fixture (a named
verdict).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pytest_sentry_gate import modes
from pytest_sentry_gate.checkpoint import default_path
from pytest_sentry_gate.repo.state_files import STATE_DIR, directory_refusal, refusal
from pytest_sentry_gate.settings import Settings

REFUSED: Final = (
    "the checkpoint path {path} (from {source}) is {why}. pytest-sentry-gate only reads, moves "
    "aside or replaces a regular file it wrote, so it left the path untouched. Allowed: a path "
    "that does not exist yet or a regular file; set --sentry-state-file / sentry_state_file to "
    "one."
)
DIRECTORY_REFUSED: Final = (
    "the checkpoint directory {why}. Allowed: a real directory inside the repository; remove "
    "the link, or set --sentry-state-file / sentry_state_file to a path of your choice."
)

ONE_FILE: Final = (
    "--sentry-state-file / sentry_state_file ({path}, from {source}) names one checkpoint file, "
    "but {count} projects are configured ({projects}) and each keeps its own checkpoint. "
    "Allowed: leave it unset (each project's checkpoint is <repo>/{dir}/<org>_<project>.json), "
    "or check one project per run."
)


def state_paths(conf: Settings) -> list[tuple[Path, str]]:
    """The checkpoint paths the settings name already, each with the source that named it."""
    if conf.state_file is not None:
        return [(conf.state_file, conf.sources.get("state_file", "--sentry-state-file"))]
    if conf.org is None:
        return []
    source = f"the default <repo>/{STATE_DIR}/<org>_<project>.json"
    return [(default_path(conf.repo_root, conf.org, p), source) for p in conf.projects]


def checkpoint_modes() -> frozenset[str]:
    """The modes whose checks read the checkpoint (``Mode.reads_checkpoint``; verify_loop selects
    them, and writes it)."""
    return frozenset(mode.name for mode in modes.MODES if mode.reads_checkpoint)


def usage_problem(conf: Settings, selected: tuple[str, ...]) -> str | None:
    """Why the run must stop before it starts (``None``: the checkpoint paths are fine)."""
    if not checkpoint_modes().intersection(selected) or conf.record_mode == "none":
        return None  # a replay never reads or writes the live checkpoint
    if conf.state_file is not None and len(conf.projects) > 1:
        source = conf.sources.get("state_file", "--sentry-state-file")
        projects = ", ".join(conf.projects)
        return ONE_FILE.format(
            path=conf.state_file,
            source=source,
            count=len(conf.projects),
            projects=projects,
            dir=STATE_DIR,
        )
    if conf.state_file is None:
        why = directory_refusal(conf.repo_root / STATE_DIR, conf.repo_root)
        if why is not None:
            return DIRECTORY_REFUSED.format(why=why)
    for path, source in state_paths(conf):
        why = refusal(path)
        if why is not None:
            return REFUSED.format(path=path, source=source, why=why)
    return None
