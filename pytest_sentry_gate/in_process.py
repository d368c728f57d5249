"""How a runbook mode runs under pytest-xdist (``-n N``, ``-n auto`` in ``addopts``, ``--tx``).

The checks of one project stay on one worker (``distributed``): the plugin sets ``--dist
loadgroup`` when the user chose no distribution, and turns another choice (``--dist load``,
``loadscope``, ``each``…) into ``loadgroup`` with a notice, in the terminal summary and in the
report's ``notices``. One case still runs in one process, with a notice: a record mode that
writes the cassette (one file, one writer).

pytest-xdist turns ``-n N`` into ``--dist load`` in its ``pytest_cmdline_main`` (what the user
chose stays in ``config.known_args_namespace``) and creates its distributed session in a
``trylast`` ``pytest_configure``: ``distribute`` runs before that one, in time to change it.
"""

from __future__ import annotations

from typing import Final

import pytest

NOTICE: Final = (
    "pytest-xdist ({workers}) is off for this run: a record mode writes one cassette, "
    "from one process"
)
DIST_NOTICE: Final = (
    "--dist {dist} is --dist loadgroup for this run: the checks of one project stay on one "
    "worker, which reads its facts once and alone writes its checkpoint"
)


def distribute(config: pytest.Config, *, records: bool) -> list[str]:
    """Distribute by project over xdist's workers (the notices for what changed).

    ``records``: the run writes a cassette, so it runs in this process instead."""
    option = config.option
    workers = getattr(option, "numprocesses", None)
    dist = getattr(option, "dist", "no")
    if not workers and (dist in (None, "no") or not getattr(option, "tx", None)):
        return []
    if records:
        what = f"-n {workers}" if workers else f"--dist {dist}"
        option.numprocesses = 0
        option.dist = "no"
        option.tx = []
        return [NOTICE.format(workers=what)]
    chosen = getattr(config.known_args_namespace, "dist", None) or "no"  # before -n set it
    option.dist = "loadgroup"
    return [] if chosen in ("no", "loadgroup") else [DIST_NOTICE.format(dist=chosen)]
