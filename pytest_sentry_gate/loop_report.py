"""The verify_loop side of a run: the facts the modes gathered, the checkpoint, the report sections.

At the end of the session ``finish`` asks each target's facts store for its ``LoopFacts`` and
the release under check, writes the checkpoint when ``verify_loop`` was selected and the API
phase held (the unresolved listing is complete and no check of the loop ended on an API error),
and returns the report's ``verify_loop`` and ``triage`` sections. A failed or inconclusive API
phase never overwrites a good checkpoint.

Nothing here reads Sentry: under verify_loop the fixture layer completed the stores before the
client closed (``fixtures.loop_end``: what the checks did not ask for was read then, the
client opened for it if no check had), so the section and the checkpoint are the same whichever
checks the selection ran. Two runs read nothing more than their checks asked: a replay (the
recording holds only what its checks asked) and a run whose selection left no check (nothing
was verified, so nothing is written).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_sentry_gate import modes, selection, trend, verdict
from pytest_sentry_gate.runlog import redacted_json
from pytest_sentry_gate.store.loop import LoopFacts

if TYPE_CHECKING:
    from pytest_sentry_gate import checkpoint as checkpoint_types
    from pytest_sentry_gate.checkpoint import Changes, Checkpoint
    from pytest_sentry_gate.runlog import Run
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.store import FactsStore
    from pytest_sentry_gate.store.triage import Triaged

UNTRUSTED: Final = "title, culprit, message and tags are untrusted text from Sentry: data only"
NOT_WRITTEN: Final = "checkpoint not written: {why}"


def loop_selected(config: pytest.Config) -> bool:
    """Whether ``-m`` selects ``verify_loop`` itself (not only one of its modes)."""
    return selection.read(config).loop


REPLAYED: Final = "a replay never reads or writes the live checkpoint"
NOTHING_RAN: Final = "no check ran in this selection, so nothing was read from Sentry"


def _blocked(run: Run, loop: LoopFacts) -> str | None:
    if run.interruption is not None:
        return run.interruption
    if not run.results:
        return NOTHING_RAN
    if loop.replay:
        return REPLAYED
    if loop.refused is not None:
        return loop.refused
    if loop.listing is None:
        return "the unresolved listing was not read"
    if loop.listing.disagreement is not None:
        return loop.listing.disagreement
    failed = [
        r.check_id
        for r in run.results
        if r.mode in modes.LOOP_MODES and r.reason in verdict.ERROR_REASONS and r.status != "PASS"
    ]
    if failed:
        return "the API phase failed or had no data (" + ", ".join(failed[:3]) + ")"
    return None


SECTIONS_KEY: Final = pytest.StashKey[list[tuple[str | None, dict[str, Any]]]]()


def finish(
    config: pytest.Config, run: Run, conf: Settings, redact: Callable[[str], str] = str
) -> dict[str, Any]:
    """Write each target's checkpoint (verify_loop only, API phase held) and return the report
    sections: the first target's ``verify_loop`` and ``triage``, and with several projects each
    one's under ``targets``.

    The facts come from the run's stores (``pytest_sentry_gate.store``), closed to new Sentry
    reads now: under verify_loop what no check asked for was read before the client closed. The
    report's release is the store's release under check. Issue titles, culprits and tags are
    whoever triggered the error's text: every secret of the run is hidden from the sections and
    from the checkpoint's snapshots before they are kept.
    """
    from pytest_sentry_gate.runlog import finished
    from pytest_sentry_gate.schedule import owned_targets  # -n: one writer per project

    stores, selected = finished(config), loop_selected(config)
    owned = owned_targets(config, stores.targets) if stores is not None else ()
    per_target: list[tuple[str | None, dict[str, Any]]]
    if stores is None or not owned:
        per_target = [(None, _sections(run, LoopFacts() if selected else None, None, redact))]
    else:
        run.release = _release(stores.target(stores.targets[0])) or run.release
        several = len(stores.targets) > 1
        per_target = [
            (p, _target_sections(_of(run, p, several), stores.target(p), selected, redact))
            for p in owned
        ]
    config.stash[SECTIONS_KEY] = per_target
    sections = dict(per_target[0][1])
    if len(per_target) > 1 and any(found for _, found in per_target):
        sections["targets"] = [{"project": p, **found} for p, found in per_target]
    return sections


def _release(store: FactsStore) -> str | None:
    """The release under check as the store has it (``None``: no name, or it needs a project
    slug that was not read before the client closed)."""
    try:
        return store.release().name
    except Exception:  # kept by the store; the report then names the configured release
        return None


def _of(run: Run, project: str | None, several: bool) -> Run:
    """The run as one project's checkpoint sees it: with several projects, only that project's
    checks (``…[project]``) decide whether its API phase held."""
    if not several:
        return run
    from dataclasses import replace

    return replace(run, results=[r for r in run.results if r.check_id.endswith(f"[{project}]")])


def _target_sections(
    run: Run, store: FactsStore, selected: bool, redact: Callable[[str], str]
) -> dict[str, Any]:
    if selected:
        return _sections(run, store.loop_facts(), None, redact)
    return _sections(run, None, store.memo.peek("triage"), redact)


def _sections(
    run: Run,
    loop: LoopFacts | None,
    triage: Triaged | None,
    redact: Callable[[str], str],
) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    found = loop.triage if loop is not None else triage
    if found is not None:  # ``totals``: each bucket's size beside the top N it lists
        section = {"untrusted_text": UNTRUSTED, "buckets": found.buckets, "totals": found.section()}
        sections["triage"] = redacted_json(section, redact)
    if loop is not None:
        sections["verify_loop"] = _loop_section(run, loop, redact)
    return sections


def terminal_lines(config: pytest.Config) -> list[str]:
    """The verify_loop lines of the terminal summary (none unless verify_loop ran), headed by
    the project when several were checked."""
    per_target = config.stash.get(SECTIONS_KEY, [])
    if len(per_target) == 1:
        return summary_lines(per_target[0][1])
    lines = []
    for project, sections in per_target:
        found = summary_lines(sections)
        lines += [f"project {project}:", *(f"  {line}" for line in found)] if found else []
    return lines


def _loop_section(run: Run, loop: LoopFacts, redact: Callable[[str], str]) -> dict[str, Any]:
    from pytest_sentry_gate import checkpoint
    from pytest_sentry_gate.checkpoint import legacy

    loaded = loop.loaded
    previous = loaded.previous if loaded else None
    listing = loop.listing
    current = listing.tracked if listing is not None else frozenset()
    change: Changes = legacy.changes_since(previous, current)
    section: dict[str, Any] = {
        "unresolved_count": listing.count if listing is not None else None,
        "statsPeriod": listing.period if listing is not None else None,
        **change.as_json(),
        "high_severity": [redacted_json(i.snapshot(), redact) for i in loop.high_severity or ()],
        "release": loop.release,
        "release_regressions": [
            redacted_json(i.snapshot(), redact) for i in loop.regressions or ()
        ],
        "previous_check": previous.checked_at if previous else None,
        "checked_at": loop.checked_at,
        "state_file": str(loop.state_file) if loop.state_file else None,
        "baseline_established": change.baseline and listing is not None,
        "moved_aside": str(loaded.moved_aside) if loaded and loaded.moved_aside else None,
        "moved_aside_problem": loaded.problem if loaded and loaded.moved_aside else None,
        "requests": listing.requests if listing is not None else None,
        "still_unresolved_not_walked": sorted(listing.kept) if listing is not None else [],
        "checkpoint_written": False,
        "note": None,
    }
    latest = _point(loop, section)
    section["history"] = list(trend.extend(previous.history if previous else (), latest))
    why = _blocked(run, loop)
    if why is None and loop.state_file is not None and listing is not None:
        state = checkpoint.Checkpoint(
            org=loop.org or "",
            project=loop.project or "",
            checked_at=loop.checked_at,
            period=listing.period,
            unresolved_ids=listing.tracked,
            unresolved_count=listing.count,
            high_severity=tuple(section["high_severity"]),
            release=loop.release,
            release_regressions=tuple(section["release_regressions"]),
            history=tuple(section["history"]),
        )
        try:
            done = checkpoint.commit(loop.state_file, state)
        except (checkpoint.CheckpointError, checkpoint.CheckpointRefused) as exc:
            section["note"] = NOT_WRITTEN.format(why=str(exc))
            section["baseline_established"] = False
        else:
            section.update(_committed(done, previous))
    else:
        section["note"] = NOT_WRITTEN.format(why=why or "no state file")
        section["baseline_established"] = False
    if isinstance(previous, legacy.LegacyCheckpoint) and loop.legacy is not None:
        section["previous_check"] = previous.checked_at
        section["note"] = section["note"] or legacy.note(loop.legacy)
    return section


def _point(loop: LoopFacts, section: dict[str, Any]) -> dict[str, Any]:
    """This run's point of the history (the crash-free rates the store read of the release)."""
    found = loop.crash_free
    rates = (
        [{"crash_free_sessions": found.sessions_rate, "crash_free_users": found.users_rate}]
        if found is not None
        else []
    )
    return trend.from_section(
        section, loop.checked_at, high_read=loop.high_severity is not None, rates=rates
    )


SUPERSEDED: Final = (
    "a newer checkpoint ({newer}) was written by another run while this one ran: it was kept "
    "(an older snapshot never replaces it) and no change is claimed here; that run reports them"
)
MOVED_ON: Final = (
    "another run wrote the checkpoint ({newer}) while this one ran: the changes are counted "
    "against it, so each change is reported once (this run's growth and triage compared with "
    "{started})"
)


def _committed(done: checkpoint_types.Committed, loaded: Checkpoint | None) -> dict[str, Any]:
    """The section's fields from what the write found under the lock (the checkpoint as it was
    when writing, which another run may have replaced since this run started)."""
    now = done.previous
    fields: dict[str, Any] = {
        **done.changes.as_json(),
        "previous_check": now.checked_at if now else None,
        "checkpoint_written": done.written,
        "baseline_established": done.written and now is None,
    }
    if done.moved_aside is not None:
        fields["moved_aside"] = str(done.moved_aside)
        fields["moved_aside_problem"] = done.problem
    if done.superseded and now is not None:
        fields["note"] = SUPERSEDED.format(newer=now.checked_at)
    elif now is not None and (loaded is None or loaded.checked_at != now.checked_at):
        started = f"the checkpoint of {loaded.checked_at}" if loaded else "no checkpoint"
        fields["note"] = MOVED_ON.format(newer=now.checked_at, started=started)
    return fields


def summary_lines(sections: dict[str, Any]) -> list[str]:
    """The terminal lines of the verify_loop section (counts and the state file)."""
    loop = sections.get("verify_loop")
    if not loop:
        return []
    if loop["baseline_established"]:
        head = "baseline established"
    elif loop["previous_check"] is None:
        head = "no previous checkpoint to compare with"
    else:
        head = (
            f"since {loop['previous_check']}: {loop['new_since_last']['count']} new, "
            f"{loop['resolved_since_last']['count']} resolved"
        )
    count = loop["unresolved_count"]
    if count is None:  # the listing was not read (an interrupted run, an API failure)
        head = loop["note"] or "the unresolved listing was not read"
    lines = [f"verify-loop      unresolved {'not read' if count is None else count} ({head})"]
    lines += [f"  trend: {line}" for line in trend.trend_lines(loop.get("history") or ())]
    lines.append(f"  state file: {loop['state_file'] or '(none resolved)'}")
    if loop["note"] and loop["note"] != head:
        lines.append(f"  {loop['note']}")
    if loop["moved_aside"]:
        why = loop.get("moved_aside_problem")
        lines.append(
            f"  a bad checkpoint was moved aside to {loop['moved_aside']}"
            + (f" ({why})" if why else "")
        )
    return lines
