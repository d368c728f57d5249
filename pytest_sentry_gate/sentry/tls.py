"""The TLS settings of the client: ``[http] ca_certs`` and ``[http] verify_ssl``.

``None`` leaves httpx's default context (certifi's CAs, plus ``SSL_CERT_FILE`` and
``SSL_CERT_DIR`` when set); ``ca_certs`` adds a PEM file of CAs to that context.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import httpx

ALLOWED = "Allowed: a PEM file of CA certificates"


class BadCAFile(ValueError):
    """The CA file cannot be loaded (the fixture makes it a usage error)."""


def ssl_context(
    ca_certs: Path | None, verify: bool, source: str = "[http] ca_certs"
) -> ssl.SSLContext | None:
    """The context for ``[http] ca_certs`` / ``verify_ssl`` (``None``: httpx's default, which
    honours ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``)."""
    if ca_certs is None and verify:
        return None
    context = httpx.create_ssl_context(trust_env=True)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    assert ca_certs is not None
    try:
        context.load_verify_locations(cafile=os.fspath(ca_certs))
    except (OSError, ssl.SSLError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise BadCAFile(f"Invalid CA file {ca_certs} from {source}: {why}. {ALLOWED}") from None
    return context
