"""The seeded data set: deterministic from the seed, cheap at 50,000 issues.

Per project: three releases (``<slug>@1.0.0`` with nothing uploaded, ``@1.1.0`` with an artifact
bundle, ``@1.2.0`` — the newest — with legacy release files and session health), one active key,
and the issues spread round-robin over the projects: ``issues`` unresolved ones (about 5% first
seen in the last 24 h; levels fatal/error/warning/info; priorities high/medium/low), then
``resolved`` resolved and ``ignored`` ignored ones. Issues are built directly (not through
``add_issue``) to keep generation fast.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime

from .clock import DEFAULT_NOW, to_epoch
from .data import FIRST_ISSUE_ID, SimulatorData
from .model import Issue
from .synth import ERROR_POOL, culprit_for, main_bundle_name

DAY = 86400
RELEASE_AGES_DAYS = (60, 30, 3)
RELEASE_SUFFIXES = ("1.0.0", "1.1.0", "1.2.0")
ENVIRONMENTS = ("production", "production", "production", "staging")


def release_files(version: str) -> list[str]:
    """The file names a release of the demo app uploads."""
    main = main_bundle_name(version)
    return [f"~/assets/{main}", f"~/assets/{main}.map"]


def build(
    *,
    seed: int,
    issues: int,
    org: str,
    projects: tuple[str, ...],
    now: datetime,
    resolved: int,
    ignored: int,
) -> SimulatorData:
    """Build the seeded data set (see the module docstring)."""
    data = SimulatorData(now=now, seed=seed)
    data.add_org(org)
    now_s = to_epoch(now)
    release_dates: dict[int, list[tuple[int, str]]] = {}
    for slug in projects:
        project = data.add_project(slug, org=org, platform="javascript")
        project.first_event = now_s - 200 * DAY
        dates = []
        for age, suffix in zip(RELEASE_AGES_DAYS, RELEASE_SUFFIXES, strict=True):
            version = f"{slug}@{suffix}"
            when = now_s - age * DAY
            data.add_release(version, projects=(slug,), date_created=when)
            dates.append((when, version))
        latest, middle = dates[-1][1], dates[-2][1]
        for name in release_files(latest):
            data.add_release_file(latest, name)
        data.add_artifact_bundle(
            slug, release=middle, files=release_files(middle), date=dates[-2][0]
        )
        data.set_release_health(
            latest, slug, total_sessions=5000, total_users=800, sessions_crashed=12,
            sessions_errored=40, crash_free_sessions=99.76, crash_free_users=99.5,
        )  # fmt: skip
        data.set_release_health(
            middle, slug, total_sessions=20000, total_users=1500, sessions_crashed=180,
            sessions_errored=400, crash_free_sessions=99.1, crash_free_users=98.4,
        )  # fmt: skip
        release_dates[project.id] = dates
    _add_issues(data, random.Random(seed), issues, resolved, ignored, release_dates, now_s)
    new_groups = Counter(issue.first_release for issue in data.issues)
    for release in data.releases.values():
        release.new_groups = new_groups.get(release.version, 0)
    data.version += 1
    return data


def _release_at(dates: list[tuple[int, str]], when: int) -> str:
    version = dates[0][1]
    for date, name in dates:
        if date <= when:
            version = name
    return version


def _add_issues(
    data: SimulatorData,
    rng: random.Random,
    unresolved: int,
    resolved: int,
    ignored: int,
    release_dates: dict[int, list[tuple[int, str]]],
    now_s: int,
) -> None:
    project_ids = list(release_dates)
    pool = [(f"{t}: {v}", culprit_for(f, s), t, v) for t, v, f, s in ERROR_POOL]  # shared strings
    total = unresolved + resolved + ignored
    counters = dict.fromkeys(project_ids, 0)
    rand = rng.random
    for n in range(total):
        project_id = project_ids[n % len(project_ids)]
        counters[project_id] += 1
        title, culprit, exc_type, exc_value = pool[int(rand() * len(pool))]
        roll = rand()
        level = "fatal" if roll < 0.03 else "error" if roll < 0.65 else "warning"
        level = "info" if roll > 0.9 else level
        roll = rand()
        if level == "fatal" or (level == "error" and roll < 0.15):
            priority = "high"
        elif level == "info" or roll > 0.75:
            priority = "low"
        else:
            priority = "medium"
        if rand() < 0.05:
            first_seen = now_s - int(rand() * DAY)
        else:
            first_seen = now_s - DAY - int(rand() * 89 * DAY)
        last_seen = first_seen + int(rand() * (now_s - first_seen))
        count = 1 + int(rng.paretovariate(1.2) * 3)
        if n < unresolved:
            status = "unresolved"
            roll = rand()
            substatus = (
                "new"
                if now_s - first_seen < 7 * DAY
                else "regressed"
                if roll < 0.03
                else "escalating"
                if roll < 0.04
                else "ongoing"
            )
        elif n < unresolved + resolved:
            status, substatus = "resolved", None
        else:
            status, substatus = "ignored", "archived_until_escalating"
        dates = release_dates[project_id]
        last_release = _release_at(dates, last_seen)
        regressed_in = (last_release,) if substatus == "regressed" and last_release else ()
        issue = Issue(
            id=FIRST_ISSUE_ID + n,
            project_id=project_id,
            short_num=counters[project_id],
            title=title,
            culprit=culprit,
            level=level,
            status=status,
            substatus=substatus,
            priority=priority,
            count=count,
            user_count=1 + int(rand() * count),
            first_seen=first_seen,
            last_seen=last_seen,
            first_release=_release_at(dates, first_seen),
            last_release=last_release,
            environment=ENVIRONMENTS[n % len(ENVIRONMENTS)],
            is_unhandled=rand() < 0.7,
            assigned_to="team:frontend" if rand() < 0.1 else None,
            exc_type=exc_type,
            exc_value=exc_value,
            regressed_in=regressed_in,
        )
        data._issue_pos[issue.id] = len(data.issues)
        data.issues.append(issue)
    data._short_counters.update(counters)
    data._next_id = FIRST_ISSUE_ID + total


def seeded(
    *,
    seed: int = 1,
    issues: int = 50,
    org: str = "acme",
    projects: tuple[str, ...] = ("codictate",),
    now: datetime | None = None,
    resolved: int = 3,
    ignored: int = 2,
) -> SimulatorData:
    """A deterministic data set: ``issues`` unresolved issues plus a few resolved/ignored."""
    return build(
        seed=seed,
        issues=issues,
        org=org,
        projects=projects,
        now=now or DEFAULT_NOW,
        resolved=resolved,
        ignored=ignored,
    )
