"""Errors raised by pytest-sentry-gate.

The tree::

    SentryGateError                  anything this package raises on purpose
    ├── ReadOnlyViolation            a request the read-only guard refused (never sent)
    ├── NetworkUnavailable           DNS or TCP failed: inconclusive, never a misconfiguration
    ├── HostRefused                  nothing listens on the URL's explicit port (or on loopback)
    ├── CertificateProblem           the server's TLS certificate is not trusted
    ├── SlugError                    an org/project slug that does not exist, or is ambiguous
    ├── RepoFileError                a repository file that cannot be parsed (file, line, column)
    │   └── repo.files.FileRefused   not a regular file, or above its size cap: not read
    └── ApiError                     Sentry answered, but not with what a check can use
        ├── AuthError                401: the token is wrong, expired or revoked
        │   ├── TokenMissing         no token configured: nothing was sent
        │   └── TokenInvalid         the token cannot travel in a header: nothing was sent
        ├── ScopeError               403: the token lacks a scope (``missing_scope`` when known)
        ├── NotFound                 404: organization, project, release or event does not exist
        ├── RateLimited              429 after the bounded retries
        ├── ServerError              5xx after the bounded retries, or a response that timed out
        ├── MalformedResponse        a body that is not the JSON the endpoint documents
        ├── ReplayMissing            replaying: the cassette holds no answer (nothing was sent)
        ├── ProjectMoved             302: the project was renamed (``slug`` is the new one)
        └── ResponseTooLarge         a body above the client's size cap: refused, not read

Configuration problems are not here: they are ``pytest.UsageError``, raised by ``settings``.

Every error carries the endpoint (path and query, never the host's credentials) and never the
token: messages are built from the request path and the server's ``detail`` only.
"""

from __future__ import annotations


class SentryGateError(Exception):
    """Base class of every error this package raises on purpose."""


class ReadOnlyViolation(SentryGateError):
    """The read-only guard refused a request before a byte was sent."""

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.path = path
        super().__init__(
            f"refused {method} {path}: pytest-sentry-gate only reads (GET/HEAD under /api/0/, "
            "plus POST to /api/<project_id>/envelope/ with --send-test-event)"
        )


class NetworkUnavailable(SentryGateError):
    """The Sentry host could not be reached: DNS did not resolve or TCP did not connect."""

    def __init__(self, host: str, stage: str, detail: str) -> None:
        self.host = host
        self.stage = stage
        self.detail = detail
        super().__init__(f"{stage} failed for {host}: {detail}")


class HostRefused(SentryGateError):
    """The connection was refused where a refusal is conclusive: a port the URL names, or a
    loopback host. Nothing listens there, so the URL is wrong or the server is down."""

    reason = "connection_refused"

    def __init__(self, host: str, port: int, detail: str) -> None:
        self.host = host
        self.port = port
        self.detail = detail
        shown = f"[{host}]" if ":" in host else host
        super().__init__(
            f"nothing listens on {shown}:{port} (check SENTRY_URL / --sentry-url): {detail}"
        )


class CertificateProblem(SentryGateError):
    """The TLS handshake failed on the server's certificate (self-signed, unknown CA, expired,
    wrong name). It is not a network outage: the server answered, and it is not trusted."""

    reason = "tls_certificate"

    def __init__(self, host: str, port: int, detail: str) -> None:
        self.host = host
        self.port = port
        self.detail = detail
        super().__init__(
            f"the TLS certificate of {host}:{port} is not trusted ({detail}). If the server uses "
            "a private or self-signed CA, name a PEM file holding that CA in .sentryclirc "
            "[http] ca_certs (or the sentry_ca_certs ini key), or point SSL_CERT_FILE at it (or "
            "SSL_CERT_DIR at a directory of them), and rerun; never turn verification off"
        )


class ApiError(SentryGateError):
    """Sentry answered with a status or body a check cannot use."""

    status: int | None = None

    def __init__(self, endpoint: str, message: str, *, status: int | None = None) -> None:
        self.endpoint = endpoint
        if status is not None:
            self.status = status
        self.message = message
        prefix = f"HTTP {self.status} " if self.status is not None else ""
        super().__init__(f"{prefix}from {endpoint}: {message}")


class AuthError(ApiError):
    """401: the token was not accepted."""

    status: int | None = 401


class TokenMissing(AuthError):
    """No token is configured, so no request was sent."""

    def __init__(self) -> None:
        super().__init__("(no request sent)", "no token is set")


class TokenInvalid(AuthError):
    """The token holds whitespace or a control character: no request was sent, and the message
    never quotes the header (httpx's own text would carry the token)."""

    status = None

    def __init__(self, message: str) -> None:
        super().__init__("(no request sent)", message)


class ScopeError(ApiError):
    """403: the token lacks a permission; ``missing_scope`` names it when Sentry says so."""

    status = 403

    def __init__(self, endpoint: str, message: str, *, missing_scope: str | None = None) -> None:
        self.missing_scope = missing_scope
        super().__init__(endpoint, message)


class NotFound(ApiError):
    """404: the organization, project, release or event does not exist (or is hidden)."""

    status = 404


class RateLimited(ApiError):
    """429 after the bounded retries; ``reset`` is the epoch second Sentry named, if any;
    ``rate_limits`` the raw ``X-Sentry-Rate-Limits`` header (ingestion's quotas), if any."""

    status = 429

    def __init__(
        self,
        endpoint: str,
        message: str,
        *,
        reset: float | None = None,
        rate_limits: str | None = None,
    ) -> None:
        self.reset = reset
        self.rate_limits = rate_limits
        super().__init__(endpoint, message)


class ServerError(ApiError):
    """5xx (or a read timeout) after the bounded retries."""


class MalformedResponse(ApiError):
    """The body is not JSON, or not the shape the endpoint documents."""


class ReplayMissing(ApiError):
    """Replaying (``--sentry-record-mode=none``, or ``once`` over a cassette): no recorded answer.

    Nothing was sent: a replay never makes a live call.
    """

    def __init__(self, method: str, path: str, cassette: object, record_mode: str) -> None:
        self.method = method
        self.cassette = str(cassette)
        super().__init__(
            path,
            f"{method} {path} is not in the cassette {self.cassette} "
            f"(record mode {record_mode}, so nothing was sent)",
        )


class ProjectMoved(ApiError):
    """302: Sentry's ``ProjectMoved``: the project slug was renamed to ``slug``."""

    status = 302

    def __init__(self, endpoint: str, message: str, *, slug: str | None) -> None:
        self.slug = slug
        super().__init__(endpoint, message)


class ResponseTooLarge(ApiError):
    """The body is larger than the client reads; it was refused, not read into memory."""


class SlugError(SentryGateError):
    """An organization or project slug that does not exist, or that discovery cannot decide.

    ``setting`` (``org`` or ``projects``: its row of ``settings.ROWS``) and ``suggested`` name
    the one slug to try instead of ``given`` (``None``: none was set), when there is one (the
    closest match; the only candidate when none was set): the next command sets it."""

    def __init__(
        self,
        message: str,
        *,
        candidates: tuple[str, ...] = (),
        setting: str | None = None,
        given: str | None = None,
        suggested: str | None = None,
    ) -> None:
        self.candidates = candidates
        self.setting = setting
        self.given = given
        self.suggested = suggested
        super().__init__(message)


class RepoFileError(SentryGateError):
    """A repository file that cannot be parsed; the message names the file and position."""

    #: The verdict's reason code (``repo.files.FileRefused``: ``file_refused``).
    reason: str = "repo_file"

    def __init__(self, file: str, line: int | None, column: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        where = file if line is None else f"{file}:{line}:{column or 1}"
        super().__init__(f"{where}: {message}")
