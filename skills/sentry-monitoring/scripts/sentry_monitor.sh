#!/usr/bin/env bash
# sentry_monitor.sh: the drop-in shim for the old codictate script of the same name.
#
# It runs `sentry-gate` (pytest-sentry-gate) with exactly the arguments it was given, so every
# call of `bash .agents/skills/sentry-monitoring/scripts/sentry_monitor.sh --mode ... --json`
# keeps working: same flags, same text header and rows, same --json rows, the old state file
# read as the baseline. See docs/migrating.md.
set -euo pipefail
if command -v sentry-gate >/dev/null 2>&1; then
  exec sentry-gate "$@"
fi
for python in python3 python; do
  if command -v "$python" >/dev/null 2>&1 && "$python" -c 'import pytest_sentry_gate' 2>/dev/null; then
    exec "$python" -m pytest_sentry_gate.cli "$@"
  fi
done
echo "sentry_monitor.sh: sentry-gate is not installed (pip install pytest-sentry-gate)" >&2
exit 2
