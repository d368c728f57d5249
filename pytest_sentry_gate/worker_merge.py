"""The controller's half of a distributed run: the workers' outputs folded into one run.

Pure functions over what ``distributed`` carried (no xdist, no I/O): a check's verdict from its
report entry, and the run's facts and verify_loop sections from each worker's ``workeroutput``,
as a serial run of the same checks has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_sentry_gate import verdict
from pytest_sentry_gate.runlog import Run


def rebuild(data: dict[str, Any]) -> verdict.CheckResult:
    """A check's verdict from its report entry (``CheckResult.as_dict``)."""
    return verdict.CheckResult(
        nodeid=data["nodeid"],
        check_id=data["id"],
        mode=data["mode"],
        status=data["status"],
        reason=data["reason"],
        message=data["message"],
        evidence=data["evidence"],
        risks=tuple(data["risks"]),
        next_commands=tuple(data["next_commands"]),
        duration=float(data["duration"]),
        fixes=tuple(data["fixes"]),
    )


def crashed(nodeid: str, why: str) -> verdict.CheckResult:
    """The verdict of a check whose worker died while running it (xdist's crash report)."""
    from pytest_sentry_gate import modes

    path, _, name = nodeid.partition("::")
    module = path.rsplit("/", 1)[-1].removesuffix(".py")
    mode = module.removeprefix("test_")
    return verdict.CheckResult(
        nodeid=nodeid,
        check_id=f"{module}::{name}",
        mode=mode if mode in modes.CHECK_MODES else None,
        status=verdict.FAIL,
        reason="error",
        message=f"{why}: the check gave no verdict",
        evidence={},
        risks=(),
        next_commands=(),
        duration=0.0,
    )


def merge(
    run: Run, outputs: Sequence[dict[str, Any]], projects: Sequence[str]
) -> tuple[dict[str, Any], list[str]]:
    """Fold the workers' facts into ``run``; the report's loop sections and their terminal lines.

    Every worker collected the same checks (the collection facts are the first's). The sections
    are those of the worker that ran checks, when one did; with several projects over several
    workers each project's section comes from the worker that ran its checks (its owner), in the
    configured order, the first project's also at the top level, as a serial run writes them.
    """
    if not outputs:
        return {}, []
    first = outputs[0]
    for found in outputs:
        run.collected_modes.update(found["collected_modes"])
    run.deselected, run.selection = dict(first["deselected"]), first["selection"]
    run.rerun = first["rerun"]
    for found in outputs:  # discovery: one organization and project, the same on every worker
        run.org = run.org or found.get("org")
        run.projects = run.projects or tuple(found.get("projects", ()))
    ran = sorted((o for o in outputs if o["first"] is not None), key=lambda o: int(o["first"]))
    if len(ran) <= 1 or len(projects) < 2:
        chosen = (ran or [first])[0]
        run.release = chosen["release"] or run.release
        sections = dict(chosen["sections"])
        return sections, _lines(sections)
    targets = _targets(ran, projects)
    owner = next((o for o in ran if projects[0] in o["groups"]), ran[0])
    run.release = owner["release"] or run.release
    if not targets:
        return dict(owner["sections"]), _lines(owner["sections"])
    sections = {k: v for k, v in targets[0].items() if k != "project"}
    sections["targets"] = targets
    return sections, _lines(sections)


def _targets(ran: Sequence[dict[str, Any]], projects: Sequence[str]) -> list[dict[str, Any]]:
    """Each project's sections from its owner (another worker's only when no owner sent one)."""
    found: dict[str, tuple[bool, dict[str, Any]]] = {}
    for output in ran:
        own = output["sections"]
        entries = list(own.get("targets", ()))
        mine = [g for g in output["groups"] if g in projects]
        if not entries and own and len(mine) == 1:  # a worker with one project: no targets list
            entries = [{"project": mine[0], **own}]
        for entry in entries:
            project = entry.get("project")
            owned = project in output["groups"]
            if project is not None and (project not in found or (owned and not found[project][0])):
                found[project] = (owned, entry)
    return [found[p][1] for p in projects if p in found]


def _lines(sections: dict[str, Any]) -> list[str]:
    """The verify_loop lines of the terminal summary, headed by the project when several were
    checked (``loop_report.terminal_lines`` of a serial run)."""
    from pytest_sentry_gate import loop_report

    targets = sections.get("targets")
    if not targets:
        return loop_report.summary_lines(sections)
    lines: list[str] = []
    for target in targets:
        found = loop_report.summary_lines(target)
        lines += (
            [f"project {target['project']}:", *(f"  {line}" for line in found)] if found else []
        )
    return lines
