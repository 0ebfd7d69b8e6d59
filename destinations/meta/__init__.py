"""The built-in ``meta`` destination: Meta customer-file Custom Audiences.

Registered through the public plugin API only, like any third-party plugin. The wire
contract it follows is the Marketing API's ``/users`` and ``/usersreplace`` edges;
operators read docs/destinations/meta.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.meta.config import MetaConfig
from junction.destinations.meta.connector import MetaAudiences
from junction.destinations.meta.graph import appsecret_proof
from junction.plugins import hookimpl

__all__ = ["MetaAudiences", "MetaConfig", "appsecret_proof"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``meta`` destination connector."""
    return [MetaAudiences]
