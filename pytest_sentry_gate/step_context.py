"""What the step summary's headline names: the release under check and the target (org/project on
the server), from the settings, the verify_loop section and the checks' evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_sentry_gate.runlog import Run
    from pytest_sentry_gate.settings import Settings


def release_of(run: Run, sections: Mapping[str, Any]) -> str | None:
    """The release the verify_loop read, else the first release a check recorded."""
    loop = sections.get("verify_loop") or {}
    if isinstance(loop.get("release"), str):
        return str(loop["release"])
    for result in run.results:
        found = result.evidence.get("release")
        if isinstance(found, str) and found:
            return found
    return None


def context(run: Run, conf: Settings | None, sections: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``ci_output.publish`` besides the verdicts."""
    target = ""
    if conf is not None:
        org = conf.org or "(discovered org)"
        projects = ",".join(conf.projects) or "(discovered project)"
        target = f"{org}/{projects} on {conf.host}"
    return {"target": target, "release": release_of(run, sections), "sections": sections}
