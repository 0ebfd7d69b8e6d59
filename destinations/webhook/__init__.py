"""The built-in ``webhook`` destination: audience changes POSTed, signed, to any URL.

Registered through the public plugin API only, like any third-party plugin. The wire
contract (payloads, signature, answers) is in docs/syncs.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.webhook.connector import Webhook, WebhookConfig
from junction.destinations.webhook.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from junction.plugins import hookimpl

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Webhook", "WebhookConfig", "sign"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``webhook`` destination connector."""
    return [Webhook]
