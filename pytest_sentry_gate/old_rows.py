"""The old script's row strings: ``key=value; …`` evidence, one item per line elsewhere.

The old ``sentry_monitor.sh`` printed each mode's evidence as ``key=value`` pairs; its JSON
carried the same text in string fields. ``evidence_text`` flattens the structured evidence of a
mode's checks into that shape (nested mappings as dotted keys, lists comma-separated, a list of
records by their identifying field), so a consumer of the old output reads strings it knows. The
structured evidence stays whole in the report's ``checks``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

#: Fields that name a record in a list (the first one present is shown).
ID_FIELDS: Final = ("short_id", "slug", "name", "file", "release", "id", "query")
#: Characters that would break ``key=value; …`` apart: such values are quoted (JSON string).
_BREAKING: Final = (";", "\n", "\r", '"', "=")
SEPARATOR: Final = "; "
_PAIR: Final = re.compile(r'(?:[^;"]|"(?:\\.|[^"\\])*")+')
#: The old script's evidence keys (``sentry_monitor.sh``, prod-health and issue-triage rows), by
#: the check and the flattened key that carry the same number now.
OLD_KEYS: Final = {
    ("unresolved_count", "count"): "unresolved_count",
    ("high_severity", "count"): "high_severity_count",
    ("release_issues", "regressed.count"): "release_regression_count",
    ("likely_urgent", "count"): "likely_urgent",
}


def scalar(value: Any) -> str:
    """A scalar as the shell would print it: ``true``/``false``, ``none``, numbers, text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value)


def _item(value: Any) -> str:
    if isinstance(value, Mapping):
        for key in ID_FIELDS:
            if value.get(key) not in (None, ""):
                return scalar(value[key])
        return f"<{len(value)} fields>"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return f"<{len(value)} items>"
    return scalar(value)


def _quoted(text: str) -> str:
    return json.dumps(text) if any(c in text for c in _BREAKING) else text


def pairs(evidence: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """``(key, value)`` strings of one check's evidence, nested keys dotted."""
    for key, value in evidence.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from pairs(value, name + ".")
        elif isinstance(value, Mapping):
            yield name, ""
        elif isinstance(value, Sequence) and not isinstance(value, str):
            yield name, ",".join(_item(v) for v in value)
        else:
            yield name, scalar(value)


def evidence_text(checks: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """``key=value; …`` for a mode's checks (``(check name, evidence)`` pairs, in run order).

    A pair two checks share is said once; a key two checks give different values is qualified
    by the check's name (``release_visible.release=…``). The numbers the old script printed keep
    its keys (``OLD_KEYS``: ``high_severity_count=2``, not ``high_severity.count=2``).
    """
    per_check = [
        (check, [(OLD_KEYS.get((check, key), key), value) for key, value in pairs(evidence)])
        for check, evidence in ((name.removeprefix("test_"), ev) for name, ev in checks)
    ]
    values: dict[str, set[str]] = {}
    for _, found in per_check:
        for key, value in found:
            values.setdefault(key, set()).add(value)
    out: dict[str, None] = {}
    for check, found in per_check:
        for key, value in found:
            shown = key if len(values[key]) == 1 else f"{check}.{key}"
            out[f"{shown}={_quoted(value)}"] = None
    return SEPARATOR.join(out)


def split_pairs(text: str) -> list[str]:
    """The ``key=value`` items of an ``evidence_text`` string (quoted values kept whole)."""
    return [m.group().strip() for m in _PAIR.finditer(text) if m.group().strip()]
