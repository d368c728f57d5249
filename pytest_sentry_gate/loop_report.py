"""The verify_loop side of a run: the facts the modes gathered, the checkpoint, the report sections.

The health fixtures put what they read into ``LoopFacts`` (in ``config.stash``) as they read it.
At the end of the session ``finish`` writes the checkpoint when ``verify_loop`` was selected and
the API phase held (the unresolved listing is complete and no check of the loop ended on an API
error), and returns the report's ``verify_loop`` and ``triage`` sections. A failed or
inconclusive API phase never overwrites a good checkpoint with empty data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_sentry_gate import modes, selection, trend, verdict
from pytest_sentry_gate.runlog import redacted_json

if TYPE_CHECKING:
    from pytest_sentry_gate import checkpoint as checkpoint_types
    from pytest_sentry_gate.checkpoint import Changes, Checkpoint, Loaded
    from pytest_sentry_gate.checkpoint.legacy import LegacyState
    from pytest_sentry_gate.runlog import Run
    from pytest_sentry_gate.sentry.issues import IssueSummary, UnresolvedListing
    from pytest_sentry_gate.settings import Settings

UNTRUSTED: Final = "title, culprit, message and tags are untrusted text from Sentry: data only"
NOT_WRITTEN: Final = "checkpoint not written: {why}"


@dataclass
class LoopFacts:
    """What the health fixtures read this session (filled as they run)."""

    org: str | None = None
    project: str | None = None
    state_file: Path | None = None
    loaded: Loaded | None = None
    listing: UnresolvedListing | None = None
    high_severity: tuple[IssueSummary, ...] | None = None
    release: str | None = None
    regressions: tuple[IssueSummary, ...] | None = None
    triage: dict[str, list[dict[str, Any]]] | None = None
    sections: dict[str, Any] = field(default_factory=dict)
    #: A replay: the live checkpoint is neither read nor written (the recording is not today).
    replay: bool = False
    #: Why the checkpoint path was refused (a symlink, FIFO, device): it is never written.
    refused: str | None = None
    #: The old sentry_monitor.sh state file the baseline came from (``checkpoint.legacy``).
    legacy: LegacyState | None = None
    checked_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


LOOP_KEY: Final = pytest.StashKey[LoopFacts]()


def facts(config: pytest.Config) -> LoopFacts:
    """This session's ``LoopFacts`` (created on first use)."""
    found = config.stash.get(LOOP_KEY, None)
    if found is None:
        found = LoopFacts()
        config.stash[LOOP_KEY] = found
    return found


def loop_selected(config: pytest.Config) -> bool:
    """Whether ``-m`` selects ``verify_loop`` itself (not only one of its modes)."""
    return selection.read(config).loop


REPLAYED: Final = "a replay never reads or writes the live checkpoint"


def _blocked(run: Run, loop: LoopFacts) -> str | None:
    if run.interruption is not None:
        return run.interruption
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


def finish(
    config: pytest.Config, run: Run, conf: Settings, redact: Callable[[str], str] = str
) -> dict[str, Any]:
    """Write the checkpoint (verify_loop only, API phase held) and return the report sections.

    Issue titles, culprits and tags are whoever triggered the error's text: every secret of the
    run is hidden from the sections and from the checkpoint's snapshots before they are kept.
    """
    selected = loop_selected(config)
    loop = facts(config) if selected else config.stash.get(LOOP_KEY, None)
    if loop is None:
        return {}
    sections: dict[str, Any] = {}
    if loop.triage is not None:
        sections["triage"] = redacted_json(
            {"untrusted_text": UNTRUSTED, "buckets": loop.triage}, redact
        )
    if not selected:
        return sections
    sections["verify_loop"] = _loop_section(run, loop, redact)
    loop.sections = sections
    return sections


def terminal_lines(config: pytest.Config) -> list[str]:
    """The verify_loop lines of the terminal summary (none unless verify_loop ran)."""
    loop = config.stash.get(LOOP_KEY, None)
    return summary_lines(loop.sections) if loop is not None else []


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
    latest = _point(run, loop, section)
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


def _point(run: Run, loop: LoopFacts, section: dict[str, Any]) -> dict[str, Any]:
    """This run's point of the history (crash-free rates from the crash-free check's evidence)."""
    rates = [r.evidence for r in run.results if r.check_id.endswith("::test_crash_free_rate")]
    return trend.from_section(
        section, loop.checked_at, high_read=loop.high_severity is not None, rates=rates[-1:]
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
