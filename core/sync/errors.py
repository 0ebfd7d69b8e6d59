"""Errors of the sync engine, grouped by what the caller does next.

JunctionError
├── ConfigError
│   └── SyncDefinitionError   fix the sync definition: the message and ``path`` say what
├── NotFoundError             no such sync, run or dead letter
└── SyncBusy                  the sync already has a queued run: wait for it
"""

from __future__ import annotations

from junction.core.errors import ConfigError, JunctionError


class SyncDefinitionError(ConfigError):
    """Raised when a sync definition is refused; ``path`` locates the field (``$.mode``)."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(f"{message} (at `{path}`)")
        self.message = message
        self.path = path


class SyncBusy(JunctionError):
    """Raised when a run is asked for while one is already queued for the sync."""
