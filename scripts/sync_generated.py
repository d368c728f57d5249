"""Rewrite the generated texts from their one source: the report schema's reason enum (from
``verdict.REASONS``) and the pattern of a plugin mode's own codes beside it
(``modes.mode.PLUGIN_REASON``), the settings reference's table in ``docs/settings.md`` (from
``setting_options.markdown_table``), the agent skill file's reason table (``reason_table``), the
modes' table in ``docs/modes/index.md`` with their entries in ``mkdocs.yml``'s nav (from the
mode declarations, ``mode_table``), and the README's table of modes, one row per mode linking to
its page (from the declarations too, ``mode_table.readme_markdown``).

Run after adding a reason code, a setting or a mode: ``python scripts/sync_generated.py``. The tests
compare each text with its source, so a forgotten run fails the suite rather than shipping a stale
document.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from pytest_sentry_gate import mode_table, reason_table
from pytest_sentry_gate.modes.mode import PLUGIN_REASON
from pytest_sentry_gate.setting_options import markdown_table
from pytest_sentry_gate.verdict import REASONS

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "pytest_sentry_gate" / "report.schema.json"
SETTINGS_DOC = ROOT / "docs" / "settings.md"
SKILL = ROOT / "skills" / "sentry-monitoring" / "SKILL.md"
README = ROOT / "README.md"
TABLE_HEAD = "| setting | flag | ini | env | `.sentryclirc` | default | meaning |"


def sync_schema() -> None:
    text = SCHEMA.read_text(encoding="utf-8")
    anchor = '"description": "a code of pytest_sentry_gate.verdict.REASONS'
    start = text.index('"enum": [', text.index(anchor))
    end = text.index("]", start)
    codes = ", ".join(f'"{code}"' for code in sorted(REASONS))
    body = "\n".join(" " * 18 + line for line in textwrap.wrap(codes, width=86))
    text = f'{text[:start]}"enum": [\n{body}\n{" " * 16}{text[end:]}'
    # beside the enum, the shape of a plugin mode's own codes (``<mode>.<code>``)
    start = text.index('"pattern": ', end) + len('"pattern": ')
    end = text.index("}", start)
    text = text[:start] + json.dumps(PLUGIN_REASON) + text[end:]
    json.loads(text)  # still a JSON document
    SCHEMA.write_text(text, encoding="utf-8")


def sync_settings_doc() -> None:
    text = SETTINGS_DOC.read_text(encoding="utf-8")
    start = text.index(TABLE_HEAD)
    end = text.index("\n\n", start)
    SETTINGS_DOC.write_text(text[:start] + markdown_table().strip() + text[end:], encoding="utf-8")


def sync_mode_pages() -> None:
    index, mkdocs = ROOT / "docs" / "modes" / "index.md", ROOT / "mkdocs.yml"
    index.write_text(mode_table.replaced(index.read_text(encoding="utf-8")), encoding="utf-8")
    mkdocs.write_text(mode_table.replaced_nav(mkdocs.read_text(encoding="utf-8")), encoding="utf-8")


def sync_readme() -> None:
    text = README.read_text(encoding="utf-8")
    README.write_text(mode_table.replaced_readme(text), encoding="utf-8")


def sync_skill() -> None:
    SKILL.write_text(reason_table.replaced(SKILL.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    sync_schema()
    sync_settings_doc()
    sync_skill()
    sync_mode_pages()
    sync_readme()
