"""The built-in ``email`` destination: personalised e-mail over SMTP submission.

Registered through the public plugin API only: the connector (``register_connectors``)
sends through the configured relay; its route (``register_routes``) serves the RFC 8058
one-click unsubscribe links the messages carry and records the withdrawals through the
injected ``ingest``. The wire contract it follows is shared/platforms/email.md;
operators' docs are docs/destinations/email.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.email.config import EmailConfig, EmailOptions, Security
from junction.destinations.email.connector import MAX_BATCH, UNSUBSCRIBE_PATH, Email
from junction.destinations.email.routes import ROUTES
from junction.plugins import hookimpl

__all__ = ["MAX_BATCH", "UNSUBSCRIBE_PATH", "Email", "EmailConfig", "EmailOptions", "Security"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``email`` destination connector."""
    return [Email]


@hookimpl
def register_routes() -> list[Any]:
    """GET/POST /hooks/email/unsubscribe: the one-click unsubscribe link (RFC 8058)."""
    return list(ROUTES)
