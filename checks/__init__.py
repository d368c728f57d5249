"""The bundled runbook checks (shipped in the wheel as ``pytest_sentry_gate/checks``)."""
