"""The run's one redactor: built at configure time from the resolved secrets, used by every output.

``install`` builds it once (the token and DSN as settings resolved them, the raw values of the
secret variables before settings stripped them, the userinfo of any Sentry or DSN URL), keeps it
in the config's stash, makes it ``redact.active()`` (for text cut far from its output: redact
first, then cut) and hides the secrets from every log record while the run lasts: httpx's and
httpcore's debug lines (request and response headers), the plugin's own loggers, anything shown
by ``--log-level=DEBUG``, ``log_cli`` or a log file. ``of`` is how an output asks for it;
``redact_report`` hides the secrets from a test's or a collector's report.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sentry_gate.redact import Redactor, environment_secrets, release, url_secrets, use
from pytest_sentry_gate.runlog import SETTINGS_KEY

if TYPE_CHECKING:
    from pytest_sentry_gate.settings import Settings

REDACTOR_KEY = pytest.StashKey[Redactor]()


def secrets_of(conf: Settings | None, given_url: str | None = None) -> list[str | None]:
    """Every secret a run may show: resolved settings first, then what the environment holds."""
    found: list[str | None] = list(environment_secrets())
    found += url_secrets(os.environ.get("SENTRY_DSN"))
    found += url_secrets(os.environ.get("SENTRY_URL"))
    found += url_secrets(given_url)
    if conf is not None:
        found += [conf.token, conf.dsn, *url_secrets(conf.dsn), *url_secrets(conf.url)]
    return found


def install(config: pytest.Config, conf: Settings | None) -> Redactor:
    """Build the run's redactor (once), make it active, and redact every log record with it
    until the run ends."""
    if REDACTOR_KEY in config.stash:
        return config.stash[REDACTOR_KEY]
    from pytest_sentry_gate.setting_options import given

    redactor = Redactor(secrets_of(conf, given(config, "url")))
    config.stash[REDACTOR_KEY] = redactor
    use(redactor)
    previous = logging.getLogRecordFactory()
    logging.setLogRecordFactory(_redacting(previous, redactor))

    def uninstall() -> None:
        logging.setLogRecordFactory(previous)
        release(redactor)

    config.add_cleanup(uninstall)
    return redactor


def of(config: pytest.Config) -> Redactor:
    """The run's redactor (built on first use when no mode selected the plugin at configure)."""
    found = config.stash.get(REDACTOR_KEY, None)
    if found is not None:
        return found
    conf = config.stash.get(SETTINGS_KEY, None)
    if conf is None:  # settings not resolved yet: nothing is cached, the environment decides
        from pytest_sentry_gate.setting_options import given

        return Redactor(secrets_of(None, given(config, "url")))
    return install(config, conf)


def _redacting(
    make: Callable[..., logging.LogRecord], redact: Redactor
) -> Callable[..., logging.LogRecord]:
    """A log record factory whose records carry no secret, whatever handler shows them."""

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if not redact:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show what was given, redacted
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    return factory


def redact_report(
    report: pytest.TestReport | pytest.CollectReport, redact: Callable[[str], str]
) -> None:
    """Replace the report's text with a redacted copy when it holds a secret."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], redact(str(longrepr[2])))
    elif longrepr is not None:
        text = str(longrepr)
        if redact(text) != text:
            report.longrepr = redact(text)
    report.sections = [(title, redact(body)) for title, body in report.sections]
