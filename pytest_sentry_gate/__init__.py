"""pytest-sentry-gate: a Sentry production runbook as pytest checks.

PYTEST_DONT_REWRITE: the plugin is imported before pytest could rewrite its asserts.
"""
